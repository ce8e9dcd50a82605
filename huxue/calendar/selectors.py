"""Reads of the school calendar. Scope goes through orgs.access, as everywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db.models import Count, Q, QuerySet

from huxue.calendar import national
from huxue.calendar.models import Closure, HolidayArrangement, Term
from huxue.calendar.national import CalendarYearUnknown
from huxue.orgs import access
from huxue.orgs.models import Region
from huxue.posts.models import DutyWindow, Post, School
from huxue.posts.selectors import schools_visible_to

__all__ = [
    "CalendarYearUnknown",
    "Coverage",
    "calendar_coverage",
    "closure_for",
    "closures_visible_to",
    "is_national_workday",
    "school_days",
    "school_days_of",
    "schools_accepting_closures",
    "shift_dates",
    "terms_for_region",
    "terms_visible_to",
]


class Coverage(NamedTuple):
    year: int
    source: str  # "package" | "entered"
    dates: int  # how many dates are listed (holidays and make-up working days)


def is_national_workday(day: dt.date) -> bool:
    """Raises CalendarYearUnknown for a year neither the package nor anyone entered."""
    return national.NationalCalendar([day.year]).is_workday(day)


def calendar_coverage() -> list[Coverage]:
    """Every year whose working days are known, and where from (entered dates win)."""
    entered = dict(
        HolidayArrangement.objects.order_by()
        .values_list("year")
        .annotate(n=Count("id"))
        .values_list("year", "n")
    )
    years = {
        year: Coverage(year, national.PACKAGE, n) for year, n in national.package_years().items()
    }
    years.update({year: Coverage(year, national.ENTERED, n) for year, n in entered.items()})
    return [years[year] for year in sorted(years)]


def _ancestor_paths(path: str) -> list[str]:
    """'/230900/230902/' → ['/230900/', '/230900/230902/']."""
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[: n + 1]) + "/" for n in range(len(codes))]


def terms_for_region(region: Region) -> QuerySet[Term]:
    """The terms that apply to a school in `region`: those of its region and the regions above."""
    return Term.objects.filter(region__path__in=_ancestor_paths(region.path)).select_related(
        "region", "unit"
    )


def terms_visible_to(user: Any) -> QuerySet[Term]:
    """Terms the user's roles may read, and the terms that govern any school the user can see."""
    paths: set[str] = set()
    for path in schools_visible_to(user).values_list("unit__region__path", flat=True).distinct():
        paths.update(_ancestor_paths(path))
    governing = Q(region__path__in=sorted(paths)) if paths else access.NOTHING
    readable = (
        access.scope(user, "read", Term) if access.allowed(user, "read", Term) else access.NOTHING
    )
    return Term.objects.filter(readable | governing).select_related("region", "unit")


def term_for(user: Any, *, pk: int, action: str = "read") -> Term:
    return access.get_or_404(user, action, Term.objects.select_related("region", "unit"), pk=pk)


def closures_visible_to(user: Any, *, action: str = "read", live: bool = True) -> QuerySet[Closure]:
    qs = Closure.objects.select_related("school__unit")
    if live:
        qs = qs.filter(voided_at__isnull=True)
    return access.filter(user, action, qs)


def closure_for(user: Any, *, pk: int, action: str = "read") -> Closure:
    return access.get_or_404(
        user, action, closures_visible_to(user, action=action, live=False), pk=pk
    )


def schools_accepting_closures(user: Any) -> QuerySet[School]:
    """Schools for which the user may enter a closure."""
    return School.objects.filter(
        access.scope(user, "write", School, as_type="closure"), voided_at__isnull=True
    ).select_related("unit")


def school_days(school: School, start: dt.date, end: dt.date) -> list[dt.date]:
    """National working days inside one of the city's terms, less the school's live closures.

    Raises CalendarYearUnknown if a day inside a term falls in a year whose national arrangement
    is unknown.
    """
    return school_days_of([school], start, end)[school.pk]


def school_days_of(
    schools: Iterable[School], start: dt.date, end: dt.date
) -> dict[int, list[dt.date]]:
    """``school_days`` for many schools at once (school id → days), in three queries whatever
    their number: the terms of their regions, their closures, the national arrangement.
    The schools' ``unit.region`` should be loaded (select_related) to save a query each.
    """
    schools = list(schools)
    result: dict[int, list[dt.date]] = {school.pk: [] for school in schools}
    if end < start or not schools:
        return result
    region_paths = {school.pk: school.unit.region.path for school in schools}
    wanted = sorted({p for path in region_paths.values() for p in _ancestor_paths(path)})
    terms = list(
        Term.objects.filter(region__path__in=wanted, start__lte=end, end__gte=start).values_list(
            "region__path", "start", "end"
        )
    )
    if not terms:
        return result
    closures: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for school_id, first, last in Closure.objects.filter(
        school__in=[school.pk for school in schools],
        voided_at__isnull=True,
        start__lte=end,
        end__gte=start,
    ).values_list("school_id", "start", "end"):
        closures.setdefault(school_id, []).append((first, last))
    candidates: dict[int, list[dt.date]] = {}
    for school in schools:
        governing = set(_ancestor_paths(region_paths[school.pk]))
        own_terms = [(s, e) for path, s, e in terms if path in governing]
        closed = closures.get(school.pk, [])
        candidates[school.pk] = [
            day
            for day in national.days(start, end)
            if any(s <= day <= e for s, e in own_terms)
            and not any(s <= day <= e for s, e in closed)
        ]
    # Only the years of days that could be school days need a known national arrangement: a
    # range running past the last term into an unannounced year still answers.
    years = {day.year for days in candidates.values() for day in days}
    if not years:
        return result
    calendar = national.NationalCalendar(years)
    for school_id, days in candidates.items():
        result[school_id] = [day for day in days if calendar.is_workday(day)]
    return result


def shift_dates(post: Post, start: dt.date, end: dt.date) -> list[tuple[dt.date, DutyWindow]]:
    """Each school day of the post's school paired with each of the post's windows that weekday.

    A school day on a Saturday or Sunday is a make-up working day (调休): the school holds
    classes, so the gate needs its guard. Unless the post has windows of its own on that weekday,
    it is worked with the windows of the post's first weekday (Monday onwards) that has any —
    the returned DutyWindow is then that weekday's window, paired with the weekend date.
    """
    by_weekday: dict[int, list[DutyWindow]] = {}
    for window in post.windows.order_by("weekday", "start"):
        by_weekday.setdefault(window.weekday, []).append(window)
    stand_in = next((by_weekday[d] for d in range(5) if d in by_weekday), [])
    result: list[tuple[dt.date, DutyWindow]] = []
    for day in school_days(post.school, start, end):
        windows = by_weekday.get(day.weekday())
        if windows is None and day.weekday() >= 5:
            windows = stand_in
        result.extend((day, window) for window in windows or [])
    return result
