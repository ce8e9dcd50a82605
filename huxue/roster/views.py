"""Member pages (phone first): my shifts, sign-up, withdrawal, availability, calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huxue.people.models import Person
from huxue.roster.forms import AvailabilityForm, ExceptionForm
from huxue.roster.ical import feed_ics
from huxue.roster.rules import ineligibility_of
from huxue.roster.selectors import (
    assignments_of,
    availability_of,
    feed_by_token,
    member_for,
    open_shifts,
    shift_for,
    signup_for,
    signups_of,
)
from huxue.roster.services import (
    INELIGIBLE,
    availability_exception_delete,
    availability_exception_set,
    availability_set,
    calendar_feed_issue,
    signup_create,
    signup_withdraw,
    withdraw_deadline,
)


def _member(request: HttpRequest) -> Person:
    return member_for(request.user)  # a member is whoever may sign up


@login_required
def my_shifts(request: HttpRequest) -> HttpResponse:
    person = _member(request)
    assignments = list(assignments_of(person, since=timezone.now()))
    rostered = {a.shift_id for a in assignments}
    # A sign-up answered by the published roster shows there, not twice.
    signups = [s for s in signups_of(request.user, person=person) if s.shift_id not in rostered]
    taken = {s.shift_id for s in signups} | rostered
    feed = getattr(person, "calendar_feed", None)
    reason = ineligibility_of(person)
    return render(
        request,
        "roster/my_shifts.html",
        {
            "person": person,
            "assignments": assignments,
            "signups": [(s, withdraw_deadline(s.shift)) for s in signups],
            "open_shifts": [
                s for s in open_shifts(request.user, person=person) if s.pk not in taken
            ],
            "not_eligible": INELIGIBLE[reason] if reason else "",
            "feed_url": request.build_absolute_uri(reverse("roster:ical", args=[feed.token]))
            if feed
            else "",
        },
    )


@login_required
@require_POST
def signup(request: HttpRequest, shift_pk: int) -> HttpResponse:
    person = _member(request)
    shift = shift_for(request.user, pk=shift_pk)
    try:
        made = signup_create(actor=request.user, person=person, shift=shift)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        place = {
            "when": date_format(timezone.localtime(shift.starts_at), "m-d D H:i"),
            "post": shift.post,
        }
        if made.reserve:
            text = _(
                "Thank you: you are a reserve for %(when)s at %(post)s. Its places are taken; "
                "the school lead will ask you if one comes free."
            )
        else:
            text = _(
                "Thank you: your sign-up for %(when)s at %(post)s is waiting for the school "
                "lead's answer."
            )
        messages.success(request, text % place)
    return redirect("roster:my_shifts")


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    _member(request)
    item = signup_for(request.user, pk=pk)
    try:
        signup_withdraw(actor=request.user, signup=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You have withdrawn from %(shift)s.") % {"shift": item.shift})
    return redirect("roster:my_shifts")


@login_required
def availability(request: HttpRequest) -> HttpResponse:
    person = _member(request)
    own = availability_of(person=person)
    current = [(a.weekday, a.start, a.end) for a in own.windows]
    form = AvailabilityForm(request.POST or None, initial_windows=current)
    exception_form = ExceptionForm(prefix="x")
    if request.method == "POST" and form.is_valid():
        availability_set(actor=request.user, person=person, windows=form.windows())
        messages.success(request, _("Your availability has been saved."))
        return redirect("roster:my_shifts")
    return render(
        request,
        "roster/availability.html",
        {
            "form": form,
            "rows": form.rows(),
            "exception_form": exception_form,
            "exceptions": own.exceptions,
        },
    )


@login_required
@require_POST
def availability_exception(request: HttpRequest) -> HttpResponse:
    person = _member(request)
    form = ExceptionForm(request.POST, prefix="x")
    if form.is_valid():
        availability_exception_set(
            actor=request.user,
            person=person,
            day=form.cleaned_data["day"],
            available=form.cleaned_data["available"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Choose a date."))
    return redirect("roster:availability")


@login_required
@require_POST
def exception_delete(request: HttpRequest, pk: int) -> HttpResponse:
    person = _member(request)
    exception = get_object_or_404(availability_of(person=person).exceptions, pk=pk)
    availability_exception_delete(actor=request.user, exception=exception)
    messages.success(
        request,
        _("The special date %(day)s has been deleted.")
        % {"day": date_format(exception.day, "MONTH_DAY_FORMAT")},
    )
    return redirect("roster:availability")


@login_required
@require_POST
def feed_issue(request: HttpRequest) -> HttpResponse:
    person = _member(request)
    calendar_feed_issue(actor=request.user, person=person)
    messages.success(
        request, _("Your private calendar address is ready; any older one no longer works.")
    )
    return redirect("roster:my_shifts")


def ical(request: HttpRequest, token: str) -> HttpResponse:
    feed = feed_by_token(token=token)
    if feed is None:
        raise Http404
    body = feed_ics(assignments_of(feed.person), title=_("My guard duty"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
