"""Planning a school's roster: the schools, posts and units a planner plans, the week grid, the
solver runs with why each slot stayed empty, and the published versions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from huxue.core.validators import mask_name
from huxue.orgs import access
from huxue.orgs.models import Unit
from huxue.orgs.selectors import units_accepting
from huxue.people.forces import GROUP_LABELS
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.posts.selectors import posts_visible_to
from huxue.roster.models import Assignment, RosterRun, RosterVersion, Shift, SignUp
from huxue.roster.planning import WeekChanges, explain_text, week_changes
from huxue.roster.selectors.shifts import shifts_visible_to
from huxue.roster.wording import shift_label

# --- What a planner plans -------------------------------------------------------------------


def schools_planned_by(user: Any, *, object_type: str = "shift") -> QuerySet[School]:
    """Schools in which the user may write records of `object_type` (by default, shifts): the
    lead pages' list and scope check, and the schools the API lets a planner name."""
    return (
        School.objects.filter(access.scope(user, "write", School, as_type=object_type))
        .filter(voided_at__isnull=True)
        .select_related("unit", "unit__region")
        .order_by("unit__name")
    )


def school_planned_for(user: Any, *, pk: int) -> School:
    school = schools_planned_by(user).filter(pk=pk).first()
    if school is None:
        raise Http404
    return school


def posts_planned_by(user: Any) -> QuerySet[Post]:
    """Live posts the user may make shifts for."""
    return posts_visible_to(user).filter(access.scope(user, "write", Post, as_type="shift"))


def posts_to_generate(
    user: Any, *, posts: Iterable[Post] = (), schools: Iterable[School] = ()
) -> QuerySet[Post]:
    """Of the posts the user plans, these posts and every post of these schools."""
    return posts_planned_by(user).filter(
        Q(pk__in=[p.pk for p in posts]) | Q(school__in=[s.pk for s in schools])
    )


def units_planned_by(user: Any) -> QuerySet[Unit]:
    """Units under which the user may run the solver (e.g. a police station)."""
    return units_accepting(user, object_type="rosterrun")


# --- The week grid --------------------------------------------------------------------------


def school_week_shifts(user: Any, *, school: School, monday: dt.date) -> QuerySet[Shift]:
    """A school's shifts in one ISO week with their live assignments and sign-ups, in 4 queries."""
    return (
        shifts_visible_to(user, action="write")
        .filter(post__school=school, day__gte=monday, day__lte=monday + dt.timedelta(days=6))
        .select_related("post")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(Q(dropped_at__isnull=True) | Q(published=True))
                .select_related("person")
                .order_by("group", "person__name", "id"),
                to_attr="roster_rows",
            ),
            Prefetch(
                "signups",
                queryset=SignUp.objects.filter(
                    withdrawn_at__isnull=True, status=SignUp.Status.PENDING
                ).select_related("person"),
                to_attr="pending_signups",
            ),
        )
        .order_by("post__name", "post_id", "start", "day")
    )


def _cell(shift: Shift) -> dict[str, Any]:
    """One shift of the grid: who is on it by force group in the planned roster (each marked if
    not yet published), who is to be taken off when it is published, and how full it is."""
    rows = shift.roster_rows  # type: ignore[attr-defined]
    live = [a for a in rows if a.dropped_at is None]
    leaving = [a for a in rows if a.dropped_at is not None]
    by_group: dict[str, list[Assignment]] = defaultdict(list)
    for a in live:
        by_group[a.group].append(a)
    groups = []
    filled = need = 0
    for group, n in sorted(shift.requirements.items()):
        n = int(n)
        if n <= 0 and not by_group.get(group):
            continue
        have = by_group.get(group, [])
        need += n
        filled += min(n, len(have))
        groups.append(
            {"group": group, "label": GROUP_LABELS.get(group, group), "need": n, "people": have}
        )
    state = "full" if filled >= need else ("empty" if not live else "partly")
    return {
        "shift": shift,
        "groups": groups,
        "state": state,
        "filled": filled,
        "need": need,
        "leaving": leaving,
        "signups": len(shift.pending_signups),  # type: ignore[attr-defined]
        "locked": sum(1 for a in live if a.locked),
    }


@dataclass(frozen=True)
class RosterWeek:
    days: list[dt.date]  # Monday to Friday, and a weekend day that has shifts (调休)
    rows: list[dict[str, Any]]  # one per post and window: post, start, end, cells (one a day)
    version: RosterVersion | None  # the latest published version of this week
    last_run: RosterRun | None
    changes: WeekChanges  # what publishing would change


def roster_week_for(user: Any, *, school: School, monday: dt.date) -> RosterWeek:
    """A school's week as the planner's grid: posts by windows down, days across."""
    shifts = list(school_week_shifts(user, school=school, monday=monday))
    shift_days = {s.day for s in shifts}
    days = [
        monday + dt.timedelta(days=i)
        for i in range(7)
        if i < 5 or monday + dt.timedelta(days=i) in shift_days  # 调休 Saturdays show up
    ]
    rows: dict[tuple[int, dt.time, dt.time], dict[str, Any]] = {}
    for shift in shifts:
        key = (shift.post_id, shift.start, shift.end)
        row = rows.setdefault(key, {"post": shift.post, "start": shift.start, "end": shift.end})
        row.setdefault("by_day", {})[shift.day] = _cell(shift)
    table = [
        {**row, "cells": [row["by_day"].get(d) for d in days]}
        for row in sorted(rows.values(), key=lambda r: (r["post"].name, r["post"].pk, r["start"]))
    ]
    version = RosterVersion.objects.filter(school=school, start=monday).order_by("-version").first()
    last_run = _runs(user).filter(unit=school.unit, start=monday).first()
    return RosterWeek(
        days=days,
        rows=table,
        version=version,
        last_run=last_run,
        changes=week_changes(school=school, start=monday, end=monday + dt.timedelta(days=6)),
    )


# --- Solver runs ----------------------------------------------------------------------------


def _runs(user: Any) -> QuerySet[RosterRun]:
    return access.filter(user, "read", RosterRun.objects.select_related("unit", "region"))


def roster_runs_visible_to(user: Any) -> QuerySet[RosterRun]:
    """Solver runs in scope, newest first."""
    return _runs(user).order_by("-created_at", "-id")


def roster_run_for(user: Any, *, pk: int) -> RosterRun:
    return access.get_or_404(user, "read", _runs(user), pk=pk)


@dataclass(frozen=True)
class UnfilledSlot:
    """A slot a run left empty, why, and what would fill it (texts in the request's language)."""

    shift_id: int
    group: str
    missing: int
    reason: str
    reason_text: str
    suggestion: str
    suggestion_text: str
    shift: Shift | None = None  # only when asked for
    group_label: str = ""  # the force group in the reader's language

    @property
    def where(self) -> str:
        """School, gate, day and time (needs the shift)."""
        return shift_label(self.shift) if self.shift is not None else ""


def _companies(schools: Iterable[School]) -> dict[int, str]:
    """Each school's security company: the companies under the police bureau (or station) above
    the school's station, which supervises them; the nearest such unit's, names joined when it
    has several; none where no company is registered (1 query; needs post__school__station)."""
    companies = list(
        Unit.objects.filter(kind=Unit.Kind.SECURITY_COMPANY, parent__isnull=False).values_list(
            "name", "parent__path"
        )
    )
    found: dict[int, str] = {}
    for school in schools:
        above = [
            (len(path), name) for name, path in companies if school.station.path.startswith(path)
        ]
        if above:
            deepest = max(length for length, _name in above)
            found[school.pk] = _(", ").join(
                sorted(name for length, name in above if length == deepest)
            )
    return found


def _named(run: RosterRun, items: list[dict[str, Any]]) -> dict[int, str]:
    """The masked names of the members the explanations point to (1 query)."""
    ids = {
        entry[0]
        for item in items
        for key in ("capped", "unready")
        for entry in (item.get("params") or {}).get(key, ())
    }
    if not ids:
        return {}
    people = Person.objects.filter(pk__in=ids).values_list("pk", "name")
    return {pk: mask_name(name) for pk, name in people}


def roster_run_unfilled(
    *, run: RosterRun, with_shifts: bool = False, limit: int | None = None
) -> list[UnfilledSlot]:
    """Each slot the run left empty (the first ``limit``), explained. ``with_shifts`` reads their
    shifts too, and with them names whom to ask: the school's police station, its security
    company, the nearest members who could help (masked) — 3 queries more."""
    items = run.unfilled if limit is None else run.unfilled[:limit]
    shifts: dict[int, Shift] = {}
    companies: dict[int, str] = {}
    names: dict[int, str] = {}
    if with_shifts:
        shifts = {
            s.pk: s
            for s in Shift.objects.filter(pk__in={u["shift"] for u in items}).select_related(
                "post__school__unit", "post__school__station"
            )
        }
        companies = _companies({s.post.school for s in shifts.values()})
        names = _named(run, items)
    slots = []
    for item in items:
        shift = shifts.get(item["shift"])
        school = shift.post.school if shift is not None else None
        reason_text, suggestion_text = explain_text(
            item,
            station=school.station.name if school is not None else "",
            company=companies.get(school.pk, "") if school is not None else "",
            names=names,
        )
        slots.append(
            UnfilledSlot(
                shift_id=item["shift"],
                group=item["group"],
                missing=item["missing"],
                reason=item["reason"],
                reason_text=reason_text,
                suggestion=item.get("suggestion") or "",
                suggestion_text=suggestion_text,
                shift=shift,
                group_label=str(GROUP_LABELS.get(item["group"], item["group"])),
            )
        )
    return slots


@dataclass(frozen=True)
class Stopper:
    """One thing that kept slots empty: a force group and a reason, with how many it cost."""

    group_label: str
    reason_text: str
    missing: int


@dataclass(frozen=True)
class SchoolGaps:
    school: str
    missing: int
    slots: list[UnfilledSlot]  # by day, time and gate


@dataclass(frozen=True)
class RunReport:
    run: RosterRun
    unfilled: list[UnfilledSlot]  # with their shifts
    school: School | None  # when the run planned one school
    stoppers: list[Stopper]  # what kept the slots empty, the costliest first
    by_school: list[SchoolGaps]  # the unfilled slots, school by school

    @property
    def percent(self) -> float | None:
        """Share of the slots filled, in per cent (None when the run had no slots)."""
        return 100 * self.run.filled / self.run.slots if self.run.slots else None


def roster_run_report_for(user: Any, *, pk: int) -> RunReport:
    """A run in scope as its page shows it: filled against needed, what stopped the rest, each
    unfilled slot explained school by school, and its school (when it planned one)."""
    run = roster_run_for(user, pk=pk)
    unfilled = roster_run_unfilled(run=run, with_shifts=True)
    cost: dict[tuple[str, str], int] = defaultdict(int)
    schools: dict[str, list[UnfilledSlot]] = defaultdict(list)
    for slot in unfilled:
        cost[(slot.group_label, slot.reason_text)] += slot.missing
        school = slot.shift.post.school.unit.name if slot.shift is not None else ""
        schools[school].append(slot)

    def when(slot: UnfilledSlot) -> tuple[Any, ...]:
        s = slot.shift
        return (s.day, s.start, s.post.name, slot.group) if s is not None else (slot.shift_id,)

    return RunReport(
        run=run,
        unfilled=unfilled,
        school=getattr(run.unit, "school", None) if run.unit else None,
        stoppers=[
            Stopper(group_label=g, reason_text=r, missing=n)
            for (g, r), n in sorted(cost.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        by_school=[
            SchoolGaps(
                school=name,
                missing=sum(s.missing for s in slots),
                slots=sorted(slots, key=when),
            )
            for name, slots in sorted(schools.items(), key=lambda kv: kv[0])
        ],
    )


# --- Published versions ---------------------------------------------------------------------


def _versions(user: Any) -> QuerySet[RosterVersion]:
    qs = RosterVersion.objects.select_related("school", "school__unit")
    return access.filter(user, "read", qs)


def roster_versions_visible_to(
    user: Any,
    *,
    school: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[RosterVersion]:
    """Published rosters in scope, of one school and overlapping the dates if given; newest first."""
    versions = _versions(user)
    if school is not None:
        versions = versions.filter(school_id=school)
    if start is not None:
        versions = versions.filter(end__gte=start)
    if end is not None:
        versions = versions.filter(start__lte=end)
    return versions.order_by("-published_at", "-id")


def roster_version_for(user: Any, *, pk: int) -> RosterVersion:
    return access.get_or_404(user, "read", _versions(user), pk=pk)
