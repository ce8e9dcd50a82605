"""The national calendar: which dates are working days, from the package or from entered years.

The ``chinese_calendar`` package carries the State Council's arrangements for the years announced
when it was released. For a later year a city administrator enters the arrangement
(HolidayArrangement); entered dates also take precedence over the package for a year someone
deliberately overrode. A year known to neither raises CalendarYearUnknown, which callers show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache

import chinese_calendar
from django.utils.translation import gettext as _

from huxue.calendar.models import HolidayArrangement

PACKAGE = "package"
ENTERED = "entered"


class CalendarYearUnknown(Exception):
    """Nobody knows yet which days of `year` are working days: enter its arrangement first."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(year)

    @property
    def message(self) -> str:
        return _(
            "The national holiday arrangement for %(year)s has not been entered yet. "
            "A city administrator can enter it on the calendar page."
        ) % {"year": self.year}

    def __str__(self) -> str:
        return self.message


@cache
def package_years() -> dict[int, int]:
    """Year → number of listed dates (holidays and make-up working days) the package knows."""
    counts: dict[int, int] = {}
    for day in (*chinese_calendar.holidays, *chinese_calendar.workdays):
        counts[day.year] = counts.get(day.year, 0) + 1
    return counts


def package_knows(year: int) -> bool:
    return year in package_years()


class NationalCalendar:
    """Working days for a set of years, read with one query; build one per request or job."""

    def __init__(self, years: Iterable[int]) -> None:
        wanted = set(years)
        self._entered: dict[int, dict[dt.date, str]] = {}
        rows = HolidayArrangement.objects.filter(year__in=wanted).values_list(
            "year", "date", "kind"
        )
        for year, date, kind in rows if wanted else []:
            self._entered.setdefault(year, {})[date] = kind
        for year in wanted:
            if year not in self._entered and not package_knows(year):
                raise CalendarYearUnknown(year)

    def source(self, year: int) -> str:
        return ENTERED if year in self._entered else PACKAGE

    def is_workday(self, day: dt.date) -> bool:
        entered = self._entered.get(day.year)
        if entered is None:
            if not package_knows(day.year):
                raise CalendarYearUnknown(day.year)
            return bool(chinese_calendar.is_workday(day))
        kind = entered.get(day)
        if kind == HolidayArrangement.Kind.HOLIDAY:
            return False
        if kind == HolidayArrangement.Kind.WORKDAY:
            return True
        return day.weekday() < 5


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    """National working days from start to end inclusive; CalendarYearUnknown for an unknown year."""
    if end < start:
        return []
    calendar = NationalCalendar(range(start.year, end.year + 1))
    return [day for day in days(start, end) if calendar.is_workday(day)]
