from __future__ import annotations

import datetime as dt

import pytest

from huxue.calendar.models import HolidayArrangement
from huxue.calendar.national import CalendarYearUnknown, workdays
from huxue.calendar.selectors import calendar_coverage, is_national_workday
from huxue.calendar.services import ArrangementEntry, arrangement_set_year
from huxue.calendar.tests.factories import enter_2027

pytestmark = pytest.mark.django_db


def test_national_day_is_not_a_workday() -> None:
    assert is_national_workday(dt.date(2026, 10, 1)) is False


def test_a_make_up_saturday_is_a_workday() -> None:
    # 2026-10-10 (Saturday) is worked for the National Day holiday; 2025-02-08 for Spring Festival.
    assert dt.date(2026, 10, 10).weekday() == 5
    assert is_national_workday(dt.date(2026, 10, 10)) is True
    assert is_national_workday(dt.date(2025, 2, 8)) is True


def test_an_ordinary_weekend_and_weekday() -> None:
    assert is_national_workday(dt.date(2026, 10, 11)) is False  # Sunday
    assert is_national_workday(dt.date(2026, 11, 30)) is True  # Monday


def test_a_year_nobody_entered_raises_a_clear_error() -> None:
    with pytest.raises(CalendarYearUnknown) as caught:
        is_national_workday(dt.date(2027, 3, 1))
    assert caught.value.year == 2027
    assert "2027" in str(caught.value)


def test_a_range_into_an_unknown_year_raises_before_computing_anything() -> None:
    with pytest.raises(CalendarYearUnknown):
        workdays(dt.date(2026, 12, 28), dt.date(2027, 1, 8))


def test_an_entered_year_works_and_is_covered_as_entered() -> None:
    enter_2027()
    assert is_national_workday(dt.date(2027, 1, 1)) is False  # listed holiday on a Friday
    assert is_national_workday(dt.date(2027, 2, 20)) is True  # listed make-up Saturday
    assert is_national_workday(dt.date(2027, 2, 27)) is False  # unlisted Saturday
    assert is_national_workday(dt.date(2027, 3, 1)) is True  # unlisted Monday
    coverage = {c.year: c for c in calendar_coverage()}
    assert coverage[2027].source == "entered"
    assert coverage[2027].dates == HolidayArrangement.objects.filter(year=2027).count()
    assert coverage[2026].source == "package" and coverage[2026].dates > 0
    assert 2028 not in coverage


def test_a_range_across_the_new_year_uses_both_sources() -> None:
    enter_2027()
    days = workdays(dt.date(2026, 12, 31), dt.date(2027, 1, 4))
    assert days == [dt.date(2026, 12, 31), dt.date(2027, 1, 4)]


def test_an_override_takes_precedence_over_the_package() -> None:
    # A later notice moves a day: entered dates for a year the package knows win.
    arrangement_set_year(
        actor=None,
        year=2026,
        entries=[ArrangementEntry(date=dt.date(2026, 11, 30), kind="holiday", name="测试")],
        source="更正通知",
        override=True,
    )
    assert is_national_workday(dt.date(2026, 11, 30)) is False
    assert {c.year: c.source for c in calendar_coverage()}[2026] == "entered"
