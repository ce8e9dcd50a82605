"""Hazards and their rectification (issue 17, item 5): the loop reported → assigned →
rectifying → submitted → verified → closed with sending back, each step only by the roles
allowed, recorded with actor, time and note; a stale or simultaneous step refused with nothing
written; a major hazard tells the bureau at once; an overdue one is escalated once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from huxue.core.models import AuditEvent
from huxue.files.selectors import photos_of
from huxue.files.services import photo_store
from huxue.files.tests.test_images import jpeg
from huxue.notify.models import Notification
from huxue.orgs import access
from huxue.supervision.hazards import (
    STEPS,
    HazardConflict,
    hazard_report,
    hazard_step,
    hazards_escalate,
    may_take,
)
from huxue.supervision.models import Hazard, HazardStep
from huxue.testing import City, local_at

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 12, 7)
NOW = local_at(DAY, 9, 0)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.HUXUE_MEDIA_DIR = tmp_path


def report(city: City, *, grade: str = "general", who: str = "inspector") -> Hazard:
    return hazard_report(
        actor=city.users[who],
        school=city.school_a1,
        post=city.post_a1,
        title="南门防冲撞护栏倒伏",
        category="facilities",
        grade=grade,
        description="护栏两节倒伏，未固定",
        now=NOW,
    )


def step(city: City, hazard: Hazard, name: str, who: str, **kwargs):  # type: ignore[no-untyped-def]
    hazard.refresh_from_db()
    kwargs.setdefault("now", NOW)
    return hazard_step(
        actor=city.users[who], hazard=hazard, step=name, version=hazard.version, **kwargs
    )


def test_the_whole_loop_with_a_send_back(city: City) -> None:
    hazard = report(city)
    assert hazard.state == "reported" and hazard.version == 1
    step(
        city,
        hazard,
        "assign",
        "station_officer",
        responsible=city.school_a1.unit,
        deadline=DAY + dt.timedelta(days=7),
        requirement="三日内扶正并加固",
    )
    step(city, hazard, "start", "school_lead")
    photo = photo_store(actor=city.users["school_lead"], data=jpeg())
    step(city, hazard, "submit", "school_lead", note="已扶正并用膨胀螺栓固定", photos=[photo])
    step(city, hazard, "send_back", "inspector", note="东侧一节仍松动")
    step(city, hazard, "submit", "school_lead", note="东侧已加固")
    step(city, hazard, "verify", "inspector")
    done = step(city, hazard, "close", "station_officer")
    assert done.state == "closed" and done.closed_at == NOW and done.version == 8
    steps = list(HazardStep.objects.filter(hazard=hazard).order_by("version"))
    assert [(s.step, s.from_state, s.to_state) for s in steps] == [
        ("report", "", "reported"),
        ("assign", "reported", "assigned"),
        ("start", "assigned", "rectifying"),
        ("submit", "rectifying", "submitted"),
        ("send_back", "submitted", "rectifying"),
        ("submit", "rectifying", "submitted"),
        ("verify", "submitted", "verified"),
        ("close", "verified", "closed"),
    ]
    assert steps[4].note == "东侧一节仍松动" and steps[4].actor == city.users["inspector"]
    assert list(photos_of(steps[3])) == [photo]
    assert AuditEvent.objects.filter(action__startswith="supervision.hazard.").count() == 8


@pytest.mark.parametrize(
    "name,state,allowed,refused",
    [
        (
            "assign",
            "reported",
            ["station_officer", "city_admin", "education"],
            ["school_lead", "inspector"],
        ),
        ("start", "assigned", ["school_lead"], ["station_officer", "inspector", "education"]),
        ("submit", "rectifying", ["school_lead"], ["station_officer", "inspector"]),
        ("verify", "submitted", ["inspector", "station_officer", "education"], ["school_lead"]),
        ("send_back", "submitted", ["inspector", "city_admin"], ["school_lead"]),
        ("close", "verified", ["station_officer", "education"], ["school_lead", "inspector"]),
    ],
)
def test_each_step_only_by_the_roles_allowed(
    city: City, name: str, state: str, allowed: list[str], refused: list[str]
) -> None:
    hazard = report(city)
    Hazard.objects.filter(pk=hazard.pk).update(state=state, responsible=city.school_a1.unit)
    hazard.refresh_from_db()
    for who in allowed:
        assert may_take(city.users[who], hazard, name), who
    for who in refused:
        assert not may_take(city.users[who], hazard, name), who
        with pytest.raises(ValidationError) as no:
            hazard_step(
                actor=city.users[who],
                hazard=hazard,
                step=name,
                version=hazard.version,
                note="x",
                responsible=city.school_a1.unit,
                deadline=DAY,
            )
        assert no.value.code == "not_allowed"
    assert Hazard.objects.get(pk=hazard.pk).version == 1  # nothing moved


def test_a_step_from_the_wrong_state_is_a_conflict(city: City) -> None:
    hazard = report(city)
    with pytest.raises(HazardConflict):
        step(city, hazard, "verify", "inspector")
    assert HazardStep.objects.filter(hazard=hazard).count() == 1


def test_two_users_acting_on_one_hazard_at_once_one_wins_the_other_writes_nothing(
    city: City,
) -> None:
    hazard = report(city)
    seen = hazard.version  # both opened the hazard at version 1
    hazard_step(
        actor=city.users["station_officer"],
        hazard=hazard,
        step="assign",
        version=seen,
        responsible=city.school_a1.unit,
        deadline=DAY,
        now=NOW,
    )
    with pytest.raises(HazardConflict) as late:
        hazard_step(
            actor=city.users["city_admin"],
            hazard=hazard,
            step="assign",
            version=seen,
            responsible=city.school_a1.station,
            deadline=DAY,
            now=NOW,
        )
    assert "已分派" in str(late.value) or "Assigned" in str(late.value)
    fresh = Hazard.objects.get(pk=hazard.pk)
    assert fresh.responsible == city.school_a1.unit and fresh.version == 2
    assert HazardStep.objects.filter(hazard=hazard).count() == 2
    assert AuditEvent.objects.filter(action="supervision.hazard.assign").count() == 1


def test_the_race_lost_between_the_read_and_the_write_is_a_conflict(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version is checked in the UPDATE itself: a step that read version 1 and writes after
    another step moved the hazard on updates nothing and says so."""
    hazard = report(city)
    from huxue.supervision import hazards

    def meanwhile(user, hz, name):  # type: ignore[no-untyped-def]
        # Another user moves the hazard on after this step read it, before it writes.
        Hazard.objects.filter(pk=hz.pk).update(version=7, state="assigned")
        return True

    monkeypatch.setattr(hazards, "may_take", meanwhile)
    with pytest.raises(HazardConflict):
        step(
            city, hazard, "assign", "station_officer", responsible=city.school_a1.unit, deadline=DAY
        )
    assert HazardStep.objects.filter(hazard=hazard).count() == 1


def test_assigning_needs_a_unit_of_the_school_and_a_deadline(city: City) -> None:
    hazard = report(city)
    with pytest.raises(ValidationError):
        step(
            city, hazard, "assign", "station_officer", responsible=city.school_b1.unit, deadline=DAY
        )
    with pytest.raises(ValidationError):
        step(
            city,
            hazard,
            "assign",
            "station_officer",
            responsible=city.school_a1.unit,
            deadline=DAY - dt.timedelta(days=1),
        )
    with pytest.raises(HazardConflict) as early:
        step(city, hazard, "submit", "school_lead")  # not possible in this state
    assert "Reported" in str(early.value) or "已上报" in str(early.value)
    assert Hazard.objects.get(pk=hazard.pk).state == "reported"


def test_a_major_hazard_tells_the_bureau_at_once_and_a_general_one_does_not(city: City) -> None:
    report(city, grade="general")
    assert not Notification.objects.filter(kind="hazard").exists()
    major = report(city, grade="major")
    told = Notification.objects.filter(
        kind="hazard", dedupe_key__startswith=f"hazard:{major.pk}:major"
    )
    assert told.filter(user=city.users["city_admin"]).exists()
    assert "重大隐患" in told.first().subject or "Major" in told.first().subject


def test_reporting_is_scoped_and_checked(city: City) -> None:
    with pytest.raises(Http404):
        hazard_report(
            actor=city.users["other_lead"],
            school=city.school_a1,
            title="x",
            category="other",
            grade="general",
        )
    with pytest.raises(Http404):
        hazard_report(
            actor=city.users["volunteer"],
            school=city.school_a1,
            title="x",
            category="other",
            grade="general",
        )
    with pytest.raises(ValidationError):
        hazard_report(
            actor=city.users["school_lead"],
            school=city.school_a1,
            title=" ",
            category="nope",
            grade="huge",
            post=city.post_b1,
        )
    assert not Hazard.objects.exists()


def test_hazards_are_read_within_scope(city: City) -> None:
    a1 = report(city)
    b1 = hazard_report(
        actor=city.users["other_lead"],
        school=city.school_b1,
        title="正门积水",
        category="surroundings",
        grade="general",
        now=NOW,
    )

    def readable(who: str) -> set[int]:
        return set(
            access.filter(city.users[who], "read", Hazard.objects.all()).values_list(
                "pk", flat=True
            )
        )

    assert readable("city_admin") == readable("education") == {a1.pk, b1.pk}
    assert (
        readable("school_lead") == readable("station_officer") == readable("inspector") == {a1.pk}
    )
    assert readable("other_lead") == {b1.pk}
    assert readable("volunteer") == readable("auditor") == set()


def test_an_overdue_hazard_is_escalated_once_to_the_next_unit_up(city: City) -> None:
    hazard = report(city)
    step(city, hazard, "assign", "station_officer", responsible=city.school_a1.unit, deadline=DAY)
    assert hazards_escalate(now=local_at(DAY, 23, 0)) == 0  # due today: not overdue yet
    later = local_at(DAY + dt.timedelta(days=1), 8, 0)
    assert hazards_escalate(now=later) == 1
    assert hazards_escalate(now=later + dt.timedelta(hours=1)) == 0  # once
    fresh = Hazard.objects.get(pk=hazard.pk)
    assert fresh.escalated_to == city.school_a1.station and fresh.escalated_at == later
    assert (
        Notification.objects.filter(
            kind="hazard",
            user=city.users["station_officer"],
            dedupe_key__startswith=f"hazard:{hazard.pk}:escalate",
        ).count()
        == 1
    )
    assert AuditEvent.objects.filter(action="supervision.hazard.escalate").count() == 1


def test_every_step_leaves_a_state_the_loop_knows() -> None:
    states = set(Hazard.State.values)
    for rule in STEPS.values():
        assert rule.target in states and set(rule.sources) <= states


def test_an_assignment_tells_the_units_leads_not_its_duty_members(city: City) -> None:
    hazard = report(city)
    step(city, hazard, "assign", "station_officer", responsible=city.school_a1.unit, deadline=DAY)
    told = set(
        Notification.objects.filter(kind="hazard", user__isnull=False).values_list(
            "user__username", flat=True
        )
    )
    assert "school_lead" in told and "volunteer" not in told
