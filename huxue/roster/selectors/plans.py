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

from huxue.orgs import access
from huxue.orgs.models import Unit
from huxue.orgs.selectors import units_accepting
from huxue.people.forces import GROUP_LABELS
from huxue.posts.models import Post, School
from huxue.posts.selectors import posts_visible_to
from huxue.roster.models import Assignment, RosterRun, RosterVersion, Shift, SignUp
from huxue.roster.planning import explain_text
from huxue.roster.selectors.shifts import shifts_visible_to

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
                queryset=Assignment.objects.filter(dropped_at__isnull=True)
                .select_related("person")
                .order_by("group", "person__name", "id"),
                to_attr="live_assignments",
            ),
            Prefetch(
                "signups",
                queryset=SignUp.objects.filter(withdrawn_at__isnull=True).select_related("person"),
                to_attr="live_signups",
            ),
        )
        .order_by("post__name", "post_id", "start", "day")
    )


def _cell(shift: Shift) -> dict[str, Any]:
    """One shift of the grid: who is on it by force group, and how full it is."""
    live = shift.live_assignments  # type: ignore[attr-defined]
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
        "signups": len(shift.live_signups),  # type: ignore[attr-defined]
        "locked": sum(1 for a in live if a.locked),
    }


@dataclass(frozen=True)
class RosterWeek:
    days: list[dt.date]  # Monday to Friday, and a weekend day that has shifts (调休)
    rows: list[dict[str, Any]]  # one per post and window: post, start, end, cells (one a day)
    version: RosterVersion | None  # the latest published version of this week
    last_run: RosterRun | None


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
    return RosterWeek(days=days, rows=table, version=version, last_run=last_run)


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


def roster_run_unfilled(*, run: RosterRun, with_shifts: bool = False) -> list[UnfilledSlot]:
    """Each slot the run left empty, explained; `with_shifts` reads their shifts too (1 query)."""
    shifts: dict[int, Shift] = {}
    if with_shifts:
        shifts = {
            s.pk: s
            for s in Shift.objects.filter(pk__in={u["shift"] for u in run.unfilled}).select_related(
                "post__school__unit"
            )
        }
    slots = []
    for item in run.unfilled:
        reason_text, suggestion_text = explain_text(item)
        slots.append(
            UnfilledSlot(
                shift_id=item["shift"],
                group=item["group"],
                missing=item["missing"],
                reason=item["reason"],
                reason_text=reason_text,
                suggestion=item.get("suggestion") or "",
                suggestion_text=suggestion_text,
                shift=shifts.get(item["shift"]),
            )
        )
    return slots


@dataclass(frozen=True)
class RunReport:
    run: RosterRun
    unfilled: list[UnfilledSlot]  # with their shifts
    school: School | None  # when the run planned one school


def roster_run_report_for(user: Any, *, pk: int) -> RunReport:
    """A run in scope as its page shows it: figures, each unfilled slot explained, its school."""
    run = roster_run_for(user, pk=pk)
    return RunReport(
        run=run,
        unfilled=roster_run_unfilled(run=run, with_shifts=True),
        school=getattr(run.unit, "school", None) if run.unit else None,
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
