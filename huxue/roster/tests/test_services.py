from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from huxue.core.models import AuditEvent
from huxue.people.models import Family, Person
from huxue.roster.models import CityRules, Shift, SignUp
from huxue.roster.services import (
    availability_exception_set,
    availability_set,
    shifts_generate,
    signup_create,
    signup_withdraw,
)
from huxue.testing import ROSTER_MONDAY, ROSTER_NOW, City, make_person, make_term

MONDAY = ROSTER_MONDAY
NOW = ROSTER_NOW


@pytest.fixture
def week(city: City) -> list[Shift]:
    make_term(city)
    shifts_generate(
        actor=None, posts=[city.post_a1], start=MONDAY, end=MONDAY + dt.timedelta(days=6)
    )
    return list(Shift.objects.filter(post=city.post_a1).order_by("starts_at"))


def _volunteer(city: City, name: str = "孙丽", **extra) -> Person:  # type: ignore[no-untyped-def]
    person = make_person(
        city,
        unit=city.school_a1.unit,
        name=name,
        force_type="parent",
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
        **extra,
    )
    availability_set(
        actor=None, person=person, windows=[(d, dt.time(7), dt.time(8)) for d in range(5)]
    )
    return person


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW."""


def test_a_weeks_shifts_come_from_the_posts_windows_on_school_days(
    city: City, week: list[Shift]
) -> None:
    assert len(week) == 10  # five school days, two windows
    assert week[0].requirements == {"guard": 1, "police": 1, "volunteer": 2}
    assert timezone.localtime(week[0].starts_at).hour == 7
    assert shifts_generate(
        actor=None, posts=[city.post_a1], start=MONDAY, end=MONDAY + dt.timedelta(days=6)
    ) == (0, 10)


def test_a_vetted_trained_available_member_signs_up_once(city: City, week: list[Shift]) -> None:
    person = _volunteer(city)
    signup_create(actor=None, person=person, shift=week[0])
    assert AuditEvent.objects.filter(action="signup.create").count() == 1
    with pytest.raises(ValidationError) as exc:
        signup_create(actor=None, person=person, shift=week[0])
    assert exc.value.code == "duplicate"


@pytest.mark.parametrize(
    "changes,code",
    [
        ({"vetting_status": "pending", "vetted_on": None}, "not_vetted"),
        ({"training_status": "none", "trained_on": None}, "not_trained"),
    ],
)
def test_ineligible_members_are_told_why(
    city: City, week: list[Shift], changes: dict, code: str
) -> None:
    person = _volunteer(city)
    Person.objects.filter(pk=person.pk).update(**changes)
    person.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        signup_create(actor=None, person=person, shift=week[0])
    assert exc.value.code == code


def test_a_group_the_shift_does_not_need_is_refused(city: City, week: list[Shift]) -> None:
    person = _volunteer(city)
    Person.objects.filter(pk=person.pk).update(force_type="staff")
    person.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        signup_create(actor=None, person=person, shift=week[0])
    assert exc.value.code == "group_not_needed"


def test_availability_and_its_exceptions_decide(city: City, week: list[Shift]) -> None:
    person = _volunteer(city)
    afternoon = week[1]  # 15:30-17:00 is outside 07:00-08:00
    with pytest.raises(ValidationError) as exc:
        signup_create(actor=None, person=person, shift=afternoon)
    assert exc.value.code == "unavailable"
    availability_exception_set(actor=None, person=person, day=afternoon.day, available=True)
    signup_create(actor=None, person=person, shift=afternoon)
    availability_exception_set(
        actor=None, person=person, day=week[2].day, available=False, note="出差"
    )
    with pytest.raises(ValidationError):
        signup_create(actor=None, person=person, shift=week[2])


def test_the_weekly_cap_is_the_citys(city: City, week: list[Shift]) -> None:
    CityRules.objects.create(region=city.city, shifts_per_member_week=2)
    person = _volunteer(city)
    mornings = [s for s in week if s.start == dt.time(7)]
    signup_create(actor=None, person=person, shift=mornings[0])
    signup_create(actor=None, person=person, shift=mornings[1])
    with pytest.raises(ValidationError) as exc:
        signup_create(actor=None, person=person, shift=mornings[2])
    assert exc.value.code == "member_cap"


def test_parents_of_one_child_share_the_family_cap_per_term(city: City, week: list[Shift]) -> None:
    CityRules.objects.create(region=city.city, shifts_per_family_term=2)
    family = Family.objects.create(school=city.school_a1, label="三年二班")
    mother = _volunteer(city, name="母亲")
    father = _volunteer(city, name="父亲")
    Person.objects.filter(pk__in=[mother.pk, father.pk]).update(family=family)
    mother.refresh_from_db()
    father.refresh_from_db()
    mornings = [s for s in week if s.start == dt.time(7)]
    signup_create(actor=None, person=mother, shift=mornings[0])
    signup_create(actor=None, person=father, shift=mornings[1])
    with pytest.raises(ValidationError) as exc:
        signup_create(actor=None, person=father, shift=mornings[2])
    assert exc.value.code == "family_cap"


def test_withdrawal_is_open_until_the_cut_off(city: City, week: list[Shift], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    person = _volunteer(city)
    signup = signup_create(actor=None, person=person, shift=week[0])
    late = week[0].starts_at - dt.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: late)
    with pytest.raises(ValidationError) as exc:
        signup_withdraw(actor=None, signup=signup)
    assert exc.value.code == "cutoff"
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    signup_withdraw(actor=None, signup=signup)
    assert SignUp.objects.get(pk=signup.pk).withdrawn_at is not None
    signup_create(actor=None, person=person, shift=week[0])  # may sign up again
