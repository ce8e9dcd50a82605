"""The rostering endpoints against each role, by scope (the rule is in huxue/api/base.py).

Side A is 市第六小学 (post 南门), side B is 桃山小学 (post 正门); see test_matrix.py. The fixtures here
(a term, a week of shifts on both sides, a ready volunteer with a sign-up, a run and a published
version on each side) are shared with the other test_roster_* modules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from huxue.api.tests.helpers import send
from huxue.calendar.models import Term
from huxue.people.models import Person
from huxue.roster.models import RosterRun, RosterVersion, Shift, SignUp
from huxue.roster.services import availability_set, shifts_generate
from huxue.testing import ROSTER_MONDAY, ROSTER_NOW, City, make_person, make_term

MONDAY = ROSTER_MONDAY
FRIDAY = MONDAY + dt.timedelta(days=4)
NOW = ROSTER_NOW
WEEK = {"from": MONDAY.isoformat(), "to": FRIDAY.isoformat()}


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW."""


def make_ready(person: Person) -> Person:
    """Vetted, trained, and free on school-day mornings and afternoons."""
    Person.objects.filter(pk=person.pk).update(
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
    )
    availability_set(
        actor=None,
        person=person,
        windows=[(d, dt.time(7), dt.time(8)) for d in range(5)]
        + [(d, dt.time(15), dt.time(17)) for d in range(5)],
    )
    person.refresh_from_db()
    return person


def new_member(city: City, name: str, force_type: str = "parent") -> Person:
    return make_ready(make_person(city, unit=city.school_a1.unit, name=name, force_type=force_type))


class Roster:
    """What the fixture made: shifts per side, the volunteer's sign-up, a run and version each."""

    def __init__(self, city: City) -> None:
        self.a = list(Shift.objects.filter(post=city.post_a1).order_by("starts_at"))
        self.b = list(Shift.objects.filter(post=city.post_b1).order_by("starts_at"))
        self.signup = SignUp.objects.create(person=city.person_a1, shift=self.a[0])
        self.run_a = RosterRun.objects.create(
            unit=city.school_a1.unit, region=city.xinxing, start=MONDAY, end=FRIDAY
        )
        self.run_b = RosterRun.objects.create(
            unit=city.school_b1.unit, region=city.taoshan, start=MONDAY, end=FRIDAY
        )
        self.version_a = RosterVersion.objects.create(
            school=city.school_a1, start=MONDAY, end=FRIDAY, version=1, published_at=NOW
        )
        self.version_b = RosterVersion.objects.create(
            school=city.school_b1, start=MONDAY, end=FRIDAY, version=1, published_at=NOW
        )


@pytest.fixture
def term(city: City) -> Term:
    return make_term(city)


@pytest.fixture
def roster(city: City, term: Term) -> Roster:
    shifts_generate(actor=None, posts=[city.post_a1, city.post_b1], start=MONDAY, end=FRIDAY)
    make_ready(city.person_a1)  # the volunteer's own record
    return Roster(city)


Request = Callable[[City, Roster], tuple[str, str, Any]]

ENDPOINTS: dict[str, Request] = {
    "get shift A": lambda c, r: ("GET", f"/api/v1/shifts/{r.a[0].pk}/", None),
    "get shift B": lambda c, r: ("GET", f"/api/v1/shifts/{r.b[0].pk}/", None),
    "generate A": lambda c, r: (
        "POST",
        "/api/v1/shifts/generate/",
        {"schools": [c.school_a1.pk], **WEEK},
    ),
    "sign up A": lambda c, r: ("POST", "/api/v1/signups/", {"shift": r.a[2].pk}),
    "withdraw A": lambda c, r: ("POST", f"/api/v1/signups/{r.signup.pk}/withdraw/", None),
    "get availability": lambda c, r: ("GET", "/api/v1/availability/", None),
    "put availability": lambda c, r: (
        "PUT",
        "/api/v1/availability/",
        {"windows": [{"weekday": 0, "start": "07:00", "end": "08:00"}]},
    ),
    "set exception": lambda c, r: (
        "POST",
        "/api/v1/availability/exceptions/",
        {"day": MONDAY.isoformat(), "available": False, "note": "出差"},
    ),
    "solve A": lambda c, r: ("POST", "/api/v1/roster-runs/", {"school": c.school_a1.pk, **WEEK}),
    "get run A": lambda c, r: ("GET", f"/api/v1/roster-runs/{r.run_a.pk}/", None),
    "get run B": lambda c, r: ("GET", f"/api/v1/roster-runs/{r.run_b.pk}/", None),
    "publish A": lambda c, r: (
        "POST",
        "/api/v1/roster-versions/",
        {"school": c.school_a1.pk, **WEEK},
    ),
    "get version A": lambda c, r: ("GET", f"/api/v1/roster-versions/{r.version_a.pk}/", None),
    "get version B": lambda c, r: ("GET", f"/api/v1/roster-versions/{r.version_b.pk}/", None),
    "calendar feed": lambda c, r: ("POST", "/api/v1/me/calendar-feed/", None),
}

# 400 for other_lead: a school, shift or unit of side A is not one they may name (as if it did
# not exist). 400 for a lead or officer signing up: they have no member record of their own.
# 404 on the "my" endpoints: there is no member record behind the login.
# user:          shift A, B, gen, sign, wdraw, av, put, exc, solve, run A, B, publ, ver A, B, feed
MATRIX: dict[str, tuple[int, ...]] = {
    "volunteer":       (200, 404, 403, 201, 200, 200, 200, 200, 403, 404, 404, 403, 200, 404, 200),
    "school_lead":     (200, 404, 200, 400, 200, 404, 404, 404, 201, 200, 404, 201, 200, 404, 404),
    "other_lead":      (404, 200, 400, 400, 404, 404, 404, 404, 400, 404, 200, 400, 404, 200, 404),
    "station_officer": (200, 404, 200, 400, 200, 404, 404, 404, 201, 200, 404, 201, 200, 404, 404),
    "city_admin":      (200, 200, 200, 400, 200, 404, 404, 404, 201, 200, 200, 201, 200, 200, 404),
    "education":       (200, 200, 403, 403, 404, 404, 404, 404, 403, 200, 200, 403, 200, 200, 404),
    "inspector":       (200, 404, 403, 403, 404, 404, 404, 404, 403, 200, 404, 403, 200, 404, 404),
    "stranger":        (404, 404, 403, 403, 404, 404, 404, 404, 403, 404, 404, 403, 404, 404, 404),
    "anonymous":       (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
}  # fmt: skip


@pytest.mark.parametrize("user", list(MATRIX))
def test_roster_endpoints_answer_each_role_by_scope(
    client_for: Callable[[str], Client], city: City, roster: Roster, subtests: Any, user: str
) -> None:
    client = client_for(user)
    for (name, endpoint), expected in zip(ENDPOINTS.items(), MATRIX[user], strict=True):
        method, url, body = endpoint(city, roster)
        with subtests.test(endpoint=name, expected=expected):
            # Each call is undone afterwards, so that one roster serves the whole row.
            with transaction.atomic():
                response = send(client, method, url, body)
                transaction.set_rollback(True)
            assert response.status_code == expected, response.content.decode()


# What each user's lists show: shifts by post, sign-ups, runs and versions by school, assignments.
LISTS: dict[str, tuple[set[str], int, set[str], set[str]]] = {
    "volunteer": ({"南门"}, 1, set(), {"市第六小学"}),
    "school_lead": ({"南门"}, 1, {"市第六小学"}, {"市第六小学"}),
    "other_lead": ({"正门"}, 0, {"桃山小学"}, {"桃山小学"}),
    "station_officer": ({"南门"}, 1, {"市第六小学"}, {"市第六小学"}),
    "education": ({"南门", "正门"}, 0, {"市第六小学", "桃山小学"}, {"市第六小学", "桃山小学"}),
    "stranger": (set(), 0, set(), set()),
}


@pytest.mark.parametrize("user", list(LISTS))
def test_roster_lists_show_each_role_exactly_its_scope(
    client_for: Callable[[str], Client], city: City, roster: Roster, user: str
) -> None:
    client = client_for(user)
    posts, signups, runs, versions = LISTS[user]
    body = client.get("/api/v1/shifts/").json()
    assert {row["post_name"] for row in body["results"]} == posts
    assert body["count"] == 10 * len(posts)
    assert client.get("/api/v1/signups/").json()["count"] == signups
    rows = client.get("/api/v1/roster-runs/").json()["results"]
    assert {row["unit_name"] for row in rows} == runs
    rows = client.get("/api/v1/roster-versions/").json()["results"]
    assert {row["school_name"] for row in rows} == versions


def test_anonymous_callers_are_asked_to_authenticate(client_for: Any, roster: Roster) -> None:
    client = client_for("anonymous")
    for url in ("/api/v1/shifts/", "/api/v1/signups/", "/api/v1/roster-runs/"):
        response = client.get(url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
    for url in ("/api/v1/roster-versions/", "/api/v1/assignments/"):
        assert client.get(url).status_code == 401


def test_a_member_sees_only_their_own_assignments_and_a_planner_their_scope(
    client_for: Any, city: City, roster: Roster
) -> None:
    from huxue.roster.models import Assignment

    other = new_member(city, "张三")
    Assignment.objects.create(
        published=True, shift=roster.a[0], person=city.person_a1, group="volunteer", source="signup"
    )
    Assignment.objects.create(
        published=True, shift=roster.a[1], person=other, group="volunteer", source="solver"
    )
    mine = client_for("volunteer").get("/api/v1/assignments/").json()["results"]
    assert [row["person"] for row in mine] == [city.person_a1.pk]
    lead = client_for("school_lead").get("/api/v1/assignments/").json()["results"]
    assert {row["person"] for row in lead} == {city.person_a1.pk, other.pk}
    assert client_for("other_lead").get("/api/v1/assignments/").json()["count"] == 0
    assert client_for("stranger").get("/api/v1/assignments/").json()["count"] == 0
    filtered = client_for("school_lead").get(
        "/api/v1/assignments/", {"from": roster.a[1].day.isoformat(), "school": city.school_a1.pk}
    )
    assert filtered.json()["count"] == (2 if roster.a[1].day == roster.a[0].day else 1)
