"""The monthly ranking (通报): per police station or per school, for a month, what supervision
found — rounds walked, their average score, items failed, hazards reported, still open and
overdue at the month's end, and how long the rectifications closed that month took. Read
through the reader's scope (``rounds_visible_to``, ``hazards_visible_to``); ranked by average
score, most rounds first among equals. The page, the .xlsx and the PDF all read ``ranking()``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from huxue.supervision.models import InspectionRound, RoundAnswer
from huxue.supervision.selectors import hazards_visible_to, rectified, rounds_visible_to

BY = ("station", "school")


@dataclass
class RankRow:
    place: str
    rounds: int = 0
    scores: list[Decimal] = field(default_factory=list)
    failed_items: int = 0
    hazards_reported: int = 0
    hazards_open: int = 0
    hazards_overdue: int = 0
    rectified: int = 0
    rectify_days: list[float] = field(default_factory=list)
    rank: int = 0

    @property
    def average_score(self) -> Decimal | None:
        if not self.scores:
            return None
        mean = sum(self.scores, Decimal(0)) / len(self.scores)
        return mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def average_rectify_days(self) -> Decimal | None:
        if not self.rectify_days:
            return None
        mean = Decimal(str(sum(self.rectify_days) / len(self.rectify_days)))
        return mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Ranking:
    by: str
    month: dt.date  # its first day
    end: dt.date  # its last day
    rows: list[RankRow]


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _place(school: Any, by: str) -> tuple[int, str]:
    if by == "station":
        return school.station_id, school.station.name
    return school.pk, school.unit.name


def ranking(user: Any, *, month: dt.date, by: str = "station") -> Ranking:
    if by not in BY:
        raise ValueError(by)
    first, last = month_bounds(month)
    end_moment = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time()))
    rows: dict[int, RankRow] = {}

    def row(school: Any) -> RankRow:
        key, name = _place(school, by)
        if key not in rows:
            rows[key] = RankRow(place=name)
        return rows[key]

    rounds = list(
        rounds_visible_to(user)
        .filter(status=InspectionRound.Status.SUBMITTED, at__date__gte=first, at__date__lte=last)
        .select_related("post__school__unit", "post__school__station")
    )
    for r in rounds:
        target = row(r.post.school)
        target.rounds += 1
        if r.score is not None:
            target.scores.append(r.score)
    failed: dict[int, int] = defaultdict(int)
    for round_id in RoundAnswer.objects.filter(
        round__in=[r.pk for r in rounds], result=RoundAnswer.Result.FAIL
    ).values_list("round_id", flat=True):
        failed[round_id] += 1
    for r in rounds:
        row(r.post.school).failed_items += failed.get(r.pk, 0)

    hazards = hazards_visible_to(user).select_related("school__unit", "school__station")
    for h in hazards.filter(reported_at__date__gte=first, reported_at__date__lte=last):
        row(h.school).hazards_reported += 1
    # Open at the month's end: reported by then and not closed by then.
    open_then = hazards.filter(reported_at__lt=end_moment).exclude(closed_at__lt=end_moment)
    for h in open_then:
        target = row(h.school)
        target.hazards_open += 1
        if h.deadline is not None and h.deadline <= last:
            target.hazards_overdue += 1
    for h in rectified(hazards, start=first, end=last):
        target = row(h.school)
        target.rectified += 1
        if h.closed_at is not None:
            target.rectify_days.append((h.closed_at - h.reported_at).total_seconds() / 86400)

    ordered = sorted(
        rows.values(),
        key=lambda r: (
            r.average_score is None,
            -(r.average_score or 0),
            -r.rounds,
            r.place,
        ),
    )
    for index, place in enumerate(ordered, start=1):
        place.rank = index
    return Ranking(by=by, month=first, end=last, rows=ordered)


def ranking_table(table: Ranking) -> tuple[list[str], list[list[Any]]]:
    """The ranking as a header and rows (Excel and PDF)."""
    header = [
        _("Rank"),
        _("Police station") if table.by == "station" else _("School"),
        _("Rounds"),
        _("Average score"),
        _("Items failed"),
        _("Hazards reported"),
        _("Hazards open at month end"),
        _("of them overdue"),
        _("Hazards rectified"),
        _("Average days to rectify"),
    ]
    rows = [
        [
            r.rank,
            r.place,
            r.rounds,
            r.average_score,
            r.failed_items,
            r.hazards_reported,
            r.hazards_open,
            r.hazards_overdue,
            r.rectified,
            r.average_rectify_days,
        ]
        for r in table.rows
    ]
    return header, rows
