"""Rostering end to end over the API: generate, sign up, withdraw, availability, solve, publish."""

# The shared fixtures are imported by name, which pytest needs and ruff reads as redefinition.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from huxue.api.tests.helpers import send
from huxue.api.tests.test_roster_matrix import (  # noqa: F401 (fixtures)
    FRIDAY,
    MONDAY,
    WEEK,
    Roster,
    _now,
    make_ready,
    new_member,
    roster,
    term,
)
from huxue.calendar.models import Term
from huxue.notify.models import Notification
from huxue.people.models import Person
from huxue.roster.models import Assignment, AvailabilityException, CalendarFeed, Shift, SignUp
from huxue.testing import City, make_person


def test_a_lead_generates_shifts_and_rerunning_adds_nothing(
    login: Any, city: City, term: Term
) -> None:
    client = login("school_lead")
    body = {"posts": [city.post_a1.pk], **WEEK}
    response = send(client, "POST", "/api/v1/shifts/generate/", body)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 10, "existing": 0}
    again = send(
        client, "POST", "/api/v1/shifts/generate/", {"schools": [city.school_a1.pk], **WEEK}
    )
    assert again.json() == {"created": 0, "existing": 10}
    assert Shift.objects.count() == 10


def test_generating_needs_a_place_and_a_sensible_range(login: Any, city: City, term: Term) -> None:
    client = login("school_lead")
    response = send(client, "POST", "/api/v1/shifts/generate/", WEEK, lang="en")
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "Choose the schools or posts to make shifts for."
    ]
    backwards = {"posts": [city.post_a1.pk], "from": FRIDAY.isoformat(), "to": MONDAY.isoformat()}
    response = send(client, "POST", "/api/v1/shifts/generate/", backwards, lang="en")
    assert response.json() == {"to": ["The end date is before the start date."]}
    too_long = {"posts": [city.post_a1.pk], "from": "2026-09-01", "to": "2027-01-15"}
    response = send(client, "POST", "/api/v1/shifts/generate/", too_long, lang="en")
    assert response.json() == {"to": ["Choose at most 92 days at a time."]}
    assert Shift.objects.count() == 0


def test_a_shift_shows_what_it_needs_and_how_full_it_is(
    login: Any, city: City, roster: Roster
) -> None:
    shift = roster.a[0]
    Assignment.objects.create(
        published=True, shift=shift, person=city.person_a1, group="volunteer", source="signup"
    )
    body = login("school_lead").get(f"/api/v1/shifts/{shift.pk}/").json()
    assert body["post_name"] == "南门" and body["school_name"] == "市第六小学"
    assert body["start"] == "07:00" and body["day"] == MONDAY.isoformat()
    needs = {row["group"]: (row["needed"], row["assigned"]) for row in body["requirements"]}
    assert needs == {"police": (1, 0), "guard": (1, 0), "volunteer": (2, 1)}
    assert (body["needed"], body["assigned"], body["signed_up"]) == (4, 1, 1)


def test_shift_filters_narrow_the_list(login: Any, city: City, roster: Roster) -> None:
    client = login("city_admin")
    assert client.get("/api/v1/shifts/").json()["count"] == 20
    assert client.get("/api/v1/shifts/", {"school": city.school_b1.pk}).json()["count"] == 10
    assert client.get("/api/v1/shifts/", {"post": city.post_a1.pk}).json()["count"] == 10
    one_day = {"from": MONDAY.isoformat(), "to": MONDAY.isoformat()}
    assert client.get("/api/v1/shifts/", one_day).json()["count"] == 4
    assert client.get("/api/v1/shifts/", {"from": "soon"}).status_code == 400


def test_a_member_signs_up_and_withdraws(login: Any, city: City, roster: Roster) -> None:
    client = login("volunteer")
    shift = roster.a[3]
    response = send(client, "POST", "/api/v1/signups/", {"shift": shift.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person"] == city.person_a1.pk and body["shift"]["id"] == shift.pk
    assert body["withdrawn_at"] is None
    mine = client.get("/api/v1/signups/").json()
    assert {row["shift"]["id"] for row in mine["results"]} == {roster.a[0].pk, shift.pk}
    response = send(client, "POST", f"/api/v1/signups/{body['id']}/withdraw/")
    assert response.status_code == 200
    assert response.json()["withdrawn_at"] is not None
    assert SignUp.objects.get(pk=body["id"]).withdrawn_at is not None


def test_a_refused_sign_up_says_why_in_the_callers_language(
    login: Any, city: City, roster: Roster
) -> None:
    Person.objects.filter(pk=city.person_a1.pk).update(training_status="none", trained_on=None)
    client = login("volunteer")
    response = send(client, "POST", "/api/v1/signups/", {"shift": roster.a[2].pk}, lang="en")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Only trained members can take shifts; the training has not been done or has expired."
        ]
    }
    response = send(client, "POST", "/api/v1/signups/", {"shift": roster.a[2].pk}, lang="zh-hans")
    assert response.json()["non_field_errors"] == [
        "只有完成培训的队员才能参加值守；尚未参加培训或培训已过期。"
    ]
    assert not SignUp.objects.filter(shift=roster.a[2]).exists()


def test_signing_up_twice_or_for_another_schools_shift_is_refused(
    login: Any, city: City, roster: Roster
) -> None:
    client = login("volunteer")
    twice = send(client, "POST", "/api/v1/signups/", {"shift": roster.a[0].pk}, lang="en")
    assert twice.json() == {"non_field_errors": ["You have already signed up for this shift."]}
    other = send(client, "POST", "/api/v1/signups/", {"shift": roster.b[0].pk}, lang="en")
    assert other.status_code == 400 and set(other.json()) == {"shift"}
    missing = send(client, "POST", "/api/v1/signups/", {"shift": 10**9}, lang="en")
    # Another school's shift reads exactly as one that does not exist.
    assert other.json()["shift"][0].replace(str(roster.b[0].pk), "N") == missing.json()["shift"][
        0
    ].replace(str(10**9), "N")


def test_withdrawing_after_the_cut_off_is_refused_with_the_deadline(
    login: Any, city: City, roster: Roster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sunday evening before the Monday 07:00 shift: the 24-hour cut-off has passed.
    late = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: late)
    client = login("volunteer")
    response = send(client, "POST", f"/api/v1/signups/{roster.signup.pk}/withdraw/", lang="en")
    assert response.status_code == 400
    (message,) = response.json()["non_field_errors"]
    assert message.startswith(
        "It is too late to withdraw online (the cut-off was 2026-12-06 07:00)"
    )
    roster.signup.refresh_from_db()
    assert roster.signup.withdrawn_at is None


def test_a_member_sets_availability_and_exceptions(login: Any, city: City, roster: Roster) -> None:
    client = login("volunteer")
    windows = [
        {"weekday": 1, "start": "07:00", "end": "08:30"},
        {"weekday": 3, "start": "15:00", "end": "17:30"},
    ]
    response = send(client, "PUT", "/api/v1/availability/", {"windows": windows})
    assert response.status_code == 200
    assert response.json()["windows"] == windows
    bad = [{"weekday": 7, "start": "08:00", "end": "07:00"}]
    assert send(client, "PUT", "/api/v1/availability/", {"windows": bad}).status_code == 400
    for available in (False, True):  # setting a day again replaces it
        response = send(
            client,
            "POST",
            "/api/v1/availability/exceptions/",
            {"day": MONDAY.isoformat(), "available": available},
        )
        assert response.status_code == 200, response.content
    assert AvailabilityException.objects.get(person=city.person_a1).available is True
    body = client.get("/api/v1/availability/").json()
    assert body["windows"] == windows
    assert body["exceptions"] == [{"day": MONDAY.isoformat(), "available": True, "note": ""}]


def test_the_calendar_feed_address_is_absolute_and_replaced_on_each_issue(
    login: Any, city: City, roster: Roster
) -> None:
    client = login("volunteer")
    first = send(client, "POST", "/api/v1/me/calendar-feed/").json()["url"]
    assert first.startswith("http://testserver/roster/ical/") and first.endswith(".ics")
    second = send(client, "POST", "/api/v1/me/calendar-feed/").json()["url"]
    assert second != first
    assert CalendarFeed.objects.get(person=city.person_a1).token in second
    assert client.get(second.removeprefix("http://testserver")).status_code == 200
    assert client.get(first.removeprefix("http://testserver")).status_code == 404


def test_a_lead_solves_explains_and_publishes_a_school_week(
    login: Any, city: City, roster: Roster
) -> None:
    volunteers = [new_member(city, f"志愿者{i}") for i in range(3)]
    client = login("school_lead")
    response = send(
        client, "POST", "/api/v1/roster-runs/", {"school": city.school_a1.pk, **WEEK}, lang="en"
    )
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["slots"] == 40  # 10 shifts × (1 police + 1 guard + 2 volunteers)
    assert run["unit"] == city.school_a1.unit.pk and run["region"] == "230902"
    live = Assignment.objects.filter(dropped_at__isnull=True)
    assert run["filled"] == live.count() > 0
    assert set(live.values_list("person_id", flat=True)) <= {
        city.person_a1.pk,
        *(v.pk for v in volunteers),
    }
    assert run["unfilled_count"] == len(run["unfilled"])
    police = next(row for row in run["unfilled"] if row["group"] == "police")
    assert police["reason"] == "no_group"
    assert police["reason_text"] == "Nobody of this force group is registered."
    assert police["suggestion_text"]
    # The same run read back in Chinese.
    again = send(client, "GET", f"/api/v1/roster-runs/{run['id']}/", lang="zh-hans").json()
    police = next(row for row in again["unfilled"] if row["group"] == "police")
    assert police["reason_text"] == "没有登记该力量类别的人员。"

    response = send(
        client, "POST", "/api/v1/roster-versions/", {"school": city.school_a1.pk, **WEEK}
    )
    assert response.status_code == 201, response.content
    version = response.json()
    assert version["version"] == 2  # the fixture's version 1 came first
    assert version["assignments"] == len(version["snapshot"]) == run["filled"]
    assert Notification.objects.filter(kind="shift.reminder").exists()  # the volunteer is told

    mine = login("volunteer").get("/api/v1/assignments/", WEEK).json()["results"]
    assert mine and {row["person"] for row in mine} == {city.person_a1.pk}
    assert all(row["shift"]["school_name"] == "市第六小学" for row in mine)


def test_a_run_names_exactly_one_place(login: Any, city: City, roster: Roster) -> None:
    client = login("city_admin")
    both = {"school": city.school_a1.pk, "unit": city.station_a.pk, **WEEK}
    response = send(client, "POST", "/api/v1/roster-runs/", both, lang="en")
    assert response.json() == {"non_field_errors": ["Choose either a school or a unit to plan."]}
    neither = send(client, "POST", "/api/v1/roster-runs/", WEEK, lang="en")
    assert neither.status_code == 400
    station = send(client, "POST", "/api/v1/roster-runs/", {"unit": city.station_a.pk, **WEEK})
    assert station.status_code == 201, station.content
    assert station.json()["slots"] == 40  # 市第六小学's post; 新兴小学 has none


def test_a_planner_can_release_a_member_before_the_cut_off(
    login: Any, city: City, roster: Roster
) -> None:
    response = send(login("school_lead"), "POST", f"/api/v1/signups/{roster.signup.pk}/withdraw/")
    assert response.status_code == 200
    assert response.json()["person_name"] == "李红"


def test_a_member_without_a_record_of_their_own_cannot_sign_up(
    login: Any, city: City, roster: Roster
) -> None:
    # A member whose record was voided: the login stays, the member does not.
    other = make_person(city, unit=city.school_a1.unit, name="赵六")
    make_ready(other)
    Person.objects.filter(pk=city.person_a1.pk).update(voided_at=timezone.now())
    client = login("volunteer")
    response = send(client, "POST", "/api/v1/signups/", {"shift": roster.a[2].pk}, lang="en")
    assert response.status_code == 400
    assert "not linked to a member record" in response.json()["non_field_errors"][0]
    assert client.get("/api/v1/availability/").status_code == 404


def test_a_member_can_neither_see_nor_withdraw_another_members_sign_up(
    login: Any, city: City, roster: Roster
) -> None:
    other = SignUp.objects.create(person=new_member(city, "张三"), shift=roster.a[1])
    client = login("volunteer")
    assert send(client, "POST", f"/api/v1/signups/{other.pk}/withdraw/").status_code == 404
    rows = client.get("/api/v1/signups/").json()["results"]
    assert [row["id"] for row in rows] == [roster.signup.pk]
    lead = login("school_lead").get("/api/v1/signups/").json()["results"]
    assert {row["id"] for row in lead} == {roster.signup.pk, other.pk}
    other.refresh_from_db()
    assert other.withdrawn_at is None
