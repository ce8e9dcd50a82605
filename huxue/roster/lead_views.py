"""Pages for those who plan rosters (school leads, stations, bureaus): the week grid, solver runs,
hand edits, substitutes and swap decisions; and the member's swap request.

Views parse input, call one service or selector and render; scope comes from selectors/access.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from huxue.orgs import access
from huxue.people.forces import GROUP_LABELS
from huxue.roster.lead_forms import DropForm, PickForm, ReleaseForm, SwapForm
from huxue.roster.models import Assignment, Shift
from huxue.roster.planning import roster_publish, roster_solve
from huxue.roster.rules import week_bounds
from huxue.roster.selectors import (
    assignment_for,
    colleague_for_swap,
    drops_for_lead,
    own_assignment_for,
    person_for_roster,
    planned_shift_for,
    roster_run_report_for,
    roster_week_for,
    school_planned_for,
    schools_planned_by,
    shift_roster,
    signup_for,
    swap_last_decided_on,
    swap_pending_on,
    swap_to_decide_for,
    swaps_decided_for_lead,
    swaps_pending_for_lead,
)
from huxue.roster.services import signup_accept, signup_decline
from huxue.roster.swaps import (
    PROBLEM_SHORT,
    assignment_add,
    assignment_drop,
    assignment_lock,
    release_request,
    swap_colleagues,
    swap_decide,
    swap_request,
)


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
            "swaps": swaps_pending_for_lead(request.user),
            "drops": drops_for_lead(request.user),
        },
    )


@login_required
def grid(request: HttpRequest, pk: int, monday: str) -> HttpResponse:
    school = school_planned_for(request.user, pk=pk)
    start = _monday(monday)
    if start.isoformat() != monday:
        return redirect("roster:grid", pk=pk, monday=start.isoformat())
    week = roster_week_for(request.user, school=school, monday=start)
    return render(
        request,
        "roster/lead/grid.html",
        {
            "school": school,
            "monday": start,
            "sunday": start + dt.timedelta(days=6),
            "days": week.days,
            "rows": week.rows,
            "version": week.version,
            "last_run": week.last_run,
            "changes": week.changes,
            "previous": (start - dt.timedelta(days=7)).isoformat(),
            "next": (start + dt.timedelta(days=7)).isoformat(),
        },
    )


@login_required
def grid_now(request: HttpRequest, pk: int) -> HttpResponse:
    school_planned_for(request.user, pk=pk)
    return redirect("roster:grid", pk=pk, monday=_planning_monday().isoformat())


@login_required
@require_POST
def solve(request: HttpRequest, pk: int, monday: str) -> HttpResponse:
    school = school_planned_for(request.user, pk=pk)
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
        ngettext(
            "The week was solved: %(filled)d of %(slots)d slot filled.",
            "The week was solved: %(filled)d of %(slots)d slots filled.",
            run.slots,
        )
        % {"filled": run.filled, "slots": run.slots},
    )
    return redirect("roster:run", pk=run.pk)


@login_required
def publish(request: HttpRequest, pk: int, monday: str) -> HttpResponse:
    """GET shows what publishing would change (who is added, moved, taken off; the sign-ups
    declined; filled before and after); POST publishes it."""
    school = school_planned_for(request.user, pk=pk)
    start = _monday(monday)
    end = start + dt.timedelta(days=6)
    if request.method == "POST":
        try:
            version = roster_publish(actor=request.user, school=school, start=start, end=end)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _(
                    "Version %(version)d of the roster was published; the members whose shifts "
                    "changed are told."
                )
                % {"version": version.version},
            )
        return redirect("roster:grid", pk=pk, monday=start.isoformat())
    week = roster_week_for(request.user, school=school, monday=start)
    return render(
        request,
        "roster/lead/publish.html",
        {
            "school": school,
            "monday": start,
            "sunday": end,
            "version": week.version,
            "changes": week.changes,
        },
    )


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = roster_run_report_for(request.user, pk=pk)
    run = report.run
    unfilled = [
        {
            "shift": slot.shift,
            "group": GROUP_LABELS.get(slot.group, slot.group),
            "missing": slot.missing,
            "reason": slot.reason_text,
            "suggestion": slot.suggestion_text,
        }
        for slot in report.unfilled
    ]
    return render(
        request,
        "roster/lead/run.html",
        {
            "run": run,
            "report": report,
            "unfilled": unfilled,
            "gap_percent": None if run.gap is None else run.gap * 100,
            "school": report.school,
            "monday": week_bounds(run.start)[0],
        },
    )


@login_required
def shift_lead(request: HttpRequest, pk: int) -> HttpResponse:
    """One cell of the grid: who is on it, who left, who signed up, and who could step in."""
    shift = planned_shift_for(request.user, pk=pk)
    people = shift_roster(request.user, shift=shift)
    ranked = [
        {
            "group": g.group,
            "label": GROUP_LABELS.get(g.group, g.group),
            "missing": g.missing,
            "people": g.people,
            "not_offered": [(c, PROBLEM_SHORT[problem]) for c, problem in g.not_offered],
            "more_not_offered": g.more_not_offered,
        }
        for g in people.substitutes
    ]
    return render(
        request,
        "roster/lead/shift.html",
        {
            "shift": shift,
            "live": people.live,
            "dropped": people.dropped,
            "signups": people.signups,
            "ranked": ranked,
            "has_drops": bool(people.dropped),
            "drop_form": DropForm(),
            "monday": week_bounds(shift.day)[0],
        },
    )


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    shift = planned_shift_for(request.user, pk=pk)
    form = PickForm(request.POST)
    if not form.is_valid():
        raise Http404
    person = person_for_roster(request.user, pk=form.cleaned_data["person"])
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
    assignment = assignment_for(request.user, pk=pk)
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
    assignment = assignment_for(request.user, pk=pk)
    try:
        assignment_lock(
            actor=request.user, assignment=assignment, locked=request.POST.get("locked") == "1"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("roster:shift_lead", pk=assignment.shift_id)


@login_required
@require_POST
def signup_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead accepts a sign-up (the member goes on the planned roster) or declines it."""
    item = signup_for(request.user, pk=pk)
    accept = request.POST.get("answer") == "accept"
    try:
        if accept:
            signup_accept(actor=request.user, signup=item)
        else:
            signup_decline(actor=request.user, signup=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        name = {"name": item.person.name}
        messages.success(
            request,
            _("%(name)s is on the roster; publish the week to tell them.") % name
            if accept
            else _("%(name)s's sign-up was declined; they are told.") % name,
        )
    return redirect("roster:shift_lead", pk=item.shift_id)


@login_required
def swap_list(request: HttpRequest) -> HttpResponse:
    if not access.allowed(request.user, "write", Shift):
        raise Http404
    return render(
        request,
        "roster/lead/swaps.html",
        {
            "pending": swaps_pending_for_lead(request.user),
            "decided": swaps_decided_for_lead(request.user),
        },
    )


@login_required
@require_POST
def swap_decision(request: HttpRequest, pk: int) -> HttpResponse:
    swap = swap_to_decide_for(request.user, pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        swap_decide(actor=request.user, swap=swap, approve=approve)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        name = {"name": swap.requested_by.name}
        if swap.is_release and approve:
            text = _("%(name)s is released from the shift; its place is open to fill.") % name
        elif swap.is_release:
            text = _("The request was declined; %(name)s is asked to come.") % name
        else:
            text = _("The swap was approved.") if approve else _("The swap was rejected.")
        messages.success(request, text)
    return redirect("roster:swaps")


@login_required
def swap_ask(request: HttpRequest, pk: int) -> HttpResponse:
    """A member asks that a colleague of the same school and force group take their shift; with
    no colleague free, that the school lead release them from it (with a reason)."""
    assignment = own_assignment_for(request.user, pk=pk)
    colleagues = swap_colleagues(assignment)
    releasing = request.method == "POST" and request.POST.get("ask") == "release"
    release_form = ReleaseForm(request.POST if releasing else None)
    if releasing and release_form.is_valid():
        try:
            release_request(
                actor=request.user,
                assignment=assignment,
                reason=release_form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your request was sent to the school lead for approval."))
            return redirect("roster:my_shifts")
    form = SwapForm(
        request.POST if request.method == "POST" and not releasing else None,
        choices=[(c.person_id, c.name) for c in colleagues],
    )
    colleague = None
    if request.method == "POST" and not releasing and form.is_valid():
        # The form offers only these colleagues, so the one chosen is among them.
        colleague = colleague_for_swap(colleagues=colleagues, pk=form.cleaned_data["colleague"])
    if colleague is not None:
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
    return render(
        request,
        "roster/lead/swap_ask.html",
        {
            "assignment": assignment,
            "form": form,
            "colleagues": colleagues,
            "release_form": release_form,
            "pending": swap_pending_on(assignment=assignment),
            "last": swap_last_decided_on(assignment=assignment),
        },
    )
