"""A member's own duty hours (我的服务时长): this month, this school term and all time.

Counted by the rule of the person-times statistics (``huxue.duty.stats.selectors``), so that a
member's figures and the city's agree: a check-in is a person-time unless voided (``accepted``);
its duty time runs from check-in to check-out (``DutySeconds``), so a check-in still open counts
as a person-time whose hours come when it is closed; hours are rounded as there (``hours_of``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from huxue.calendar.models import Term
from huxue.calendar.selectors import terms_for_region
from huxue.duty.models import CheckIn
from huxue.duty.stats import selectors as stats
from huxue.orgs import access
from huxue.orgs.models import Region
from huxue.people.models import Person

PERIODS = ("month", "term", "all")
# "All time" as a range of days, so that every figure is counted by the same ``accepted``.
_EVER = (dt.date.min, dt.date.max)


@dataclass(frozen=True)
class Tally:
    """One period's figures: the days it covers (all time: _EVER), person-times and hours."""

    period: str
    start: dt.date
    end: dt.date
    person_times: int
    hours: Decimal

    @property
    def all_time(self) -> bool:
        return (self.start, self.end) == _EVER


@dataclass(frozen=True)
class Summary:
    month: Tally
    term: Tally | None  # None when no term of the member's schools covers today
    school_term: Term | None
    all_time: Tally

    def tally(self, period: str) -> Tally | None:
        return {"month": self.month, "term": self.term, "all": self.all_time}.get(period)


def own_checkins(user: Any, *, person: Person) -> QuerySet[CheckIn]:
    """The member's own check-ins, within what the user may read: a lead who also stands duty
    sees here only their own, never their school's."""
    return access.filter(user, "read", CheckIn.objects.filter(person=person))


def _covering(region: Region, today: dt.date) -> Term | None:
    """The term covering today for a school in this region: the nearest region's up the tree
    (a county's own term before its city's)."""
    return (
        terms_for_region(region)
        .filter(start__lte=today, end__gte=today)
        .order_by("-region__path", "start")
        .first()
    )


def term_of(person: Person, *, today: dt.date) -> Term | None:
    """The school term covering today at the member's schools: their own unit's, else one of
    the schools where they have stood duty."""
    term = _covering(person.unit.region, today)
    if term is not None:
        return term
    where_on_duty = CheckIn.objects.filter(person=person).values("post__school__unit__region_id")
    others = Region.objects.filter(pk__in=where_on_duty).exclude(pk=person.unit.region_id)
    for region in others.order_by("path"):
        if (term := _covering(region, today)) is not None:
            return term
    return None


def _tally(checkins: QuerySet[CheckIn], period: str, start: dt.date, end: dt.date) -> Tally:
    figures = stats.accepted(checkins, start=start, end=end).aggregate(
        n=Count("id"), seconds=Sum(stats.DutySeconds())
    )
    return Tally(
        period=period,
        start=start,
        end=end,
        person_times=figures["n"],
        hours=stats.hours_of(figures["seconds"]),
    )


def month_of(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today.replace(day=1)
    return stats.period_bounds("month", first, first, dt.date.max)


def summary_of(user: Any, *, person: Person, today: dt.date) -> Summary:
    """The member's figures for this month, this term and all time (three small queries, and
    the term's)."""
    checkins = own_checkins(user, person=person).order_by()
    term = term_of(person, today=today)
    return Summary(
        month=_tally(checkins, "month", *month_of(today)),
        term=_tally(checkins, "term", term.start, term.end) if term else None,
        school_term=term,
        all_time=_tally(checkins, "all", *_EVER),
    )


def records_of(user: Any, *, person: Person, tally: Tally) -> QuerySet[CheckIn]:
    """The check-ins behind one of the figures, latest first, each with its duty ``seconds``
    (None while open)."""
    return (
        stats.accepted(own_checkins(user, person=person), start=tally.start, end=tally.end)
        .annotate(seconds=stats.DutySeconds())
        .select_related("post__school__unit")
        .order_by("-at", "-id")
    )
