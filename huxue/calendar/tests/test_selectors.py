from __future__ import annotations

import datetime as dt

import pytest

from huxue.calendar.models import Closure
from huxue.calendar.national import CalendarYearUnknown
from huxue.calendar.selectors import (
    closures_visible_to,
    school_days,
    schools_accepting_closures,
    shift_dates,
    terms_visible_to,
)
from huxue.calendar.services import closure_create, closure_void, term_create
from huxue.calendar.tests.factories import autumn_term, enter_2027, spring_term
from huxue.posts.services import parse_windows, post_update
from huxue.testing import City

pytestmark = pytest.mark.django_db

D = dt.date


def _closure(city: City, start: dt.date, end: dt.date) -> Closure:
    return closure_create(
        actor=None, school=city.school_a1, start=start, end=end, reason=Closure.Reason.EXAM
    )


def test_no_term_means_no_school_days(city: City) -> None:
    assert school_days(city.school_a1, D(2026, 10, 1), D(2026, 10, 31)) == []


def test_school_days_follow_holidays_make_up_days_terms_and_closures(city: City) -> None:
    autumn_term(city)
    _closure(city, D(2026, 10, 13), D(2026, 10, 14))
    days = school_days(city.school_a1, D(2026, 9, 28), D(2026, 10, 16))
    assert days == [
        D(2026, 9, 28),
        D(2026, 9, 29),
        D(2026, 9, 30),
        # 10-01 … 10-07 National Day; 10-08, 10-09 working days
        D(2026, 10, 8),
        D(2026, 10, 9),
        D(2026, 10, 10),  # the make-up Saturday
        D(2026, 10, 12),
        # 10-13, 10-14 closed for exams
        D(2026, 10, 15),
        D(2026, 10, 16),
    ]


def test_days_outside_every_term_are_not_school_days(city: City) -> None:
    autumn_term(city)
    days = school_days(city.school_a1, D(2026, 8, 28), D(2026, 9, 2))
    assert days == [D(2026, 9, 1), D(2026, 9, 2)]


def test_make_up_days_count_only_inside_a_term(city: City) -> None:
    term_create(
        actor=None,
        unit=city.bureau,
        name="2025-2026学年第二学期",
        start=D(2026, 3, 2),
        end=D(2026, 7, 10),
    )
    # 2026-05-09 (Saturday) is worked for Labour Day, inside the term: a school day.
    assert D(2026, 5, 9) in school_days(city.school_a1, D(2026, 5, 4), D(2026, 5, 10))
    # 2026-09-20 (Sunday) is worked for National Day, but no term covers it.
    assert school_days(city.school_a1, D(2026, 9, 14), D(2026, 9, 25)) == []


def test_a_voided_closure_no_longer_closes_the_school(city: City) -> None:
    autumn_term(city)
    closure = _closure(city, D(2026, 12, 1), D(2026, 12, 1))
    assert D(2026, 12, 1) not in school_days(city.school_a1, D(2026, 12, 1), D(2026, 12, 1))
    closure_void(actor=None, closure=closure, reason="取消")
    assert school_days(city.school_a1, D(2026, 12, 1), D(2026, 12, 1)) == [D(2026, 12, 1)]


def test_another_schools_closure_does_not_count(city: City) -> None:
    autumn_term(city)
    _closure(city, D(2026, 12, 1), D(2026, 12, 1))
    assert school_days(city.school_b1, D(2026, 12, 1), D(2026, 12, 1)) == [D(2026, 12, 1)]


def test_a_district_term_applies_to_its_schools_only(city: City) -> None:
    term_create(
        actor=None,
        unit=city.education,
        region=city.taoshan,
        name="桃山区秋季学期",
        start=D(2026, 9, 1),
        end=D(2026, 12, 31),
    )
    assert school_days(city.school_b1, D(2026, 12, 1), D(2026, 12, 1)) == [D(2026, 12, 1)]
    assert school_days(city.school_a1, D(2026, 12, 1), D(2026, 12, 1)) == []


def test_school_days_in_an_unknown_year_raise_until_it_is_entered(city: City) -> None:
    autumn_term(city)
    spring_term(city)
    with pytest.raises(CalendarYearUnknown):
        school_days(city.school_a1, D(2027, 2, 15), D(2027, 3, 5))
    enter_2027()
    days = school_days(city.school_a1, D(2027, 1, 1), D(2027, 1, 8))
    assert days == [D(2027, 1, 4), D(2027, 1, 5), D(2027, 1, 6), D(2027, 1, 7), D(2027, 1, 8)]


def test_a_range_past_the_last_term_into_an_unknown_year_still_answers(city: City) -> None:
    term_create(
        actor=None,
        unit=city.education,
        name="2026年秋季学期",
        start=D(2026, 9, 1),
        end=D(2026, 12, 31),
    )
    assert school_days(city.school_a1, D(2026, 12, 30), D(2027, 1, 5)) == [
        D(2026, 12, 30),
        D(2026, 12, 31),
    ]


def test_shift_dates_pair_school_days_with_the_posts_windows(city: City) -> None:
    autumn_term(city)
    shifts = shift_dates(city.post_a1, D(2026, 10, 9), D(2026, 10, 12))
    assert [(day, f"{w.start:%H:%M}") for day, w in shifts] == [
        (D(2026, 10, 9), "07:00"),
        (D(2026, 10, 9), "15:30"),
        # the make-up Saturday is worked on the post's weekday windows
        (D(2026, 10, 10), "07:00"),
        (D(2026, 10, 10), "15:30"),
        (D(2026, 10, 12), "07:00"),
        (D(2026, 10, 12), "15:30"),
    ]


def test_shift_dates_skip_weekdays_without_windows_and_use_saturday_windows(city: City) -> None:
    autumn_term(city)
    post = city.post_a1
    post_update(
        actor=None,
        post=post,
        windows=parse_windows("07:00-08:00", weekdays=[0])
        + parse_windows("08:00-09:00", weekdays=[5]),
    )
    shifts = shift_dates(post, D(2026, 10, 9), D(2026, 10, 12))
    assert [(day, f"{w.start:%H:%M}") for day, w in shifts] == [
        (D(2026, 10, 10), "08:00"),
        (D(2026, 10, 12), "07:00"),
    ]


def test_closures_follow_the_scope_rule(city: City) -> None:
    mine = _closure(city, D(2026, 12, 1), D(2026, 12, 1))
    theirs = closure_create(
        actor=None,
        school=city.school_b1,
        start=D(2026, 12, 1),
        end=D(2026, 12, 1),
        reason=Closure.Reason.EMERGENCY,
    )
    users = city.users
    assert list(closures_visible_to(users["school_lead"])) == [mine]
    assert list(closures_visible_to(users["other_lead"])) == [theirs]
    assert set(closures_visible_to(users["city_admin"])) == {mine, theirs}
    assert set(closures_visible_to(users["education"])) == {mine, theirs}
    assert list(closures_visible_to(users["station_officer"])) == [mine]
    assert list(closures_visible_to(users["inspector"])) == [mine]
    for name in ("volunteer", "sysadmin", "auditor", "stranger"):
        assert not closures_visible_to(users[name]).exists(), name
    assert list(schools_accepting_closures(users["school_lead"])) == [city.school_a1]
    assert not schools_accepting_closures(users["station_officer"]).exists()
    assert schools_accepting_closures(users["education"]).count() == 3


def test_terms_are_visible_to_whoever_sees_a_school_they_govern(city: City) -> None:
    term = autumn_term(city)
    for name in ("city_admin", "education", "station_officer", "school_lead", "inspector"):
        assert list(terms_visible_to(city.users[name])) == [term], name
    for name in ("volunteer", "sysadmin", "stranger"):
        assert not terms_visible_to(city.users[name]).exists(), name
