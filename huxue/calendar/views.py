from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from huxue.calendar import selectors
from huxue.calendar.forms import ArrangementForm, ClosureForm, TermForm, VoidForm
from huxue.calendar.models import Closure, HolidayArrangement, Term
from huxue.calendar.services import (
    TERM_OWNERS,
    arrangement_set_year,
    closure_create,
    closure_void,
    parse_arrangement,
    term_create,
    term_update,
)
from huxue.orgs import access
from huxue.orgs.models import Unit
from huxue.orgs.selectors import units_accepting


def _add_errors(form: forms.Form, exc: ValidationError, *, default: str | None = None) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else default, error)
    else:
        for error in exc.messages:
            form.add_error(default, error)


@login_required
def calendar_index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (access.allowed(user, "read", Term) or access.allowed(user, "read", Closure)):
        raise Http404
    coverage = selectors.calendar_coverage()
    covered = {c.year for c in coverage}
    this_year = timezone.localdate().year
    return render(
        request,
        "calendar/index.html",
        {
            # Only the years that matter now; the package reaches back to 2004.
            "coverage": [c for c in coverage if c.year >= this_year - 1],
            "missing": [y for y in (this_year, this_year + 1) if y not in covered],
            "terms": selectors.terms_visible_to(user),
            "closures": selectors.closures_visible_to(user).order_by("-start")[:100],
            "can_enter_year": access.allowed(user, "write", HolidayArrangement),
            "can_add_term": access.allowed(user, "write", Term),
            "can_add_closure": selectors.schools_accepting_closures(user).exists(),
        },
    )


@login_required
def arrangement_view(request: HttpRequest) -> HttpResponse:
    if not access.allowed(request.user, "write", HolidayArrangement):
        raise Http404
    form = ArrangementForm(request.POST or None, initial={"year": timezone.localdate().year + 1})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entries = parse_arrangement(data["lines"], year=data["year"])
            arrangement_set_year(
                actor=request.user,
                year=data["year"],
                entries=entries,
                source=data["source"],
                override=data["override"],
            )
        except ValidationError as exc:
            _add_errors(form, exc, default="lines")
        else:
            messages.success(
                request,
                ngettext(
                    "The national arrangement for %(year)s has been saved: %(count)s date.",
                    "The national arrangement for %(year)s has been saved: %(count)s dates.",
                    len(entries),
                )
                % {"year": data["year"], "count": len(entries)},
            )
            return redirect("calendar:index")
    return render(request, "calendar/arrangement_form.html", {"form": form})


def _term_units(request: HttpRequest) -> QuerySet[Unit]:
    return units_accepting(request.user, object_type="term").filter(kind__in=sorted(TERM_OWNERS))


@login_required
def term_create_view(request: HttpRequest) -> HttpResponse:
    if not access.allowed(request.user, "write", Term):
        raise Http404
    form = TermForm(request.POST or None, units=_term_units(request))
    if request.method == "POST" and form.is_valid():
        try:
            term_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The term has been added."))
            return redirect("calendar:index")
    return render(request, "calendar/term_form.html", {"form": form})


@login_required
def term_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    term = selectors.term_for(request.user, pk=pk, action="write")
    form = TermForm(
        request.POST or None, initial={"name": term.name, "start": term.start, "end": term.end}
    )
    if request.method == "POST" and form.is_valid():
        try:
            term_update(actor=request.user, term=term, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Changes to the term have been saved."))
            return redirect("calendar:index")
    return render(request, "calendar/term_form.html", {"form": form, "term": term})


@login_required
def closure_create_view(request: HttpRequest) -> HttpResponse:
    schools = selectors.schools_accepting_closures(request.user)
    if not access.allowed(request.user, "write", Closure) or not schools.exists():
        raise Http404
    form = ClosureForm(request.POST or None, schools=schools)
    if request.method == "POST" and form.is_valid():
        try:
            closure = closure_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The closure has been recorded."))
            return redirect("calendar:closure_detail", pk=closure.pk)
    return render(request, "calendar/closure_form.html", {"form": form})


@login_required
def closure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    closure = selectors.closure_for(request.user, pk=pk)
    return render(
        request,
        "calendar/closure_detail.html",
        {
            "closure": closure,
            "can_void": not closure.is_void and access.can(request.user, "write", closure),
            "void_form": VoidForm(),
        },
    )


@login_required
@require_POST
def closure_void_view(request: HttpRequest, pk: int) -> HttpResponse:
    closure = selectors.closure_for(request.user, pk=pk, action="write")
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why this closure is being voided."))
        return redirect("calendar:closure_detail", pk=closure.pk)
    try:
        closure_void(actor=request.user, closure=closure, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The closure has been voided; it stays in the records."))
    return redirect("calendar:closure_detail", pk=closure.pk)
