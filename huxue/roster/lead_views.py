"""Pages for those who plan rosters (school leads, stations, bureaus): the week grid, solver runs,
hand edits, substitutes and swap decisions; and the member's swap request.

Views parse input, call one service or selector and render; scope comes from selectors/access.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huxue.orgs import access
from huxue.people.forces import ForceGroup
from huxue.people.models import Person
from huxue.posts.models import School
from huxue.roster.lead_forms import DropForm, PickForm, SwapForm
from huxue.roster.models import Assignment, RosterRun, RosterVersion, Shift
from huxue.roster.planning import explain_text, roster_publish, roster_solve
from huxue.roster.rules import week_bounds
from huxue.roster.selectors import (
    drops_for_lead,
    person_of,
    school_week_shifts,
    schools_planned_by,
    swaps_for_lead,
)
from huxue.roster.swap_models import SwapRequest
from huxue.roster.swaps import (
    assignment_add,
    assignment_drop,
    assignment_lock,
    candidates_for,
    open_groups,
    rank_substitutes,
    swap_colleagues,
    swap_decide,
    swap_request,
)

GROUP_LABELS = dict(ForceGroup.choices)


def _school(request: HttpRequest, pk: int) -> School:
    school = schools_planned_by(request.user).filter(pk=pk).first()
    if school is None:
        raise Http404
    return school


def _planning_monday() -> dt.date:
    """The week a planner works on: this week, or next week once this week's school days are over."""
    today = timezone.localdate()
    return week_bounds(today + dt.timedelta(days=2 if today.weekday() >= 5 else 0))[0]


def _monday(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None
    return week_bounds(day)[0]


def _shift(request: HttpRequest, pk: int) -> Shift:
    return access.get_or_404(
        request.user,
        "write",
        Shift.objects.select_related("post__school__unit__region"),
        pk=pk,
    )


def _assignment(request: HttpRequest, pk: int) -> Assignment:
    return access.get_or_404(
        request.user,
        "write",
        Assignment.objects.select_related("shift__post__school__unit", "person__user"),
        pk=pk,
    )


def _cell(shift: Shift) -> dict[str, Any]:
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


@login_required
def lead_index(request: HttpRequest) -> HttpResponse:
    if not access.allowed(request.user, "write", Shift):
        raise Http404
    monday = _planning_monday()
    return render(
        request,
        "roster/lead/index.html",
        {
            "schools": schools_planned_by(request.user),
            "monday": monday,
            "swaps": swaps_for_lead(request.user).filter(status=SwapRequest.Status.PENDING),
            "drops": drops_for_lead(request.user),
        },
    )


@login_required
def grid(request: HttpRequest, pk: int, monday: str) -> HttpResponse:
    school = _school(request, pk)
    start = _monday(monday)
    if start.isoformat() != monday:
        return redirect("roster:grid", pk=pk, monday=start.isoformat())
    end = start + dt.timedelta(days=6)
    shifts = list(school_week_shifts(request.user, school, start))
    shift_days = {s.day for s in shifts}
    days = [
        start + dt.timedelta(days=i)
        for i in range(7)
        if i < 5 or start + dt.timedelta(days=i) in shift_days  # 调休 Saturdays show up
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
    version = RosterVersion.objects.filter(school=school, start=start).order_by("-version").first()
    last_run = (
        access.filter(request.user, "read", RosterRun.objects.all())
        .filter(unit=school.unit, start=start)
        .first()
    )
    return render(
        request,
        "roster/lead/grid.html",
        {
            "school": school,
            "monday": start,
            "sunday": end,
            "days": days,
            "rows": table,
            "version": version,
            "last_run": last_run,
            "previous": (start - dt.timedelta(days=7)).isoformat(),
            "next": (start + dt.timedelta(days=7)).isoformat(),
        },
    )


@login_required
def grid_now(request: HttpRequest, pk: int) -> HttpResponse:
    _school(request, pk)
    return redirect("roster:grid", pk=pk, monday=_planning_monday().isoformat())


@login_required
@require_POST
def solve(request: HttpRequest, pk: int, monday: str) -> HttpResponse:
    school = _school(request, pk)
    start = _monday(monday)
    try:
        run = roster_solve(
            actor=request.user,
            place=school.unit,
            start=start,
            end=start + dt.timedelta(days=6),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("roster:grid", pk=pk, monday=start.isoformat())
    messages.success(
        request,
        _("The week was solved: %(filled)d of %(slots)d slots filled.")
        % {"filled": run.filled, "slots": run.slots},
    )
    return redirect("roster:run", pk=run.pk)


@login_required
@require_POST
def publish(request: HttpRequest, pk: int, monday: str) -> HttpResponse:
    school = _school(request, pk)
    start = _monday(monday)
    version = roster_publish(
        actor=request.user, school=school, start=start, end=start + dt.timedelta(days=6)
    )
    messages.success(
        request,
        _("Version %(version)d of the roster was published; its members are notified.")
        % {"version": version.version},
    )
    return redirect("roster:grid", pk=pk, monday=start.isoformat())


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.get_or_404(
        request.user, "read", RosterRun.objects.select_related("unit", "region"), pk=pk
    )
    shifts = Shift.objects.filter(pk__in={u["shift"] for u in run.unfilled}).select_related(
        "post__school__unit"
    )
    by_pk = {s.pk: s for s in shifts}
    unfilled = []
    for item in run.unfilled:
        reason, suggestion = explain_text(item)
        unfilled.append(
            {
                "shift": by_pk.get(item["shift"]),
                "group": GROUP_LABELS.get(item["group"], item["group"]),
                "missing": item["missing"],
                "reason": reason,
                "suggestion": suggestion,
            }
        )
    school = getattr(run.unit, "school", None) if run.unit else None
    return render(
        request,
        "roster/lead/run.html",
        {
            "run": run,
            "unfilled": unfilled,
            "gap_percent": None if run.gap is None else run.gap * 100,
            "school": school,
            "monday": week_bounds(run.start)[0],
        },
    )


@login_required
def shift_lead(request: HttpRequest, pk: int) -> HttpResponse:
    """One cell of the grid: who is on it, who left, who signed up, and who could step in."""
    shift = _shift(request, pk)
    assignments = list(
        Assignment.objects.filter(shift=shift).select_related("person").order_by("-dropped_at")
    )
    needed = open_groups(shift)
    candidates = candidates_for(shift=shift, actor=request.user) if needed else []
    ranked = [
        {
            "group": g,
            "label": GROUP_LABELS.get(g, g),
            "missing": n,
            "people": rank_substitutes(candidates, group=g)[:15],
        }
        for g, n in sorted(needed.items())
    ]
    return render(
        request,
        "roster/lead/shift.html",
        {
            "shift": shift,
            "live": [a for a in assignments if a.dropped_at is None],
            "dropped": [a for a in assignments if a.dropped_at is not None],
            "signups": shift.signups.filter(withdrawn_at__isnull=True).select_related("person"),
            "ranked": ranked,
            "has_drops": any(a.dropped_at is not None for a in assignments),
            "drop_form": DropForm(),
            "monday": week_bounds(shift.day)[0],
        },
    )


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _shift(request, pk)
    form = PickForm(request.POST)
    if not form.is_valid():
        raise Http404
    person = access.get_or_404(
        request.user, "read", Person.objects.select_related("user"), pk=form.cleaned_data["person"]
    )
    substitute = form.cleaned_data["substitute"]
    try:
        assignment_add(
            actor=request.user,
            shift=shift,
            person=person,
            source=Assignment.Source.SUBSTITUTE if substitute else Assignment.Source.MANUAL,
            locked=True,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is rostered for this shift.") % {"name": person.name})
    return redirect("roster:shift_lead", pk=shift.pk)


@login_required
@require_POST
def drop(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _assignment(request, pk)
    form = DropForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the member is taken off the shift."))
    else:
        try:
            assignment_drop(
                actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(name)s was taken off the shift.") % {"name": assignment.person.name},
            )
    return redirect("roster:shift_lead", pk=assignment.shift_id)


@login_required
@require_POST
def lock(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _assignment(request, pk)
    try:
        assignment_lock(
            actor=request.user, assignment=assignment, locked=request.POST.get("locked") == "1"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("roster:shift_lead", pk=assignment.shift_id)


@login_required
def swap_list(request: HttpRequest) -> HttpResponse:
    if not access.allowed(request.user, "write", Shift):
        raise Http404
    swaps = swaps_for_lead(request.user)
    return render(
        request,
        "roster/lead/swaps.html",
        {
            "pending": swaps.filter(status=SwapRequest.Status.PENDING).order_by(
                "assignment__shift__starts_at"
            ),
            "decided": swaps.exclude(status=SwapRequest.Status.PENDING).order_by("-decided_at")[
                :30
            ],
        },
    )


@login_required
@require_POST
def swap_decision(request: HttpRequest, pk: int) -> HttpResponse:
    swap = swaps_for_lead(request.user).filter(pk=pk).first()
    if swap is None:
        raise Http404
    approve = request.POST.get("decision") == "approve"
    try:
        swap_decide(actor=request.user, swap=swap, approve=approve)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The swap was approved.") if approve else _("The swap was rejected.")
        )
    return redirect("roster:swaps")


@login_required
def swap_ask(request: HttpRequest, pk: int) -> HttpResponse:
    """A member asks that a colleague of the same school and force group take their shift."""
    person = person_of(request.user)
    if person is None:
        raise Http404
    assignment = access.get_or_404(
        request.user,
        "read",
        Assignment.objects.filter(person=person, dropped_at__isnull=True).select_related(
            "shift__post__school__unit__region", "person"
        ),
        pk=pk,
    )
    colleagues = swap_colleagues(assignment)
    form = SwapForm(request.POST or None, choices=[(c.person_id, c.name) for c in colleagues])
    if request.method == "POST" and form.is_valid():
        colleague = Person.objects.get(pk=form.cleaned_data["colleague"])
        try:
            swap_request(
                actor=request.user,
                assignment=assignment,
                colleague=colleague,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your request was sent to the school lead for approval."))
            return redirect("roster:my_shifts")
    pending = SwapRequest.objects.filter(
        assignment=assignment, status=SwapRequest.Status.PENDING
    ).first()
    return render(
        request,
        "roster/lead/swap_ask.html",
        {"assignment": assignment, "form": form, "colleagues": colleagues, "pending": pending},
    )
