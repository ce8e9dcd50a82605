from __future__ import annotations

import pytest
from django.test import Client

from huxue.orgs.models import User
from huxue.testing import ROSTER_NOW, City, make_city


@pytest.fixture
def city(db: None) -> City:
    return make_city()


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
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def roster_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Freeze timezone.now at ROSTER_NOW (for every thread, the live server's too)."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: ROSTER_NOW)
