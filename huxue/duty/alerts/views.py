"""The lead's pages for one shift at the gate: roll call, who is missing, call-outs; the called
member's answer page; and the list of gap alerts (缺岗提醒) with who was told and who came.

Views parse input, call one service and render. Who may see and do what is decided in
``huxue.duty.alerts.services`` (``shift_for_lead``, ``may``) on top of ``huxue.orgs.access``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from huxue.core.validators import period_error
from huxue.duty.alerts.selectors import (
    LIVE,
    OPEN,
    RESOLVED,
    AlertFilters,
    callout_of_member,
    came_counts,
    gap_alert_rows,
    gap_alerts_allowed,
    gap_alerts_listed,
    is_over,
    may,
    on_duty_counts,
    on_duty_elsewhere,
    shift_for_lead,
    shortfall,
)
from huxue.duty.alerts.services import callout_answer, callout_cancel, callout_create
from huxue.duty.board.selectors import board_filter_choices
from huxue.duty.checkin.services import CheckInRefused, rollcall_mark
from huxue.duty.models import CallOut, CheckIn, GapAlert
from huxue.orgs import access
from huxue.people.forces import GROUP_LABELS
from huxue.people.models import Person
from huxue.posts.models import Post
from huxue.roster.models import Assignment, Shift
from huxue.roster.selectors import MAX_NOT_OFFERED
from huxue.roster.swaps import PROBLEM_SHORT, candidates_for, open_groups, rank_with_reasons

MAX_SUBSTITUTES = 15


def _needs(shift: Shift, on_duty: dict[str, int], rostered: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for group, need in sorted(shift.requirements.items()):
        need = int(need)
        if need <= 0 and not on_duty.get(group):
            continue
        rows.append(
            {
                "group": group,
                "label": GROUP_LABELS.get(group, group),
                "need": need,
                "rostered": rostered.get(group, 0),
                "on_duty": on_duty.get(group, 0),
                "missing": max(need - on_duty.get(group, 0), 0),
            }
        )
    return rows


def _missing(shift: Shift, on_duty: dict[str, int], now: dt.datetime) -> dict[str, int]:
    """Who is still needed: before the window, the slots nobody is rostered for; from its start,
    the members not on duty."""
    if now < shift.starts_at:
        return open_groups(shift)
    return shortfall(shift.requirements, on_duty)


def _substitutes(
    user: Any, shift: Shift, missing: dict[str, int], skip: set[int]
) -> list[dict[str, Any]]:
    """Per missing group, the members of the pool who could come, best first
    (``swaps.rank_with_reasons``: own school, then nearest, then the fewest shifts that week),
    with whether the site can reach them; and why the others of that group are not offered.
    ``skip``: those already on the shift, checked in here or called out to it."""
    candidates = [c for c in candidates_for(shift=shift, actor=user) if c.person_id not in skip]
    elsewhere = on_duty_elsewhere(shift, [c.person_id for c in candidates])
    candidates = [replace(c, busy=True) if c.person_id in elsewhere else c for c in candidates]
    rankings = {group: rank_with_reasons(candidates, group=group) for group in sorted(missing)}
    ranked = {group: r.offered[:MAX_SUBSTITUTES] for group, r in rankings.items()}
    ids = {c.person_id for rows in ranked.values() for c in rows}
    people = {p.pk: p for p in Person.objects.filter(pk__in=ids).select_related("user")}

    def reachable(person: Person) -> bool:
        return person.user is not None and person.user.is_active

    return [
        {
            "group": group,
            "label": GROUP_LABELS.get(group, group),
            "missing": missing[group],
            "people": [
                {
                    "candidate": c,
                    "reachable": reachable(people[c.person_id]),
                    "phone": people[c.person_id].phone_masked,
                }
                for c in rows
            ],
            "not_offered": [
                (c, PROBLEM_SHORT[problem])
                for c, problem in rankings[group].not_offered[:MAX_NOT_OFFERED]
            ],
            "more_not_offered": max(len(rankings[group].not_offered) - MAX_NOT_OFFERED, 0),
        }
        for group, rows in ranked.items()
    ]


@login_required
def shift_duty(request: HttpRequest, pk: int) -> HttpResponse:
    """One shift at the gate now: what it needs, who is on duty, roll call, call-outs."""
    shift = shift_for_lead(request.user, pk=pk)
    now = timezone.now()
    can_rollcall = may(request.user, shift, "rollcall")
    can_callout = may(request.user, shift, "callout")
    assignments = list(
        Assignment.objects.published()
        .filter(shift=shift)
        .select_related("person")
        .order_by("group", "person__name", "pk")
    )
    checkins = {
        c.person_id: c
        for c in CheckIn.objects.filter(shift=shift, voided_at__isnull=True).select_related(
            "person", "recorded_by"
        )
    }
    rostered_ids = {a.person_id for a in assignments}
    over = is_over(shift, now)
    # During and before the window, who is on duty now; once it is over, who came.
    on_duty = (came_counts if over else on_duty_counts)([shift.pk]).get(shift.pk, {})
    rostered_counts: dict[str, int] = {}
    for a in assignments:
        rostered_counts[a.group] = rostered_counts.get(a.group, 0) + 1
    callouts = list(
        CallOut.objects.filter(shift=shift).select_related("person", "called_by").order_by("-pk")
    )
    missing = {} if over else _missing(shift, on_duty, now)
    skip = {c.person_id for c in callouts if c.status in LIVE} | rostered_ids | set(checkins)
    substitutes = (
        _substitutes(request.user, shift, missing, skip) if can_callout and missing else []
    )
    return render(
        request,
        "duty/lead_shift.html",
        {
            "shift": shift,
            "now": now,
            "over": over,
            "started": shift.starts_at <= now,
            "needs": _needs(shift, on_duty, rostered_counts),
            "alert": GapAlert.objects.filter(shift=shift).first(),
            "rostered": [(a, checkins.get(a.person_id)) for a in assignments],
            "walkins": [c for pid, c in checkins.items() if pid not in rostered_ids],
            "callouts": callouts,
            "substitutes": substitutes,
            "can_rollcall": can_rollcall and not over,
            "can_callout": can_callout and not over,
        },
    )


@login_required
@require_POST
def rollcall(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a member present (a roll-call check-in) or gone (a roll-call check-out)."""
    shift = shift_for_lead(request.user, pk=pk, need="rollcall")
    try:
        person_id = int(request.POST.get("person", ""))
    except ValueError:
        raise Http404 from None
    person = access.get_or_404(request.user, "read", Person.objects.all(), pk=person_id)
    present = request.POST.get("present") == "1"
    try:
        rollcall_mark(actor=request.user, shift=shift, person=person, present=present)
    except CheckInRefused as exc:
        if exc.reason == "not_open":
            messages.error(request, _("%(name)s is not checked in here.") % {"name": person.name})
        else:
            messages.error(request, exc.messages[0])
    else:
        if present:
            messages.success(request, _("%(name)s is marked present.") % {"name": person.name})
        else:
            messages.success(request, _("%(name)s is marked gone.") % {"name": person.name})
    return redirect("duty:shift", pk=shift.pk)


@login_required
@require_POST
def callout_new(request: HttpRequest, pk: int) -> HttpResponse:
    shift = shift_for_lead(request.user, pk=pk, need="callout")
    try:
        person_id = int(request.POST.get("person", ""))
    except ValueError:
        raise Http404 from None
    person = access.get_or_404(
        request.user, "read", Person.objects.select_related("user"), pk=person_id
    )
    try:
        callout_create(
            actor=request.user, shift=shift, person=person, group=request.POST.get("group", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if person.user_id is None:
            messages.success(
                request,
                _("%(name)s has no account: call them by phone.") % {"name": person.name},
            )
        else:
            messages.success(request, _("%(name)s has been asked to come.") % {"name": person.name})
    return redirect("duty:shift", pk=shift.pk)


@login_required
@require_POST
def callout_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    callout = access.get_or_404(
        request.user, "write", CallOut.objects.select_related("shift"), pk=pk
    )
    shift = shift_for_lead(request.user, pk=callout.shift_id, need="callout")
    try:
        callout_cancel(actor=request.user, callout=callout)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("duty:shift", pk=shift.pk)


@login_required
def callout_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The called member's page: what, where, when; accept or decline."""
    callout = callout_of_member(request.user, pk=pk)
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in {"accept", "decline"}:
            raise Http404
        try:
            callout = callout_answer(actor=request.user, callout=callout, accept=answer == "accept")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if callout.status == CallOut.Status.ACCEPTED:
                messages.success(request, _("Thank you. Check in at the gate when you arrive."))
            else:
                messages.success(request, _("Thank you for answering."))
        return redirect("duty:callout", pk=callout.pk)
    over = is_over(callout.shift, timezone.now())
    return render(
        request,
        "duty/callout.html",
        {
            "callout": callout,
            "shift": callout.shift,
            "pending": callout.status == CallOut.Status.PENDING and not over,
            "expired": callout.status == CallOut.Status.EXPIRED
            or (callout.status == CallOut.Status.PENDING and over),
            "today_url": reverse("duty:today"),
        },
    )


# --- the gap-alert list ---------------------------------------------------------------------

ALERTS_PER_PAGE = 20


class AlertFilterForm(forms.Form):
    """The list's filters, from the query string: the districts and stations offered are those
    of the user's posts; "from" and "to" are the days of the windows alerted."""

    district = forms.ChoiceField(label=gettext_lazy("District"), required=False)
    station = forms.TypedChoiceField(
        label=gettext_lazy("Police station"), required=False, coerce=int, empty_value=None
    )
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[
            ("", gettext_lazy("Open and resolved")),
            (OPEN, gettext_lazy("Still open")),
            (RESOLVED, gettext_lazy("Resolved")),
        ],
    )
    post = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(
        self, data: Any, *, districts: list[tuple[str, str]], stations: list[tuple[int, str]]
    ) -> None:
        super().__init__(data)
        # "from" is a Python keyword: the date fields are added by name.
        self.fields["from"] = forms.DateField(
            label=pgettext_lazy("first day", "From"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )
        self.fields["to"] = forms.DateField(
            label=pgettext_lazy("last day", "To"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )
        self.fields["district"].choices = [("", gettext_lazy("All districts")), *districts]  # type: ignore[attr-defined]
        self.fields["station"].choices = [  # type: ignore[attr-defined]
            ("", gettext_lazy("All police stations")),
            *((str(pk), name) for pk, name in stations),
        ]
        self.order_fields(["district", "station", "from", "to", "state", "post"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        error = period_error(data.get("from"), data.get("to"))
        if error:
            raise forms.ValidationError(error)
        return data

    def filters(self) -> AlertFilters:
        data = self.cleaned_data
        return AlertFilters(
            district=data.get("district") or "",
            station=data.get("station"),
            post=data.get("post"),
            start=data.get("from"),
            end=data.get("to"),
            state=data.get("state") or "",
        )


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    """The gap alerts in the user's area, open and resolved, latest first, with who was told and
    who came; filtered by district, station, post, days and state."""
    if not gap_alerts_allowed(request.user):
        raise Http404
    districts, stations = board_filter_choices(request.user)
    form = AlertFilterForm(request.GET, districts=districts, stations=stations)
    post = None
    if not form.is_valid():
        return render(
            request,
            "duty/alerts.html",
            {"form": form, "rows": [], "page": None, "post": None, **_places(districts, stations)},
            status=400,
        )
    filters = form.filters()
    if filters.post:
        post = access.get_or_404(
            request.user, "read", Post.objects.select_related("school__unit"), pk=filters.post
        )
    page = Paginator(gap_alerts_listed(request.user, filters=filters), ALERTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "duty/alerts.html",
        {
            "form": form,
            "page": page,
            "rows": gap_alert_rows(list(page.object_list)),
            "post": post,
            "filtered": any(request.GET.get(k) for k in form.fields),
            **_places(districts, stations),
        },
    )


def _places(districts: list[Any], stations: list[Any]) -> dict[str, bool]:
    """Offer a district or station filter only where there is a choice to make."""
    return {"show_districts": len(districts) > 1, "show_stations": len(stations) > 1}
