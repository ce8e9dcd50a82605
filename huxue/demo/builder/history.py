"""Duty history of the demo city (issues 3 and 4): weekly rosters and check-ins, as records.

Two periods are simulated with one generator:

* **The source's period**, 2019-01-01 … 2022-02-23 (the day the report was published). The pilot
  at 市第六小学 ran from the spring of 2019; after the on-site meeting of 2019-09-30 the other
  schools' posts went live one after another until all 222 were live by the end of 2019; in the
  spring of 2020 the schools stayed closed for the epidemic (a closure per school, reopening by
  stage) and the staff at the gate grew as volunteers joined. The period holds exactly the
  source's **169,600** accepted check-ins (人次): the total is split over the school days by
  largest remainder over a daily weight curve, so it is exact by construction.
* **The recent weeks**: the three weeks before this one and this week, so today's pages (the
  board, statistics, "my shifts") have current records. Every shift of those weeks is written;
  check-ins only for the days before today.

School days come from the product's own calendar (``shift_dates``: terms, the national holidays
and make-up working days, closures), so a history shift only falls where the product would have
made one. For the old period only the windows someone staffed are written as shifts, which keeps
the table to tens of thousands of rows.

Each week gets a roster, as issue 3 has them: a solver run for the city (its slots and filled
figures; the per-slot explanations of unfilled slots are not made up for the past, ``unfilled``
stays empty), the assignments (members who signed up, with their sign-ups, the rest from the
solver) and a published version per school. Members are chosen
the way the solver may choose them: the force group the slot needs, from the school's own pool
(officers of its station, guards of the security company of its district, its own security staff,
teachers and parents, community volunteers of the school or station), vetted and trained by
then, available that weekday, within the weekly cap, and at one gate at a time (a member does at
most one morning and one afternoon window a day; every morning window ends before any afternoon
window starts). A few rostered members do not come; a few people come without being rostered
(walk-ins, flagged); a few check-ins arrive late from an offline phone (flagged). Flags are set
by the product's own rule (``huxue.duty.checkin.rules.judge``).

Rows are written with ``bulk_create`` at the end, in one transaction, under ids handed out as they
are made (a check-in names its shift and assignment before either is written); then the id
sequences are reset.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.test.utils import override_settings
from django.utils import timezone

from huxue.calendar.models import Closure
from huxue.calendar.selectors import CalendarYearUnknown, shift_dates, terms_for_region
from huxue.calendar.services import closure_create
from huxue.core import rulesets
from huxue.core.geo import distance_m, offset
from huxue.demo import data
from huxue.duty.checkin.rules import Window, judge, radius_m
from huxue.duty.models import CheckIn, DutyRules
from huxue.orgs.models import Membership, Region, Unit
from huxue.orgs.roles import Role
from huxue.people.forces import GROUP_OF, ForceGroup, ForceType
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.roster.models import (
    Assignment,
    Availability,
    CityRules,
    RosterRun,
    RosterVersion,
    Shift,
    SignUp,
)

M = TypeVar("M", bound=models.Model)

PERSON_TIMES = 169_600  # 群防群治工作出动人员169600人次 (the source)
HISTORY_START = dt.date(2019, 1, 1)
HISTORY_END = data.AS_OF
RECENT_WEEKS = 4  # this week and the three before it
RECENT_FILL = 0.9  # share of the required slots that someone checked in for, lately

# The rollout after the on-site meeting: the first school days after the National Day holiday
# until a week before the winter; every post is live by the end of 2019.
ROLLOUT_FIRST = dt.date(2019, 10, 8)
ROLLOUT_LAST = dt.date(2019, 12, 20)
ALL_LIVE_BY = dt.date(2019, 12, 31)

# Spring 2020: the schools stayed closed for the epidemic and reopened by stage (taught online).
EPIDEMIC_FROM = dt.date(2020, 3, 1)
EPIDEMIC_UNTIL: dict[str, dt.date] = {
    School.Stage.HIGH: dt.date(2020, 4, 6),
    School.Stage.MIDDLE: dt.date(2020, 4, 26),
    School.Stage.NINE_YEAR: dt.date(2020, 5, 10),
    School.Stage.PRIMARY: dt.date(2020, 5, 31),
}
EPIDEMIC_NOTE = "新冠肺炎疫情防控，停课期间线上教学"

GROUP_ORDER = (ForceGroup.POLICE, ForceGroup.GUARD, ForceGroup.STAFF, ForceGroup.VOLUNTEER)
SLOT_TAKEN = 0.9  # a chosen window's slot is rostered unless the lead left it (or nobody fits)
NO_SHOW = 0.04  # rostered but never checked in
WALK_IN = 0.05  # per staffed window: one more volunteer came without being rostered
LATE = 0.06
DELAYED = 0.015  # of phone check-ins: queued offline, sent later
OUTSIDE = 0.02  # of positioned check-ins: outside the geofence
AUTO_CHECKOUT = 0.03
SIGNED_UP: dict[str, float] = {ForceGroup.VOLUNTEER: 0.55, ForceGroup.STAFF: 0.3}
# Methods by year (QR poster, phone location, roll call): roll call first, phones later.
METHODS = {
    2019: (0.30, 0.10, 0.60),
    2020: (0.40, 0.20, 0.40),
    2021: (0.45, 0.30, 0.25),
    2022: (0.45, 0.32, 0.23),
}
METHODS_NOW = (0.50, 0.38, 0.12)
FIRST_TRAINING_DAYS = 45  # people.py: the first training came 5–45 days after vetting


# --- pure parts ------------------------------------------------------------------------------


def largest_remainder(weights: Sequence[float], total: int) -> list[int]:
    """``total`` split in proportion to ``weights`` as integers that add up to exactly ``total``.

    Weights are scaled to integers first, so the arithmetic is exact; ties go to the earlier item.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("weights and total must not be negative")
    scaled = [round(w * 1_000_000) for w in weights]
    whole = sum(scaled)
    if whole == 0:
        if total:
            raise ValueError("nothing to share the total over")
        return [0] * len(weights)
    shares = [w * total // whole for w in scaled]
    rests = [w * total % whole for w in scaled]
    short = total - sum(shares)
    for i in sorted(range(len(scaled)), key=lambda i: (-rests[i], i))[:short]:
        shares[i] += 1
    return shares


def demo_shape(day: dt.date, term_start: dt.date | None) -> float:
    """How busy a gate is on a day, all else equal: the pilot (a showcase, fully staffed), the
    first weeks of a term (开学季), the weeks after the epidemic reopening; fewer in the dark
    winter mornings."""
    factor = 2.5 if day < data.ROLLOUT else 1.0
    if term_start is not None and (day - term_start).days < 14:
        factor *= 1.3
    if dt.date(2020, 4, 1) <= day <= dt.date(2020, 7, 15):
        factor *= 1.25
    if (day.month, day.day) >= (12, 10) or day.month == 1:
        factor *= 0.85
    factor *= {0: 1.08, 4: 1.04}.get(day.weekday(), 1.0)
    return factor


def plan_rollout(
    seed: int, schools: Sequence[tuple[int, bool, Sequence[int]]]
) -> dict[int, dt.date]:
    """Post id → the day it went live. ``schools``: (school id, is pilot, its post ids, main
    gate first). The pilot's posts from PILOT_START; the others' main gates spread over the
    rollout (quickly at first, then the stragglers), their other gates up to two weeks later."""
    rng = random.Random(f"huxue-demo:{seed}:rollout")
    live: dict[int, dt.date] = {}
    others = [s for s in schools if not s[1]]
    rng.shuffle(others)
    span = (ROLLOUT_LAST - ROLLOUT_FIRST).days
    for _school, pilot, posts in schools:
        if pilot:
            live.update(dict.fromkeys(posts, data.PILOT_START))
    for i, (_school, _pilot, posts) in enumerate(others):
        share = (i + rng.random()) / max(1, len(others))
        main = ROLLOUT_FIRST + dt.timedelta(days=round(span * share**1.6))
        for index, post in enumerate(posts):
            later = dt.timedelta(days=rng.randint(0, 14)) if index else dt.timedelta(0)
            live[post] = min(main + later, ALL_LIVE_BY)
    return live


# --- the simulation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    checkins_before: dt.date  # no check-ins on or after this day (today)
    target: int | None = None  # exact number of accepted check-ins before checkins_before
    fill: float = 0.0  # without a target: this share of the required slots checks in
    all_shifts: bool = False  # write every shift of the period, not only the staffed ones
    stream: str = "history"


@dataclass
class HistoryCounts:
    days: int = 0
    shifts: int = 0
    assignments: int = 0
    signups: int = 0
    checkins: int = 0
    runs: int = 0
    versions: int = 0
    skipped: str = ""


@dataclass(frozen=True)
class _PostWindow:
    post: int  # index into the posts list
    start: dt.time
    end: dt.time
    weekday: int  # the weekday whose windows (and members' availability) apply
    morning: bool


@dataclass
class _Member:
    pk: int
    group: str
    force_type: str
    since: dt.date | None  # eligible from (None: never)
    until: dt.date | None  # eligible until (None: open)
    trained_now: bool
    free: dict[int, list[tuple[dt.time, dt.time]]] = field(default_factory=dict)
    shapes: set[tuple[int, dt.time, dt.time]] = field(default_factory=set)  # windows they can do
    favoured: bool = False  # linked to a demo login: shown first, so its pages have records


@dataclass
class _Duty:
    pw: _PostWindow
    day: dt.date
    member: int
    group: str
    rostered: bool
    present: bool


def _eligible(m: _Member, day: dt.date) -> bool:
    """Vetted and trained by then; after the source's date, the statuses as recorded now."""
    if m.since is None:
        return False
    if day > data.AS_OF:
        return m.trained_now and m.since <= day
    return m.since <= day and (m.until is None or day <= m.until)


def _eligible_in(m: _Member, monday: dt.date, sunday: dt.date) -> bool:
    """Eligible on some day from monday to sunday."""
    if m.since is None or m.since > sunday:
        return False
    if monday > data.AS_OF:
        return m.trained_now
    if sunday <= data.AS_OF:
        return m.until is None or m.until >= monday
    return any(_eligible(m, monday + dt.timedelta(days=i)) for i in range(7))


def _member(row: Mapping[str, Any]) -> _Member:
    vetted_on, trained_on = row["vetted_on"], row["trained_on"]
    since = until = None
    passed = row["vetting_status"] == Person.Vetting.PASSED and vetted_on is not None
    if passed and trained_on is not None and row["training_status"] != Person.Training.NONE:
        # trained_on is the last training: the first one, or a refresher; the first came at most
        # FIRST_TRAINING_DAYS after vetting (or after the pilot began, for officers vetted earlier)
        first_by = max(vetted_on, data.PILOT_START) + dt.timedelta(days=FIRST_TRAINING_DAYS)
        since = max(vetted_on, min(trained_on, first_by))
        if row["training_status"] == Person.Training.EXPIRED:
            until = trained_on + dt.timedelta(days=data.TRAINING_VALID_DAYS)
    return _Member(
        pk=row["pk"],
        group=GROUP_OF[row["force_type"]],
        force_type=row["force_type"],
        since=since,
        until=until,
        trained_now=passed and row["training_status"] == Person.Training.TRAINED,
        favoured=row["user_id"] is not None,
    )


class _Simulation:
    def __init__(self, seed: int, region: Region, period: Period) -> None:
        self.rng = random.Random(f"huxue-demo:{seed}:{period.stream}")
        self.seed = seed
        self.region = region
        self.period = period
        self.cap = rulesets.nearest(CityRules, region).shifts_per_member_week
        self.rules: DutyRules = rulesets.nearest(DutyRules, region)
        self.monday = period.start

    # loading ---------------------------------------------------------------------------------

    def load(self, live_from: Mapping[int, dt.date] | None) -> None:
        posts = list(
            Post.objects.filter(
                school__unit__region__path__startswith=self.region.path, voided_at__isnull=True
            )
            .select_related("school__unit__region", "school__station")
            .prefetch_related("windows", "requirements")
            .order_by("pk")
        )
        self.posts = posts
        self.requirements = [
            {r.group: r.minimum for r in p.requirements.all() if r.minimum > 0} for p in posts
        ]
        self.by_day: dict[dt.date, list[_PostWindow]] = defaultdict(list)
        # shift_dates depends only on the post's windows and its school's calendar: the terms of
        # the school's region and the school's own closures (see school_days). Posts with the
        # same windows under the same calendar share one answer: a city's hundred schools have a
        # handful of calendars.
        closures: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
        for school, start, end in (
            Closure.objects.filter(
                school__in={p.school_id for p in posts},
                voided_at__isnull=True,
                start__lte=self.period.end,
                end__gte=self.period.start,
            )
            .order_by("school_id", "start", "end")
            .values_list("school_id", "start", "end")
        ):
            closures[school].append((start, end))
        answers: dict[tuple[Any, ...], list[tuple[dt.date, Any]]] = {}
        for index, post in enumerate(posts):
            first = (live_from or {}).get(post.pk, self.period.start)
            start = max(first, self.period.start)
            if start > self.period.end:
                continue
            key = (
                post.school.unit.region_id,
                tuple(closures[post.school_id]),
                tuple((w.weekday, w.start, w.end) for w in post.windows.all()),
            )
            if key not in answers:
                answers[key] = shift_dates(post, self.period.start, self.period.end)
            for day, window in answers[key]:
                if day < start:
                    continue
                self.by_day[day].append(
                    _PostWindow(
                        index, window.start, window.end, window.weekday, window.start.hour < 12
                    )
                )
        self.days = sorted(self.by_day)
        self.first_day: dict[int, dt.date] = {}
        for day in self.days:
            for pw in self.by_day[day]:
                self.first_day.setdefault(pw.post, day)
        self._load_people()

    def _load_people(self) -> None:
        rows = Person.objects.filter(
            unit__region__path__startswith=self.region.path, voided_at__isnull=True
        ).values(
            "pk",
            "unit_id",
            "force_type",
            "vetting_status",
            "vetted_on",
            "training_status",
            "trained_on",
            "user_id",
        )
        self.members: dict[int, _Member] = {}
        by_unit: dict[tuple[int, str], list[int]] = defaultdict(list)
        for row in rows:
            m = _member(row)
            self.members[m.pk] = m
            by_unit[(row["unit_id"], row["force_type"])].append(m.pk)
        for a in Availability.objects.filter(person_id__in=list(self.members)).order_by(
            "person_id", "weekday", "start"
        ):
            self.members[a.person_id].free.setdefault(a.weekday, []).append((a.start, a.end))
        shapes = {(pw.weekday, pw.start, pw.end) for pws in self.by_day.values() for pw in pws}
        for m in self.members.values():
            m.shapes = {
                (weekday, start, end)
                for weekday, start, end in shapes
                if any(s <= start and e >= end for s, e in m.free.get(weekday, ()))
            }
        # The security companies a school's guards come from: those of its district or of a
        # region above it (as the solver reaches them).
        companies = [
            (path, pk)
            for pk, path in Unit.objects.filter(
                kind=Unit.Kind.SECURITY_COMPANY, region__path__startswith=self.region.path
            )
            .order_by("pk")
            .values_list("pk", "region__path")
        ]
        self.pools: dict[tuple[int, str], list[int]] = {}
        for school in {p.school for p in self.posts}:
            station = school.station_id
            pool = {
                ForceGroup.POLICE: by_unit[(station, ForceType.POLICE)]
                + by_unit[(station, ForceType.AUXILIARY)],
                ForceGroup.GUARD: by_unit[(school.unit_id, ForceType.SCHOOL_SECURITY)]
                + [
                    pk
                    for path, company in companies
                    if school.unit.region.path.startswith(path)
                    for pk in by_unit[(company, ForceType.GUARD)]
                ],
                ForceGroup.STAFF: by_unit[(school.unit_id, ForceType.STAFF)],
                ForceGroup.VOLUNTEER: by_unit[(school.unit_id, ForceType.PARENT)]
                + by_unit[(school.unit_id, ForceType.COMMUNITY)]
                + by_unit[(station, ForceType.COMMUNITY)],
            }
            for group, pks in pool.items():
                self.pools[(school.pk, group)] = sorted(pks)
        self._weekly: dict[tuple[int, str, dt.date], tuple[list[int], list[int]]] = {}

    # weights and quotas ----------------------------------------------------------------------

    def weights(self, shape: Callable[[dt.date, dt.date | None], float]) -> list[float]:
        """Per school day: the slots its live windows need, bounded by the people who could
        stand in them, times the shape of the day."""
        terms = self._term_starts()
        weights = []
        reaches: dict[tuple[dt.date, frozenset[int]], dict[str, int]] = {}
        for day in self.days:
            need: dict[str, float] = defaultdict(float)
            schools: set[int] = set()
            for pw in self.by_day[day]:
                schools.add(self.posts[pw.post].school_id)
                for group, n in self.requirements[pw.post].items():
                    need[group] += n
            key = (day - dt.timedelta(days=day.weekday()), frozenset(schools))
            reach = reaches.get(key)
            if reach is None:
                reach = {}
                for group in GROUP_ORDER:
                    people: set[int] = set()
                    for school in schools:
                        rest, favoured = self._eligible_in_week(school, group, key[0])
                        people.update(rest, favoured)
                    reach[group] = len(people)
                reaches[key] = reach
            # A member stands at most a few windows a week: the people bound the slots that can
            # be staffed. The weight lies between what the windows need and what the people can
            # give, so the early days (few volunteers yet) are busy but not overfull.
            slots = sum(need.values())
            cap = sum(min(need[g], 0.6 * reach[g]) for g in GROUP_ORDER)
            weights.append(math.sqrt(slots * cap) * shape(day, terms(day)))
        return weights

    def _term_starts(self) -> Callable[[dt.date], dt.date | None]:
        spans = list(terms_for_region(self.region).values_list("start", "end"))

        def start_of(day: dt.date) -> dt.date | None:
            return next((s for s, e in spans if s <= day <= e), None)

        return start_of

    def _eligible_in_week(
        self, school: int, group: str, monday: dt.date
    ) -> tuple[list[int], list[int]]:
        """The pool's members eligible on some day of the week from ``monday`` (the rest, and
        those linked to a login); each pick still checks the exact day."""
        key = (school, group, monday)
        found = self._weekly.get(key)
        if found is None:
            sunday = monday + dt.timedelta(days=6)
            members = [self.members[pk] for pk in self.pools.get((school, group), [])]
            eligible = [m for m in members if _eligible_in(m, monday, sunday)]
            found = (
                [m.pk for m in eligible if not m.favoured],
                [m.pk for m in eligible if m.favoured],
            )
            self._weekly[key] = found
        return found

    # choosing people -------------------------------------------------------------------------

    def _pick(self, school: int, group: str, pw: _PostWindow, day: dt.date) -> int | None:
        """A member of the pool who may stand this window: free at that hour of that weekday,
        eligible that day, not at another gate then, under the weekly cap. Members linked to a
        demo login are asked first; the rest from a random place in the pool onwards."""
        rest, favoured = self._eligible_in_week(school, group, self.monday)
        busy, load, cap, members = self.busy[pw.morning], self.week_load, self.cap, self.members
        shape = (pw.weekday, pw.start, pw.end)

        def fits(pk: int) -> bool:
            if pk in busy or load[pk] >= cap:
                return False
            m = members[pk]
            return shape in m.shapes and _eligible(m, day)

        for pk in favoured:
            if self.rng.random() < 0.7 and fits(pk):
                return pk
        n = len(rest)
        if not n:
            return None
        first = self.rng.randrange(n)
        for pk in rest[first:]:
            if fits(pk):
                return pk
        for pk in rest[:first]:
            if fits(pk):
                return pk
        return None

    def _take(self, pk: int, pw: _PostWindow) -> None:
        self.busy[pw.morning].add(pk)
        self.week_load[pk] += 1

    def run(self, quotas: Sequence[int]) -> list[_Duty]:
        """Day by day, windows in a weighted random order, their slots filled until the day's
        quota of present members is reached; a shortfall carries over to the next day, and must
        be made up before the first day without check-ins."""
        duties: list[_Duty] = []
        carry = 0
        week: dt.date | None = None
        self.week_load: dict[int, int] = defaultdict(int)
        self.shortfall_days = 0
        for day, quota in zip(self.days, quotas, strict=True):
            if day >= self.period.checkins_before and carry:
                break
            monday = day - dt.timedelta(days=day.weekday())
            if monday != week:
                week, self.week_load = monday, defaultdict(int)
            self.monday = monday
            self.busy: dict[bool, set[int]] = {True: set(), False: set()}
            left = quota + carry
            windows = self.by_day[day]
            # bigger posts come up more often; a post on its first day comes first (it opens
            # with its people at the gate)
            keyed = [
                (
                    self.rng.random() ** (1.0 / max(1, sum(self.requirements[pw.post].values())))
                    + (self.first_day[pw.post] == day),
                    i,
                )
                for i, pw in enumerate(windows)
            ]
            order = [i for _key, i in sorted(keyed, reverse=True)]
            filled: dict[tuple[int, str], int] = defaultdict(int)
            # First pass: windows in order, each slot taken unless the lead left it open; a
            # second pass takes the open slots too, when the day's quota is not met yet.
            for taken in (SLOT_TAKEN, 1.0):
                for i in order:
                    if left <= 0:
                        break
                    pw = windows[i]
                    school = self.posts[pw.post].school_id
                    staffed = False
                    for group in GROUP_ORDER:
                        for _ in range(self.requirements[pw.post].get(group, 0) - filled[i, group]):
                            if left <= 0 or self.rng.random() > taken:
                                continue
                            pk = self._pick(school, group, pw, day)
                            if pk is None:
                                break
                            self._take(pk, pw)
                            filled[i, group] += 1
                            present = self.rng.random() >= NO_SHOW
                            duties.append(_Duty(pw, day, pk, group, True, present))
                            left -= present
                            staffed = True
                    if staffed and taken < 1 and left > 0 and self.rng.random() < WALK_IN:
                        pk = self._pick(school, ForceGroup.VOLUNTEER, pw, day)
                        if pk is not None:
                            self._take(pk, pw)
                            duties.append(_Duty(pw, day, pk, ForceGroup.VOLUNTEER, False, True))
                            left -= 1
            if day < self.period.checkins_before:
                carry = max(0, left)
                self.shortfall_days += carry > 0
        if carry and self.period.target is not None:
            raise RuntimeError(
                f"the history could not place {carry} of its {sum(quotas)} check-ins: "
                "too few eligible members for the target"
            )
        return duties


# --- writing ---------------------------------------------------------------------------------


BATCH = 2_000  # rows per INSERT where the database takes that many (SQLite: fewer, by its limit)


@contextmanager
def _as_written(model: type[models.Model]) -> Iterator[None]:
    """Let the rows keep the times they were given: the history is backdated, and auto_now
    (auto_now_add) would stamp them with today."""
    stamped = [
        (f, f.auto_now, f.auto_now_add)
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)
    ]
    for f, _now, _add in stamped:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, add in stamped:
            f.auto_now, f.auto_now_add = now, add


class _Rows(Generic[M]):
    """New rows of one model, kept until ``flush`` writes them with bulk_create. Each gets its
    id when it is added, after the table's highest, so the rows made later can refer to it."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.objs: list[M] = []
        self.next_id = (model._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1

    def add(self, **values: Any) -> int:
        pk = self.next_id
        self.next_id += 1
        self.objs.append(self.model(id=pk, **values))
        return pk

    def flush(self) -> int:
        # Under DEBUG, Django renders every statement with its values for the query log (on
        # SQLite by asking the database to quote each value): for the history's half a million
        # rows that was a sixth of the demo's build. These inserts are not worth logging.
        with _as_written(self.model), override_settings(DEBUG=False):
            self.model._default_manager.bulk_create(self.objs, batch_size=BATCH)
        written = len(self.objs)
        self.objs = []
        return written


def reset_sequences(*written: type[models.Model]) -> None:
    """After rows written with the ids ``_Rows`` gave them, move PostgreSQL's id sequences past
    them (a no-op on SQLite). The ORM has no statement for this; Django's own
    ``sequence_reset_sql`` (what ``sqlsequencereset`` prints) is it."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(written)):
            cursor.execute(sql)


def _local(day: dt.date, at: dt.time) -> dt.datetime:
    """A wall-clock time in Shanghai as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, at), data.TZ)


@functools.lru_cache(maxsize=65_536)
def _utc(day: dt.date, at: dt.time) -> dt.datetime:
    """The same moment in UTC, the form the rows are written in."""
    return _local(day, at).astimezone(dt.UTC)


def _near(lat: float, lon: float, metres: float, rng: random.Random) -> tuple[Decimal, Decimal]:
    bearing = rng.uniform(0, 2 * math.pi)
    there = offset(lat, lon, metres * math.cos(bearing), metres * math.sin(bearing))
    return Decimal(f"{there[0]:.6f}"), Decimal(f"{there[1]:.6f}")


class _Writer:
    def __init__(self, sim: _Simulation) -> None:
        self.sim = sim
        self.rng = random.Random(f"huxue-demo:{sim.seed}:{sim.period.stream}:records")
        self.shifts = _Rows(Shift)
        self.runs = _Rows(RosterRun)
        self.assignments = _Rows(Assignment)
        self.signups = _Rows(SignUp)
        self.versions = _Rows(RosterVersion)
        self.checkins = _Rows(CheckIn)
        self.leads = self._leads()
        self.geometry = {
            p.pk: (float(p.latitude), float(p.longitude), radius_m(sim.rules, p.geofence_m))
            for p in sim.posts
        }

    def _leads(self) -> dict[int, int]:
        """Unit id → a user who takes roll call there: the school's lead, else the station's."""
        found: dict[int, int] = {}
        for unit_id, user_id in (
            Membership.objects.filter(role__in=[Role.SCHOOL_LEAD, Role.STATION])
            .order_by("-role", "pk")
            .values_list("unit_id", "user_id")
        ):
            if unit_id is not None:
                found.setdefault(unit_id, user_id)
        return found

    def write(self, duties: list[_Duty]) -> HistoryCounts:
        sim, period = self.sim, self.sim.period
        counts = HistoryCounts(days=len(sim.days))
        by_window: dict[tuple[dt.date, _PostWindow], list[_Duty]] = defaultdict(list)
        for duty in duties:
            by_window[(duty.day, duty.pw)].append(duty)
        weeks: dict[dt.date, list[tuple[dt.date, _PostWindow]]] = defaultdict(list)
        for day in sim.days:
            for pw in sim.by_day[day]:
                if period.all_shifts or (day, pw) in by_window:
                    weeks[day - dt.timedelta(days=day.weekday())].append((day, pw))
        for monday in sorted(weeks):
            self._week(monday, weeks[monday], by_window, counts)
        counts.shifts = self.shifts.flush()
        counts.runs = self.runs.flush()
        counts.assignments = self.assignments.flush()
        counts.signups = self.signups.flush()
        counts.versions = self.versions.flush()
        counts.checkins = self.checkins.flush()
        reset_sequences(Shift, RosterRun, Assignment, SignUp, RosterVersion, CheckIn)
        return counts

    def _week(
        self,
        monday: dt.date,
        windows: list[tuple[dt.date, _PostWindow]],
        by_window: Mapping[tuple[dt.date, _PostWindow], list[_Duty]],
        counts: HistoryCounts,
    ) -> None:
        sim, rng = self.sim, self.rng
        solved = _utc(monday - dt.timedelta(days=4), dt.time(16, rng.randint(0, 59)))
        published = solved + dt.timedelta(minutes=rng.randint(20, 120))
        end = max(monday + dt.timedelta(days=4), max(day for day, _pw in windows))
        slots = sum(sum(sim.requirements[pw.post].values()) for _day, pw in windows)
        rostered = sum(d.rostered for key in windows for d in by_window.get(key, ()))
        run = self.runs.add(
            region_id=sim.region.pk,
            start=monday,
            end=end,
            seed=sim.seed,
            status=RosterRun.Status.PUBLISHED,
            slots=slots,
            filled=rostered,
            wall_s=0.0,  # no solver timing is made up for the past
            unfilled=[],
            created_at=solved,
            updated_at=published,
        )
        snapshots: dict[int, list[list[Any]]] = defaultdict(list)
        for day, pw in sorted(windows, key=lambda k: (k[0], k[1].start, k[1].post)):
            post = sim.posts[pw.post]
            starts_at, ends_at = _utc(day, pw.start), _utc(day, pw.end)
            shift = self.shifts.add(
                post_id=post.pk,
                day=day,
                start=pw.start,
                end=pw.end,
                starts_at=starts_at,
                ends_at=ends_at,
                requirements=sim.requirements[pw.post],
                created_at=solved,
                updated_at=solved,
            )
            for duty in by_window.get((day, pw), ()):
                assignment = None
                if duty.rostered:
                    source = Assignment.Source.SOLVER
                    if rng.random() < SIGNED_UP.get(duty.group, 0.0):
                        source = Assignment.Source.SIGNUP
                        signed = solved - dt.timedelta(hours=rng.randint(4, 72))
                        self.signups.add(
                            person_id=duty.member,
                            shift_id=shift,
                            status=SignUp.Status.ACCEPTED,  # the solve placed it
                            decided_at=solved,
                            created_at=signed,
                            updated_at=solved,
                        )
                    assignment = self.assignments.add(
                        shift_id=shift,
                        person_id=duty.member,
                        group=duty.group,
                        source=source,
                        run_id=run,
                        published=True,  # each week's roster was published before it began
                        created_at=solved,
                        updated_at=solved,
                    )
                    snapshots[post.school_id].append([shift, duty.member, duty.group])
                if duty.present and day < sim.period.checkins_before:
                    self._checkin(duty, post, shift, assignment, starts_at, ends_at)
        for school in sorted(snapshots):
            self.versions.add(
                school_id=school,
                start=monday,
                end=end,
                version=1,
                published_at=published,
                snapshot=sorted(snapshots[school]),
            )

    def _method(self, day: dt.date) -> str:
        qr, gps, _rollcall = METHODS.get(day.year, METHODS_NOW)
        r = self.rng.random()
        return CheckIn.Method.QR if r < qr else CheckIn.Method.GPS if r < qr + gps else "rollcall"

    def _checkin(
        self,
        duty: _Duty,
        post: Post,
        shift: int,
        assignment: int | None,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
    ) -> None:
        rng, rules = self.rng, self.sim.rules
        member = self.sim.members[duty.member]
        method = self._method(duty.day)
        length = (ends_at - starts_at).total_seconds() / 60
        if rng.random() < LATE:
            minutes = rng.uniform(rules.late_minutes + 0.5, min(25.0, length - 5))
        else:
            minutes = rng.triangular(-rules.early_minutes + 0.5, rules.late_minutes - 0.5, -6)
        at = starts_at + dt.timedelta(seconds=round(minutes * 60))
        server_at, device_at, delayed = at, None, False
        lat = lon = accuracy = distance = None
        post_lat, post_lon, radius = self.geometry[post.pk]
        if method != CheckIn.Method.ROLLCALL:
            device_at = at - dt.timedelta(seconds=int(rng.random() * 41) - 20)
            if rng.random() < DELAYED:
                delayed, device_at = True, at
                server_at = at + dt.timedelta(minutes=rng.randint(5, 180))
            if method == CheckIn.Method.GPS or rng.random() < 0.8:
                accuracy = round(rng.uniform(4, 30), 1)
                metres = (
                    radius + accuracy + rng.uniform(15, 150)
                    if rng.random() < OUTSIDE
                    else min(abs(rng.gauss(0, radius / 3)), radius * 0.9)
                )
                lat, lon = _near(post_lat, post_lon, metres, rng)
                distance = round(distance_m(float(lat), float(lon), post_lat, post_lon), 1)
        verdict = judge(
            rules=rules,
            window=Window(starts_at, ends_at),
            at=at,
            now=server_at,
            delayed=delayed,
            rostered=duty.rostered,
            distance=distance,
            accuracy=accuracy,
            radius=radius,
        )
        if verdict.refused:  # never: the times and delays above stay inside the rules
            raise RuntimeError(f"a history check-in would be refused: {verdict.refused}")
        recorded_by = None
        if method == CheckIn.Method.ROLLCALL:
            school = post.school
            recorded_by = self.leads.get(school.unit_id) or self.leads.get(school.station_id)
        # check-out
        out_lat = out_lon = out_accuracy = out_distance = None
        out_device = None
        if rng.random() < AUTO_CHECKOUT:
            out_method = CheckIn.Checkout.AUTO
            out_at = ends_at
            out_server = ends_at + dt.timedelta(
                minutes=rules.auto_checkout_minutes + rng.randint(0, 5)
            )
        else:
            out_at = max(
                ends_at + dt.timedelta(seconds=int(rng.random() * 1080) - 480),
                at + dt.timedelta(minutes=5),
            )
            out_server = out_at
            if method == CheckIn.Method.ROLLCALL:
                out_method = CheckIn.Checkout.ROLLCALL
            else:
                out_method = CheckIn.Checkout.SELF
                out_device = out_at - dt.timedelta(seconds=int(rng.random() * 41) - 20)
                if lat is not None:
                    out_accuracy = round(rng.uniform(4, 30), 1)
                    metres = min(abs(rng.gauss(0, radius / 3)), radius * 0.9)
                    out_lat, out_lon = _near(post_lat, post_lon, metres, rng)
                    out_distance = round(
                        distance_m(float(out_lat), float(out_lon), post_lat, post_lon), 1
                    )
        if delayed:  # the phone was offline: its check-out reached the server with the check-in
            out_server = max(out_server, server_at + dt.timedelta(seconds=int(rng.random() * 30)))
        self.checkins.add(
            person_id=duty.member,
            post_id=post.pk,
            shift_id=shift,
            assignment_id=assignment,
            group=member.group,
            force_type=member.force_type,
            day=duty.day,
            method=method,
            at=at,
            server_at=server_at,
            device_at=device_at,
            latitude=lat,
            longitude=lon,
            accuracy_m=accuracy,
            distance_m=distance,
            is_late=verdict.late,
            is_outside=verdict.outside,
            is_walkin=verdict.walkin,
            is_delayed=verdict.delayed,
            recorded_by_id=recorded_by,
            checked_out_at=out_at,
            checkout_server_at=out_server,
            checkout_device_at=out_device,
            checkout_latitude=out_lat,
            checkout_longitude=out_lon,
            checkout_accuracy_m=out_accuracy,
            checkout_distance_m=out_distance,
            checkout_method=out_method,
        )


def simulate(
    seed: int,
    *,
    region: Region,
    period: Period,
    live_from: Mapping[int, dt.date] | None = None,
    shape: Callable[[dt.date, dt.date | None], float] | None = None,
) -> HistoryCounts:
    """Write rosters and check-ins for the region's posts over the period: exactly
    ``period.target`` accepted check-ins before ``period.checkins_before``. Deterministic for a
    seed; a period that already has shifts is left as it is (nothing is written twice)."""
    existing = Shift.objects.filter(
        post__school__unit__region__path__startswith=region.path,
        day__gte=period.start,
        day__lte=period.end,
    )
    if existing.exists():
        return HistoryCounts(skipped="exists")
    sim = _Simulation(seed, region, period)
    sim.load(live_from)
    weights = sim.weights(shape or (lambda _day, _term: 1.0))
    before = sum(d < period.checkins_before for d in sim.days)
    target = period.target
    if target is None:
        slots = sum(
            sum(sim.requirements[pw.post].values())
            for d in sim.days[:before]
            for pw in sim.by_day[d]
        )
        target = round(period.fill * slots)
    quotas = largest_remainder(weights[:before], target)
    # the days from today on get rosters at the same rate, but no check-ins
    whole = math.fsum(weights[:before])
    rate = target / whole if whole else period.fill
    quotas += [round(w * rate) for w in weights[before:]]
    duties = sim.run(quotas)
    with transaction.atomic():
        return _Writer(sim).write(duties)


# --- the demo city ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryOutcome:
    closures: int
    counts: HistoryCounts


def _rollout(seed: int, city: Region) -> dict[int, dt.date]:
    schools = []
    for school in (
        School.objects.filter(unit__region__path__startswith=city.path, voided_at__isnull=True)
        .select_related("unit")
        .prefetch_related("posts__requirements")
        .order_by("pk")
    ):
        posts = sorted(
            (p for p in school.posts.all() if p.voided_at is None),
            key=lambda p: (-sum(r.minimum for r in p.requirements.all()), p.pk),
        )
        schools.append((school.pk, school.unit.name == data.PILOT_SCHOOL, [p.pk for p in posts]))
    return plan_rollout(seed, schools)


def _backdate(live: Mapping[int, dt.date]) -> None:
    """Posts (and their schools) were set up just before they went live."""
    by_day: dict[dt.date, list[int]] = defaultdict(list)
    for post, day in live.items():
        by_day[day].append(post)
    schools: dict[int, dt.date] = {}
    for post, school in Post.objects.filter(pk__in=list(live)).values_list("pk", "school_id"):
        schools[school] = min(schools.get(school, live[post]), live[post])
    for day, posts in by_day.items():
        at = _local(day - dt.timedelta(days=3), dt.time(10, 0))
        Post.objects.filter(pk__in=posts).update(created_at=at)
    for school, day in schools.items():
        at = _local(day - dt.timedelta(days=7), dt.time(10, 0))
        School.objects.filter(pk=school).update(created_at=at)


def _epidemic_closures(city: Region) -> int:
    made = 0
    for school in School.objects.filter(
        unit__region__path__startswith=city.path, voided_at__isnull=True
    ).order_by("pk"):
        until = EPIDEMIC_UNTIL.get(school.stage)
        if until is None:
            continue
        closure_create(
            actor=None,
            school=school,
            start=EPIDEMIC_FROM,
            end=until,
            reason="emergency",
            note=EPIDEMIC_NOTE,
        )
        made += 1
    return made


def write_history(seed: int, *, city: Region) -> HistoryOutcome:
    """The demo city's duty history of the source's period, to the exact figure: the epidemic
    closures, the posts going live, the weekly rosters and the check-ins. Needs the terms
    (write_roster) first."""
    closures = _epidemic_closures(city)
    live = _rollout(seed, city)
    _backdate(live)
    counts = simulate(
        seed,
        region=city,
        period=Period(
            HISTORY_START,
            HISTORY_END,
            checkins_before=HISTORY_END + dt.timedelta(days=1),
            target=PERSON_TIMES,
        ),
        live_from=live,
        shape=demo_shape,
    )
    return HistoryOutcome(closures, counts)


def recent_weeks(today: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday three weeks before today's week, and the Sunday that ends today's week."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(weeks=RECENT_WEEKS - 1), monday + dt.timedelta(days=6)


def recent_history(seed: int, *, city: Region, today: dt.date | None = None) -> HistoryCounts:
    """Every shift of the recent weeks (see recent_weeks), rostered; check-ins before today."""
    today = today or timezone.localdate()
    start, end = recent_weeks(today)
    try:
        return simulate(
            seed,
            region=city,
            period=Period(start, end, today, fill=RECENT_FILL, all_shifts=True, stream="recent"),
            shape=demo_shape,
        )
    except CalendarYearUnknown as exc:  # a year the holiday calendar does not know yet
        return HistoryCounts(skipped=str(exc))
