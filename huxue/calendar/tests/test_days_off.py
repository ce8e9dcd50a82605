"""Days without duty, and why: the calendar decides (terms, national holidays and make-up days,
closures, the post's windows) and ``days_off`` says why in words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import translation

from huxue.calendar import days_off
from huxue.calendar.days_off import post_day_off, school_day_off
from huxue.calendar.models import Term
from huxue.calendar.services import closure_create, closure_void
from huxue.calendar.tests.factories import enter_2027
from huxue.posts.services import parse_windows, post_create
from huxue.testing import City, make_shift, make_term

SATURDAY, SUNDAY, MONDAY = dt.date(2026, 12, 5), dt.date(2026, 12, 6), dt.date(2026, 12, 7)
NATIONAL_DAY = dt.date(2026, 10, 1)  # a Thursday
MAKE_UP_SATURDAY = dt.date(2026, 10, 10)  # 国庆节调休: classes as on a weekday
SUMMER = dt.date(2026, 8, 26)  # a Wednesday before the autumn term


def test_a_school_day_has_duty(city: City) -> None:
    make_term(city)
    assert post_day_off(city.post_a1, MONDAY) is None
    assert school_day_off(city.school_a1, MONDAY) is None


def test_a_weekend_day_names_the_day(city: City) -> None:
    make_term(city)
    off = post_day_off(city.post_a1, SATURDAY)
    assert off is not None and off.kind == days_off.REST_DAY
    assert off.at_post() == "Today is Saturday: no duty at this post."
    sunday = post_day_off(city.post_a1, SUNDAY)
    assert sunday is not None and sunday.at_post() == "Today is Sunday: no duty at this post."
    school = school_day_off(city.school_a1, SATURDAY)
    assert school is not None and school.at_school() == "Today is Saturday: no duty at 市第六小学."
    with translation.override("zh-hans"):
        assert off.at_post() == "今天是周六，本岗点无值守。"
        assert school.at_school() == "今天是周六，市第六小学无值守。"


def test_a_make_up_working_day_on_a_saturday_has_duty(city: City) -> None:
    """No weekday test decides: the national arrangement makes 2026-10-10 a working day."""
    make_term(city)
    assert post_day_off(city.post_a1, MAKE_UP_SATURDAY) is None
    assert school_day_off(city.school_a1, MAKE_UP_SATURDAY) is None


def test_a_public_holiday_is_named_in_the_pages_language(city: City) -> None:
    make_term(city)
    off = post_day_off(city.post_a1, NATIONAL_DAY)
    assert off is not None and off.kind == days_off.HOLIDAY
    assert off.at_post() == "Today is National Day, a public holiday: no duty at this post."
    with translation.override("zh-hans"):  # named in the language it is read in
        assert off.at_post() == "今天是国庆节假期，本岗点无值守。"
        school = school_day_off(city.school_a1, NATIONAL_DAY)
        assert school is not None and school.at_school() == "今天是国庆节假期，市第六小学无值守。"


def test_an_entered_holiday_is_named_as_entered(city: City) -> None:
    enter_2027()
    Term.objects.create(
        unit=city.bureau,
        region=city.city,
        name="2027-2028学年第一学期",
        start=dt.date(2027, 9, 1),
        end=dt.date(2028, 1, 15),
    )
    off = post_day_off(city.post_a1, dt.date(2027, 10, 4))
    assert off is not None and off.kind == days_off.HOLIDAY and off.what == "国庆节"


def test_outside_the_term_is_the_school_holidays(city: City) -> None:
    make_term(city)
    off = post_day_off(city.post_a1, SUMMER)
    assert off is not None and off.kind == days_off.OUT_OF_TERM
    assert off.at_post() == (
        "Today is in the school holidays (outside the term): no duty at this post."
    )
    # After the term, in a year whose holidays nobody has entered yet: still the holidays.
    after = post_day_off(city.post_a1, dt.date(2027, 1, 20))
    assert after is not None and after.kind == days_off.OUT_OF_TERM
    with translation.override("zh-hans"):
        assert off.at_post() == "今天是学校假期（不在学期内），本岗点无值守。"


def test_a_closure_gives_its_reason_even_with_shifts_made_before_it(city: City) -> None:
    make_term(city)
    make_shift(city.post_a1, day=MONDAY)
    assert post_day_off(city.post_a1, MONDAY) is None
    closure = closure_create(
        actor=None, school=city.school_a1, start=MONDAY, end=MONDAY, reason="exam"
    )
    off = post_day_off(city.post_a1, MONDAY)
    assert off is not None and off.kind == days_off.CLOSURE
    assert off.at_post() == "市第六小学 is closed today (Exams): no duty at this post."
    school = school_day_off(city.school_a1, MONDAY)
    assert (
        school is not None and school.at_school() == "市第六小学 is closed today (Exams): no duty."
    )
    with translation.override("zh-hans"):
        assert off.at_post() == "今天市第六小学停课（考试），本岗点无值守。"
    other = closure_create(
        actor=None,
        school=city.school_a1,
        start=MONDAY,
        end=MONDAY,
        reason="other",
        note="停电检修",
    )
    closure_void(actor=None, closure=closure, reason="考试改期")
    noted = post_day_off(city.post_a1, MONDAY)
    assert noted is not None and noted.what == "停电检修"
    closure_void(actor=None, closure=other, reason="恢复供电")
    assert post_day_off(city.post_a1, MONDAY) is None
    # Another school's closure is not this one's.
    closure_create(actor=None, school=city.school_a2, start=MONDAY, end=MONDAY, reason="exam")
    assert post_day_off(city.post_a1, MONDAY) is None


def test_a_school_day_without_a_window_at_the_post_names_the_weekday(city: City) -> None:
    make_term(city)
    gate = post_create(
        actor=None,
        school=city.school_a1,
        name="北门",
        latitude=Decimal("45.771"),
        longitude=Decimal("131.003"),
        windows=parse_windows("07:00-08:00", weekdays=[0, 2, 4]),
        requirements={"volunteer": 1},
    )
    tuesday = dt.date(2026, 12, 8)
    off = post_day_off(gate, tuesday)
    assert off is not None and off.kind == days_off.NO_WINDOW
    assert off.at_post() == "Today is Tuesday: no duty at this post."
    assert post_day_off(gate, MONDAY) is None
    assert school_day_off(city.school_a1, tuesday) is None  # the school's other gate has duty


def test_a_year_nobody_has_entered_cannot_tell(city: City) -> None:
    Term.objects.create(
        unit=city.bureau,
        region=city.city,
        name="2028学年",
        start=dt.date(2028, 2, 20),
        end=dt.date(2028, 7, 10),
    )
    assert post_day_off(city.post_a1, dt.date(2028, 3, 4)) is None
    assert school_day_off(city.school_a1, dt.date(2028, 3, 4)) is None
