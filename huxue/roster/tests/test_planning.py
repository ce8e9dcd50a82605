from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from huxue.notify.models import Notification
from huxue.people.models import Person
from huxue.roster.models import Assignment, RosterRun, RosterVersion, Shift, SignUp
from huxue.roster.planning import explain_text, roster_publish, roster_solve
from huxue.roster.services import availability_set, shifts_generate
from huxue.testing import (
    ROSTER_MONDAY,
    ROSTER_NOW,
    City,
    make_ready_member,
    make_term,
)

MONDAY = ROSTER_MONDAY
FRIDAY = MONDAY + dt.timedelta(days=4)
NOW = ROSTER_NOW


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW."""


@pytest.fixture
def week(city: City) -> list[Shift]:
    make_term(city)
    shifts_generate(actor=None, posts=[city.post_a1], start=MONDAY, end=FRIDAY)
    return list(Shift.objects.filter(post=city.post_a1).order_by("starts_at"))


_ready = make_ready_member


def test_a_school_week_is_solved_checked_and_explained(city: City, week: list[Shift]) -> None:
    volunteers = [_ready(city, f"志愿者{i}", "parent") for i in range(4)]
    guard = _ready(city, "保安", "school_security")
    run = roster_solve(
        actor=city.users["school_lead"], place=city.school_a1.unit, start=MONDAY, end=FRIDAY
    )
    # 10 shifts × (1 police + 1 guard + 2 volunteers)
    assert run.slots == 40
    live = Assignment.objects.filter(dropped_at__isnull=True)
    assert set(live.values_list("person_id", flat=True)) <= {p.pk for p in volunteers} | {guard.pk}
    assert live.filter(person=guard).count() == 3  # the weekly cap (default 3)
    assert run.filled == live.count()
    reasons = {u["group"]: u["reason"] for u in run.unfilled}
    assert reasons["police"] == "no_group"  # no officer is visible to the school lead
    reason, suggestion = explain_text(run.unfilled[0])
    assert reason and suggestion


def test_sign_ups_are_kept_and_a_new_run_replaces_only_solver_picks(
    city: City, week: list[Shift]
) -> None:
    a = _ready(city, "甲", "parent")
    _ready(city, "乙", "parent")
    SignUp.objects.create(person=a, shift=week[3])
    roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)
    assert (
        Assignment.objects.get(person=a, shift=week[3], dropped_at__isnull=True).source == "signup"
    )
    first = set(
        Assignment.objects.filter(dropped_at__isnull=True).values_list("person_id", "shift_id")
    )
    roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)
    second = set(
        Assignment.objects.filter(dropped_at__isnull=True).values_list("person_id", "shift_id")
    )
    assert first == second  # deterministic, and nothing doubled
    assert RosterRun.objects.count() == 2


def test_publishing_versions_the_roster_and_tells_members_once(
    city: City, week: list[Shift]
) -> None:
    member = city.person_a1  # has the volunteer login
    Person.objects.filter(pk=member.pk).update(
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
    )
    availability_set(actor=None, person=member, windows=[(0, dt.time(7), dt.time(8))])
    roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)
    v1 = roster_publish(actor=None, school=city.school_a1, start=MONDAY, end=FRIDAY)
    assert v1.version == 1 and len(v1.snapshot) == 1
    reminder = Notification.objects.get(kind="shift.reminder")
    assert reminder.due_at < week[0].starts_at
    assert Notification.objects.get(kind="roster.changed").subject == "您有新的班次"
    with pytest.raises(ValidationError, match="自第 1 版发布以来没有更改"):
        roster_publish(actor=None, school=city.school_a1, start=MONDAY, end=FRIDAY)
    assert Notification.objects.filter(kind="shift.reminder").count() == 1  # not twice
    Assignment.objects.filter(person=member).update(dropped_at=NOW, drop_reason="test")
    v2 = roster_publish(actor=None, school=city.school_a1, start=MONDAY, end=FRIDAY)
    assert v2.version == 2 and v2.snapshot == []
    assert Notification.objects.get(kind="shift.reminder").status == "cancelled"
    assert Notification.objects.filter(kind="roster.changed").count() == 2  # added, then removed
    assert RosterVersion.objects.filter(school=city.school_a1).count() == 2


def test_the_cli_builds_solves_and_publishes_a_region(city: City, capsys) -> None:  # type: ignore[no-untyped-def]
    make_term(city)
    _ready(city, "民警", "police", unit=city.station_a)
    call_command(
        "roster_solve",
        "--region",
        "230900",
        "--from",
        "2026-12-07",
        "--to",
        "2026-12-11",
        "--publish",
    )
    captured = capsys.readouterr()
    out = captured.out
    assert "岗位 80" in out and "差距" in out and "发布 3 所学校的排班" in out
    assert "min-cost flow" in captured.err  # the progress bar of the solve
    assert Assignment.objects.filter(person__force_type="police").count() == 3
    # Again, nothing changed: no school gets an empty version, and the command says so.
    call_command(
        "roster_solve",
        "--region",
        "230900",
        "--from",
        "2026-12-07",
        "--to",
        "2026-12-11",
        "--publish",
    )
    assert "3 所学校自上一版以来没有更改" in capsys.readouterr().out
    assert RosterVersion.objects.filter(version=2).count() == 0


def test_a_member_put_back_on_a_shift_is_reminded_again(city: City, week: list[Shift]) -> None:
    member = city.person_a1
    Person.objects.filter(pk=member.pk).update(
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
    )
    assignment = Assignment.objects.create(
        shift=week[0], person=member, group="volunteer", source="manual"
    )
    roster_publish(actor=None, school=city.school_a1, start=MONDAY, end=FRIDAY)
    Assignment.objects.filter(pk=assignment.pk).update(dropped_at=NOW, drop_reason="test")
    roster_publish(actor=None, school=city.school_a1, start=MONDAY, end=FRIDAY)
    Assignment.objects.create(shift=week[0], person=member, group="volunteer", source="manual")
    roster_publish(actor=None, school=city.school_a1, start=MONDAY, end=FRIDAY)
    statuses = sorted(
        Notification.objects.filter(kind="shift.reminder").values_list("status", flat=True)
    )
    assert statuses == ["cancelled", "pending"]
