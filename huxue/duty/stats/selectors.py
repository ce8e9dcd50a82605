"""Person-times (人次) and duty hours, counted from check-ins: the one place that computes them.

A person-time is a check-in that was not voided, counted on its ``day``. Duty hours are the time
from check-in (``at``) to check-out over the closed ones. Every figure is computed here, by the
database (GROUP BY), for the page, the Excel export, the API and the city's report alike, and every
figure can be listed as its records through ``person_times_records`` with the same filters.

Places: a check-in's post; the post's school; the school's police station (``School.station``);
its district (the school unit's region); its city (the region at the top of that region's path).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Substr, TruncMonth, TruncWeek, TruncYear
from django.db.models.lookups import Exact
from django.utils import timezone

from huxue.duty.models import CheckIn
from huxue.orgs import access
from huxue.orgs.models import Region, Unit
from huxue.people.forces import ForceGroup, ForceType
from huxue.posts.models import Post, School

BY = ("post", "school", "station", "district", "city")
TYPES: tuple[str, ...] = tuple(ForceType.values)
GROUPS: tuple[str, ...] = tuple(ForceGroup.values)
PERIODS = ("all", "day", "week", "month", "year")

_REGION = "post__school__unit__region"
# What a row is keyed by, per level: (id, name, detail shown beside the name).
_PLACE = {
    "post": ("post_id", "post__name", "post__school__unit__name"),
    "school": ("post__school_id", "post__school__unit__name", None),
    "station": ("post__school__station_id", "post__school__station__name", None),
    "district": (f"{_REGION}_id", f"{_REGION}__name", f"{_REGION}__code"),
}
_HOURS = Decimal("0.1")
# A table has at most this many periods per place: 400 days, or 400 weeks.
MAX_PERIODS = 400
_PERIOD_DAYS = {"day": 1, "week": 7}


def this_month() -> tuple[dt.date, dt.date]:
    """The first and last day of the current month (local): the default range."""
    first = timezone.localdate().replace(day=1)
    return first, period_bounds("month", first, first, dt.date.max)[1]


def too_many_periods(start: dt.date, end: dt.date, period: str) -> bool:
    days = _PERIOD_DAYS.get(period)
    if days is None:
        return False
    return ((end - start).days + 1) / days > MAX_PERIODS


# ---- the records counted ---------------------------------------------------------------------


def accepted(queryset: QuerySet[CheckIn], *, start: dt.date, end: dt.date) -> QuerySet[CheckIn]:
    """The person-times among these check-ins: not voided, on a day in [start, end]."""
    return queryset.filter(voided_at__isnull=True, day__gte=start, day__lte=end)


# A region's path is its codes from the root: "/230000/230900/230902/" where a province is on
# top, "/230900/230902/" where the city is. The city is the first code that is not a province's
# (a province's GB/T 2260 code ends in 0000).


def _city_prefix(path: str) -> str:
    """The path of the city a region with this path is in (or is)."""
    codes = [c for c in path.split("/") if c]
    depth = 2 if len(codes) > 1 and codes[0].endswith("0000") else 1
    return "/" + "/".join(codes[:depth]) + "/"


def _city_code() -> Case:
    path = f"{_REGION}__path"
    under_province = When(Exact(Substr(path, 4, 4), Value("0000")), then=Substr(path, 9, 6))
    return Case(under_province, default=Substr(path, 2, 6), output_field=CharField())


def _posts(**lookup: Any) -> Q:
    """Check-ins at the posts matching `lookup`, voided posts included (their history counts).

    A subquery rather than a join: the database then walks the posts' check-ins by index instead
    of every check-in in the range."""
    return Q(post__in=Post.objects.filter(**lookup).values("pk"))


def place_q(by: str, place: int | Region) -> Q:
    """The check-ins of one place at one level (the key of a row of the table)."""
    ident = place.pk if isinstance(place, Region) else place
    if by == "post":
        return Q(post_id=ident)
    if by == "school":
        return _posts(school_id=ident)
    if by == "station":
        return _posts(school__station_id=ident)
    if by == "district":
        return _posts(school__unit__region_id=ident)
    if by == "city":
        region = place if isinstance(place, Region) else Region.objects.filter(pk=place).first()
        if region is None:
            return Q(pk__in=[])
        return _posts(school__unit__region__path__startswith=_city_prefix(region.path))
    raise ValueError(f"unknown level {by!r}")


def _narrow(
    queryset: QuerySet[CheckIn], *, district: Region | None, station: Unit | None
) -> QuerySet[CheckIn]:
    if district is not None:
        queryset = queryset.filter(_posts(school__unit__region__path__startswith=district.path))
    if station is not None:
        queryset = queryset.filter(_posts(school__station=station))
    return queryset


def person_times_total(
    *, region: Region | None = None, unit: Unit | None = None, start: dt.date, end: dt.date
) -> int:
    """Person-times under a region (the schools' regions) or a unit's subtree, unscoped: for the
    system's own use (the demo summary, reports), never for answering a user directly."""
    qs = accepted(CheckIn.objects.all(), start=start, end=end)
    if region is not None:
        qs = qs.filter(_posts(school__unit__region__path__startswith=region.path))
    if unit is not None:
        qs = qs.filter(_posts(school__unit__path__startswith=unit.path))
    return qs.count()


def person_times_records(
    user: Any,
    *,
    start: dt.date,
    end: dt.date,
    by: str = "",
    place: int | Region | None = None,
    force_type: str = "",
    group: str = "",
    district: Region | None = None,
    station: Unit | None = None,
    action: str = "read",
) -> QuerySet[CheckIn]:
    """The check-ins behind one figure of the table, in the user's scope for `action`."""
    qs = access.filter(user, action, CheckIn.objects.all())
    qs = _narrow(accepted(qs, start=start, end=end), district=district, station=station)
    if by and place is not None:
        qs = qs.filter(place_q(by, place))
    if force_type:
        qs = qs.filter(force_type=force_type)
    if group:
        qs = qs.filter(group=group)
    return qs.select_related(
        "person", "post__school__unit__region", "post__school__station"
    ).order_by("-at", "-id")


def city_of(region: Region) -> Region:
    """The city this region is in (itself, for a city), under a province or not."""
    top = _city_prefix(region.path).strip("/").split("/")[-1]
    return region if region.code == top else Region.objects.get(code=top)


# ---- SQL that both databases run natively --------------------------------------------------
# Django's SQLite backend computes datetime differences and date truncation in Python, once per
# row; over a city's history (~170,000 check-ins) that is most of the time. These compile to
# SQLite's own date functions and to plain SQL on PostgreSQL; the tests run on both.


class DutySeconds(Func):
    """Seconds from check-in (``at``) to check-out; NULL while the check-in is open."""

    output_field = FloatField()

    def __init__(self) -> None:
        super().__init__(F("checked_out_at"), F("at"))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra,
        )


class _SqliteDate:
    """Truncate a date with SQLite's date() modifiers instead of a Python function per row."""

    modifier = ""

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.lhs)  # type: ignore[attr-defined]
        return f"date({sql}, {self.modifier})", params


class MonthOf(_SqliteDate, TruncMonth):
    modifier = "'start of month'"


class YearOf(_SqliteDate, TruncYear):
    modifier = "'start of year'"


class WeekOf(_SqliteDate, TruncWeek):
    """The Monday of the ISO week."""

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.lhs)
        back = f"'-' || ((CAST(strftime('%%w', {sql}) AS INTEGER) + 6) %% 7) || ' days'"
        return f"date({sql}, {back})", [*params, *params]


_TRUNC: dict[str, Any] = {"week": WeekOf, "month": MonthOf, "year": YearOf}


# ---- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    id: int
    name: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.detail} · {self.name}" if self.detail else self.name


@dataclass
class Row:
    """One place in one period (or the totals, with neither)."""

    place: Place | None
    period: dt.date | None  # the first day of the period, None for "all"
    start: dt.date  # the days this row counts, within the table's range
    end: dt.date
    by_type: dict[str, int] = field(default_factory=dict)
    by_group: dict[str, int] = field(default_factory=dict)
    total: int = 0
    hours: Decimal = Decimal("0.0")
    members: int = 0
    seconds: float = 0.0  # duty time, unrounded: totals add these up


@dataclass
class Table:
    by: str
    period: str
    start: dt.date
    end: dt.date
    rows: list[Row]
    totals: Row
    types: list[tuple[str, Any]] = field(default_factory=lambda: list(ForceType.choices))
    groups: list[tuple[str, Any]] = field(default_factory=lambda: list(ForceGroup.choices))

    def period_label(self, row: Row) -> str:
        return period_label(self.period, row.period)


def period_label(period: str, first: dt.date | None) -> str:
    if first is None:
        return ""
    if period == "week":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{first:%Y-%m}"
    if period == "year":
        return f"{first:%Y}"
    return first.isoformat()


def period_bounds(
    period: str, first: dt.date | None, start: dt.date, end: dt.date
) -> tuple[dt.date, dt.date]:
    """The days of the period that begins on `first`, clipped to [start, end]."""
    if first is None or period in ("all", ""):
        return start, end
    if period == "day":
        last = first
    elif period == "week":
        last = first + dt.timedelta(days=6)
    elif period == "month":
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        last = following - dt.timedelta(days=1)
    else:
        last = first.replace(month=12, day=31)
    return max(first, start), min(last, end)


def _figures() -> dict[str, Any]:
    """The aggregates of a row: per force type, per force group, total, duty seconds, members."""
    figures: dict[str, Any] = {
        f"t_{value}": Count("id", filter=Q(force_type=value)) for value in TYPES
    }
    figures.update({f"g_{value}": Count("id", filter=Q(group=value)) for value in GROUPS})
    figures["n_total"] = Count("id")
    figures["n_seconds"] = Sum(DutySeconds())
    figures["n_members"] = Count("person_id", distinct=True)
    return figures


def hours_of(seconds: float | Decimal | None) -> Decimal:
    """Duty hours to one decimal, from seconds."""
    if not seconds:
        return Decimal("0.0")
    # Rounded to the second first, so that both databases' float sums give the same tenth.
    whole = Decimal(round(float(seconds)))
    return (whole / 3600).quantize(_HOURS, rounding=ROUND_HALF_UP)


def _fill(row: Row, values: dict[str, Any]) -> Row:
    row.by_type = {t: values[f"t_{t}"] for t in TYPES}
    row.by_group = {g: values[f"g_{g}"] for g in GROUPS}
    row.total = values["n_total"]
    row.seconds = float(values["n_seconds"] or 0)
    row.hours = hours_of(row.seconds)
    row.members = values["n_members"]
    return row


def _add_up(rows: list[Row], *, start: dt.date, end: dt.date, members: int) -> Row:
    """The totals row: the sum of the rows (they partition the check-ins counted), except the
    members, who may be on duty at several places and periods and are counted once."""
    totals = Row(place=None, period=None, start=start, end=end, members=members)
    totals.by_type = {t: sum(r.by_type[t] for r in rows) for t in TYPES}
    totals.by_group = {g: sum(r.by_group[g] for r in rows) for g in GROUPS}
    totals.total = sum(r.total for r in rows)
    totals.seconds = sum(r.seconds for r in rows)
    totals.hours = hours_of(totals.seconds)
    return totals


def person_times(
    user: Any,
    *,
    start: dt.date,
    end: dt.date,
    by: str = "school",
    period: str = "all",
    district: Region | None = None,
    station: Unit | None = None,
) -> Table:
    """Person-times in the user's scope, by place and period: two queries (the GROUP BY of the
    rows, and the members counted once over all of them), plus the names of cities by city."""
    if by not in BY:
        raise ValueError(f"unknown level {by!r}")
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    qs = person_times_records(user, start=start, end=end, district=district, station=station)
    qs = qs.select_related(None).order_by()

    keys: dict[str, Any] = {}
    if by == "city":
        keys["k_id"] = _city_code()
        keys["k_name"] = Value("")
        keys["k_detail"] = Value("")
    else:
        ident, name, detail = _PLACE[by]
        keys["k_id"] = F(ident)
        keys["k_name"] = F(name)
        keys["k_detail"] = F(detail) if detail else Value("")
    if period == "day":
        keys["k_period"] = F("day")
    elif period != "all":
        keys["k_period"] = _TRUNC[period]("day")
    found = list(qs.annotate(**keys).values(*keys).annotate(**_figures()).order_by())

    cities: dict[str, Region] = {}
    if by == "city" and found:
        codes = {values["k_id"] for values in found}
        cities = {r.code: r for r in Region.objects.filter(code__in=codes)}

    rows = []
    for values in found:
        if by == "city":
            region = cities.get(values["k_id"])
            place = Place(region.pk if region else 0, region.name if region else values["k_id"])
        else:
            place = Place(values["k_id"], values["k_name"] or "", values["k_detail"] or "")
        first = _as_date(values.get("k_period"))
        since, until = period_bounds(period, first, start, end)
        rows.append(_fill(Row(place=place, period=first, start=since, end=until), values))
    rows.sort(key=lambda r: (r.place.detail, r.place.name, r.place.id, r.period or start))  # type: ignore[union-attr]

    if len(rows) == 1:
        members = rows[0].members
    else:
        members = qs.aggregate(n=Count("person_id", distinct=True))["n"] if rows else 0
    totals = _add_up(rows, start=start, end=end, members=members)
    return Table(by=by, period=period, start=start, end=end, rows=rows, totals=totals)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


# ---- the places a user may filter by --------------------------------------------------------


def _schools_counted_for(user: Any) -> QuerySet[School]:
    """The schools whose check-ins the user may read (a member: their own school)."""
    return School.objects.filter(access.scope(user, "read", School, as_type="checkin"))


def districts_for(user: Any) -> QuerySet[Region]:
    schools = _schools_counted_for(user)
    return Region.objects.filter(units__school__in=schools).distinct().order_by("code")


def stations_for(user: Any) -> QuerySet[Unit]:
    schools = _schools_counted_for(user)
    return Unit.objects.filter(schools_policed__in=schools).distinct().order_by("path")
