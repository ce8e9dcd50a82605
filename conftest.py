"""Shared fixtures: the named users' test city, signed-in clients, a frozen clock.

The test city is built once per session, not once per test (building it through the services
took most of the run). It is committed in the test database right after the tables are made;
each ordinary test runs inside a transaction that is rolled back, so it sees the city and leaves
it as it was. `city` gives each test deep copies of the objects (as Django's
TestCase.setUpTestData does), so a test that changes one in Python does not change the next
test's. A transactional test (transaction=True, live_server, the browser tests) empties every
table when it ends; the city is then built again, with the same ids, so test order never matters.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client, override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import validate_django_db

from huxue.orgs.models import User
from huxue.testing import ROSTER_NOW, City, make_city

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The city is built at one fixed moment, the rostering tests' "now", whatever the day of the run:
# its timestamps and audit lines are then the same in every test, frozen clock or not.
CITY_BUILT_AT = ROSTER_NOW


class _SessionCity:
    """The city committed in the test database, and the means to build it again."""

    built: City
    blocker: DjangoDbBlocker | None = None

    def build(self) -> None:
        """Empty every table (sequences back to 1, so the ids repeat) and build the city."""
        assert self.blocker is not None, "django_db_setup has not run"
        with (
            self.blocker.unblock(),
            override_settings(PASSWORD_HASHERS=FAST_HASHERS),
            mock.patch.object(timezone, "now", lambda: CITY_BUILT_AT),
        ):
            call_command("flush", verbosity=0, interactive=False)
            self.built = make_city()
            # As TransactionTestCase does after each test: the next test opens a fresh connection,
            # and none stays open where the browser tests' Playwright context hides it from the
            # final teardown ("database is being accessed by other users" on PostgreSQL).
            connections.close_all()


_session_city = _SessionCity()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> None:
    """pytest-django's set-up (tables made by the migrations), then the city, committed."""
    _session_city.blocker = django_db_blocker
    _session_city.build()


def _empties_the_database(item: pytest.Item) -> bool:
    """pytest-django runs these as a TransactionTestCase, which flushes every table at the end."""
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        if transaction or reset_sequences:
            return True
    return bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & set(item.fixturenames)
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a transactional test has flushed every table, build the city again.

    pytest-django runs the transactional tests after the ordinary ones: the next transactional
    test, and any test when something else orders the run, still finds the city."""
    result = yield  # the test's fixtures are torn down here, the flush with them
    city_in_use = _session_city.blocker is not None
    if city_in_use and nextitem is not None and _empties_the_database(item):
        _session_city.build()
    return result


@pytest.fixture
def city(db: None) -> City:
    """The session's city, as fresh Python objects: what a test changes stays in that test."""
    return copy.deepcopy(_session_city.built)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def login(city: City):
    """login("school_lead") → a test client signed in as that named user."""
    return lambda name: _client_for(city.users[name])


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def roster_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Freeze timezone.now at ROSTER_NOW (for every thread, the live server's too)."""
    monkeypatch.setattr(timezone, "now", lambda: ROSTER_NOW)
