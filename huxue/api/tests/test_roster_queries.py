"""Every rostering list costs the same number of queries for N rows as for 3N rows."""

# The shared fixtures are imported by name, which pytest needs and ruff reads as redefinition.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huxue.api.tests.test_queries import MOST
from huxue.api.tests.test_roster_matrix import (  # noqa: F401 (fixtures)
    FRIDAY,
    MONDAY,
    NOW,
    Roster,
    _now,
    roster,
    term,
)
from huxue.roster.models import Assignment, RosterRun, RosterVersion, Shift, SignUp
from huxue.roster.rules import local_datetime
from huxue.testing import City, make_person

N = 4
_serial = itertools.count(1)


def _shift(city: City) -> Shift:
    day = FRIDAY + dt.timedelta(days=next(_serial))
    return Shift.objects.create(
        post=city.post_a1,
        day=day,
        start=dt.time(7),
        end=dt.time(8),
        starts_at=local_datetime(day, dt.time(7)),
        ends_at=local_datetime(day, dt.time(8)),
        requirements={"volunteer": 2},
    )


def _person(city: City) -> Any:
    return make_person(city, unit=city.school_a1.unit, name=f"队员{next(_serial)}")


def _add_shifts(city: City, r: Roster, count: int) -> None:
    for _i in range(count):
        shift = _shift(city)
        person = _person(city)
        SignUp.objects.create(person=person, shift=shift)
        Assignment.objects.create(
            published=True, shift=shift, person=person, group="volunteer", source="signup"
        )


def _add_signups(city: City, r: Roster, count: int) -> None:
    for _i in range(count):
        SignUp.objects.create(person=city.person_a1, shift=_shift(city))


def _add_assignments(city: City, r: Roster, count: int) -> None:
    for _i in range(count):
        Assignment.objects.create(
            published=True,
            shift=_shift(city),
            person=city.person_a1,
            group="volunteer",
            source="solver",
        )


def _add_runs(city: City, r: Roster, count: int) -> None:
    for _i in range(count):
        RosterRun.objects.create(
            unit=city.school_a1.unit,
            region=city.xinxing,
            start=MONDAY,
            end=FRIDAY,
            unfilled=[{"shift": r.a[0].pk, "group": "police", "missing": 1, "reason": "no_group"}],
        )


def _add_versions(city: City, r: Roster, count: int) -> None:
    for _i in range(count):
        RosterVersion.objects.create(
            school=city.school_a1,
            start=MONDAY,
            end=FRIDAY,
            version=next(_serial) + 1,
            published_at=NOW,
            snapshot=[[r.a[0].pk, city.person_a1.pk, "volunteer"]],
        )


LISTS: list[tuple[str, Callable[[City, Roster, int], None]]] = [
    ("/api/v1/shifts/", _add_shifts),
    ("/api/v1/signups/", _add_signups),
    ("/api/v1/assignments/", _add_assignments),
    ("/api/v1/roster-runs/", _add_runs),
    ("/api/v1/roster-versions/", _add_versions),
]


def _count(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("url,add", LISTS, ids=[url.split("/")[3] for url, _add in LISTS])
@pytest.mark.parametrize("user", ["city_admin", "station_officer", "education", "volunteer"])
def test_a_roster_list_costs_the_same_queries_for_three_times_the_rows(
    city: City,
    roster: Roster,
    login: Any,
    url: str,
    add: Callable[[City, Roster, int], None],
    user: str,
) -> None:
    client = login(user)
    add(city, roster, N)
    few, rows_few = _count(client, url)
    add(city, roster, 2 * N)
    many, rows_many = _count(client, url)
    assert many == few
    assert many <= MOST
    if user != "education" or url not in ("/api/v1/signups/",):
        # Who sees the new rows: everyone in scope, except that the education bureau reads no
        # sign-ups and a member reads no runs and only their own sign-ups and assignments.
        grows = not (user == "volunteer" and url in ("/api/v1/roster-runs/",))
        assert (rows_many >= rows_few + 2 * N) == grows, (rows_few, rows_many)
