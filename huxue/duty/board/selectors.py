"""The live board: for every post in a user's scope, is it staffed as required right now?

A post's current shift is its non-cancelled shift whose check-in has opened (``early_minutes``
before the window, from the city's duty rules) and whose window has not ended. Who is "on duty"
is the shift's open check-ins (not voided, not checked out), counted by force group against the
shift's requirements:

- green: every group's need is met;
- amber: somebody is on duty but some group is short;
- red: nobody is on duty;
- grey: no duty at this post now.

A grey post says why: its next window today, that today's duty is over, that today is no school
day for its school (a weekend, a holiday, a closure: the school calendar decides, through
``huxue.calendar.selectors.school_days_of``), or that no shift is rostered on a school day.

The number of SQL queries does not depend on the number of posts: the posts (one query), the
duty rules of all their regions (one), today's shifts (over, running or to come) with whether a
gap alert was raised (one) and the open check-ins counted by shift and group (one); and only
when some post has no shift at all today, the school calendar for their schools (three).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huxue.calendar.selectors import CalendarYearUnknown, school_days_of
from huxue.core import rulesets
from huxue.duty.models import CheckIn, DutyRules, GapAlert
from huxue.orgs import access
from huxue.people.forces import GROUP_LABELS, ForceGroup
from huxue.posts.models import Post
from huxue.roster.models import Shift

GREEN, AMBER, RED, GREY = "green", "amber", "red", "grey"
STATUSES = (RED, AMBER, GREEN, GREY)
STATUS_RANK = {status: i for i, status in enumerate(STATUSES)}

STATUS_LABELS = {
    GREEN: _("Staffed as required"),
    AMBER: _("Partly staffed"),
    RED: _("Nobody on duty"),
    GREY: _("No duty now"),
}

# One character per force group for the tiles ("警 1/1 · 保 0/1 · 志 2/2").
GROUP_SHORT: dict[str, Any] = {
    ForceGroup.POLICE: pgettext_lazy("force group, one character", "Police"),
    ForceGroup.GUARD: pgettext_lazy("force group, one character", "Guard"),
    ForceGroup.STAFF: pgettext_lazy("force group, one character", "Staff"),
    ForceGroup.VOLUNTEER: pgettext_lazy("force group, one character", "Volunteer"),
}

GROUP_ORDER = {group: i for i, group in enumerate(ForceGroup.values)}


@dataclass(frozen=True)
class GroupCount:
    group: str
    need: int
    have: int

    @property
    def short(self) -> str:
        return str(GROUP_SHORT.get(self.group, self.group))

    @property
    def label(self) -> str:
        return str(GROUP_LABELS.get(self.group, self.group))

    @property
    def missing(self) -> int:
        return max(self.need - self.have, 0)


@dataclass
class BoardRow:
    post_id: int
    post_name: str
    school_id: int
    school_name: str
    station_id: int
    station_name: str
    district_code: str
    district_name: str
    status: str = GREY
    shift_id: int | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    window: str = ""  # the current window, "07:00–08:00"
    next_window: str = ""  # when there is no duty now: the next window today, if any
    groups: list[GroupCount] = field(default_factory=list)
    gap_alert: bool = False
    duty_today: bool = False  # the post has a shift today (over, running or to come)
    day_off: bool | None = None  # no shift today: True if no school day, None if unknown

    @property
    def need(self) -> int:
        return sum(g.need for g in self.groups)

    @property
    def have(self) -> int:
        return sum(g.have for g in self.groups)

    @property
    def missing(self) -> int:
        return sum(g.missing for g in self.groups)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass(frozen=True)
class Summary:
    green: int
    amber: int
    red: int
    grey: int
    missing: int  # people still needed across the short posts
    day_off: int = 0  # posts whose school has no school day today

    @property
    def no_duty_today(self) -> bool:
        """Not a school day at any post shown (a weekend, a holiday, closures)."""
        return self.total > 0 and self.day_off == self.total

    @property
    def short(self) -> int:
        """Posts on duty now that are not fully staffed."""
        return self.red + self.amber

    @property
    def total(self) -> int:
        return self.green + self.amber + self.red + self.grey

    def items(self) -> list[tuple[str, str, int]]:
        """(status, label, posts) in the order the board lists them: worst first."""
        return [(s, str(STATUS_LABELS[s]), getattr(self, s)) for s in STATUSES]


def board_allowed(user: Any) -> bool:
    """The board is for those who may read both the posts and the check-ins at them (a duty
    member may read their own check-ins, but no post board)."""
    return access.allowed(user, "read", CheckIn) and access.allowed(user, "read", Post)


def board_posts(user: Any) -> Any:
    """The live posts the user may read, with what the tiles show about their place."""
    posts = Post.objects.live().select_related("school__unit__region", "school__station")
    return access.filter(user, "read", posts)


def board_filter_choices(user: Any) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    """The districts (region code, name) and police stations (unit id, name) that hold posts in
    the user's scope, for the board's filters: one query."""
    rows = (
        board_posts(user)
        .order_by()
        .values_list(
            "school__unit__region__code",
            "school__unit__region__name",
            "school__station_id",
            "school__station__name",
        )
        .distinct()
    )
    districts: dict[str, str] = {}
    stations: dict[int, str] = {}
    for code, name, station_id, station_name in rows:
        districts[code] = name
        stations[station_id] = station_name
    return sorted(districts.items()), sorted(stations.items(), key=lambda s: (s[1], s[0]))


def _status(groups: list[GroupCount]) -> str:
    if all(g.have >= g.need for g in groups):
        return GREEN
    if any(g.have for g in groups):
        return AMBER
    return RED


def board(
    user: Any,
    *,
    now: dt.datetime | None = None,
    district: str | None = None,
    station: int | None = None,
) -> list[BoardRow]:
    """Every live post in the user's scope and how it is staffed now. 404 for a user who may not
    read check-ins and posts. ``district`` is a region code (its subtree), ``station`` the unit
    id of a police station (the schools it is 属地 for)."""
    if not board_allowed(user):
        raise Http404
    now = now or timezone.now()
    posts = board_posts(user)
    if district:
        # Region paths are the codes from the root ("/230900/230902/"): a code names its subtree.
        posts = posts.filter(school__unit__region__path__contains=f"/{district}/")
    if station:
        posts = posts.filter(school__station_id=station)
    post_list = list(posts)
    if not post_list:
        return []

    rules = rulesets.nearest_by_region(DutyRules, (p.school.unit.region for p in post_list))
    early = {
        p.pk: dt.timedelta(minutes=rules[p.school.unit.region_id].early_minutes) for p in post_list
    }
    latest_open = max(early.values())
    end_of_day = timezone.make_aware(
        dt.datetime.combine(timezone.localdate(now) + dt.timedelta(days=1), dt.time.min)
    )
    today = timezone.localdate(now)
    shifts = (
        Shift.objects.filter(
            Q(ends_at__gt=now) | Q(day=today),
            post_id__in=[p.pk for p in post_list],
            cancelled_at__isnull=True,
            starts_at__lt=max(end_of_day, now + latest_open),
        )
        .annotate(alerted=Exists(GapAlert.objects.filter(shift=OuterRef("pk"))))
        .order_by("starts_at", "pk")
    )
    current: dict[int, Shift] = {}
    upcoming: dict[int, Shift] = {}
    duty_today: set[int] = set()
    for candidate in shifts:
        if candidate.day == today:
            duty_today.add(candidate.post_id)
        if candidate.ends_at <= now:
            continue
        if candidate.starts_at - early[candidate.post_id] <= now:
            current.setdefault(candidate.post_id, candidate)
        elif candidate.starts_at < end_of_day:
            upcoming.setdefault(candidate.post_id, candidate)

    on_duty: dict[int, dict[str, int]] = defaultdict(dict)
    if current:
        counts = (
            access.filter(
                user,
                "read",
                CheckIn.objects.filter(
                    shift_id__in=[s.pk for s in current.values()],
                    voided_at__isnull=True,
                    checked_out_at__isnull=True,
                ),
            )
            .order_by()
            .values_list("shift_id", "group")
            .annotate(n=Count("pk"))
        )
        for shift_id, group, n in counts:
            on_duty[shift_id][group] = n

    day_off = _days_off([p.school for p in post_list if p.pk not in duty_today], today)
    rows = []
    for post in post_list:
        school = post.school
        row = BoardRow(
            post_id=post.pk,
            post_name=post.name,
            school_id=school.pk,
            school_name=school.unit.name,
            station_id=school.station_id,
            station_name=school.station.name,
            district_code=school.unit.region.code,
            district_name=school.unit.region.name,
            duty_today=post.pk in duty_today,
        )
        shift = current.get(post.pk)
        if shift is None:
            if (later := upcoming.get(post.pk)) is not None:
                row.next_window = later.hours
            if not row.duty_today:
                row.day_off = day_off.get(school.pk)
            rows.append(row)
            continue
        have = on_duty.get(shift.pk, {})
        need = {g: int(n) for g, n in (shift.requirements or {}).items() if int(n) > 0}
        groups = sorted(
            set(need) | {g for g, n in have.items() if n},
            key=lambda g: (GROUP_ORDER.get(g, len(GROUP_ORDER)), g),
        )
        row.groups = [GroupCount(g, need.get(g, 0), have.get(g, 0)) for g in groups]
        row.status = _status(row.groups)
        row.shift_id = shift.pk
        row.starts_at, row.ends_at = shift.starts_at, shift.ends_at
        row.window = shift.hours
        row.gap_alert = bool(getattr(shift, "alerted", False))
        rows.append(row)
    return rows


def _days_off(schools: list[Any], day: dt.date) -> dict[int, bool | None]:
    """For schools whose posts have no shift today: whether today is no school day there (True),
    is one (False), or the calendar cannot tell (None: the year's holidays are not entered)."""
    unique = {school.pk: school for school in schools}
    if not unique:
        return {}
    try:
        days = school_days_of(unique.values(), day, day)
    except CalendarYearUnknown:
        return dict.fromkeys(unique)
    return {pk: day not in days[pk] for pk in unique}


def board_worst_first(rows: Iterable[BoardRow]) -> list[BoardRow]:
    """Red, then amber, green and grey; within a status by district, school and post, so that a
    post keeps its place between two refreshes while its status holds."""
    return sorted(
        rows,
        key=lambda r: (
            STATUS_RANK[r.status],
            r.district_code,
            r.school_name,
            r.post_name,
            r.post_id,
        ),
    )


@dataclass(frozen=True)
class DistrictSummary:
    code: str
    name: str
    posts: int
    red: int
    amber: int
    green: int
    grey: int


def board_districts(rows: Iterable[BoardRow]) -> list[DistrictSummary]:
    """Per district (the school's region) of the rows: posts and posts by status, by code."""
    names: dict[str, str] = {}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for row in rows:
        names[row.district_code] = row.district_name
        counts[row.district_code][row.status] += 1
    return [
        DistrictSummary(
            code=code,
            name=names[code],
            posts=sum(counts[code].values()),
            red=counts[code][RED],
            amber=counts[code][AMBER],
            green=counts[code][GREEN],
            grey=counts[code][GREY],
        )
        for code in sorted(names)
    ]


def board_summary(rows: Iterable[BoardRow]) -> Summary:
    counts = dict.fromkeys(STATUSES, 0)
    missing = day_off = 0
    for row in rows:
        counts[row.status] += 1
        day_off += bool(row.day_off)
        if row.status in (RED, AMBER):
            missing += row.missing
    return Summary(
        green=counts[GREEN],
        amber=counts[AMBER],
        red=counts[RED],
        grey=counts[GREY],
        missing=missing,
        day_off=day_off,
    )
