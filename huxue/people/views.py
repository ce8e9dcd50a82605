from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huxue.core.validators import normalize_id_number, normalize_phone
from huxue.orgs import access
from huxue.orgs.selectors import units_accepting
from huxue.people.forces import ForceType
from huxue.people.forms import ConsentForm, PersonForm, RevealForm, VoidForm
from huxue.people.models import Person
from huxue.people.selectors import people_visible_to, person_for
from huxue.people.services import (
    consent_record,
    id_index_of,
    person_create,
    person_reveal,
    person_update,
    person_void,
    phone_index_of,
)
from huxue.posts.selectors import schools_visible_to


def _require_allowed(request: HttpRequest, action: str) -> None:
    if not access.allowed(request.user, action, Person):
        raise Http404


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    _require_allowed(request, "read")
    people = people_visible_to(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        # An ID or phone is found through its blind index; a name by substring.
        id_like, phone_like = normalize_id_number(q), normalize_phone(q)
        people = people.filter(
            Q(name__icontains=q)
            | Q(id_index=id_index_of(id_like))
            | Q(phone_index=phone_index_of(phone_like))
        )
    force_type = request.GET.get("force_type", "")
    if force_type in ForceType.values:
        people = people.filter(force_type=force_type)
    unit = request.GET.get("unit", "")
    if unit.isdigit():
        people = people.filter(unit_id=int(unit))
    page = Paginator(people.order_by("unit__path", "name", "id"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "people/list.html",
        {
            "page": page,
            "q": q,
            "force_type": force_type,
            "force_types": ForceType.choices,
            "can_write": access.allowed(request.user, "write", Person),
            "can_export": access.allowed(request.user, "export", Person),
        },
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_for(request.user, pk=pk)
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "consents": person.consents.all(),
            "can_write": access.can(request.user, "write", person),
            "can_reveal": access.can(request.user, "reveal", person),
            "reveal_form": RevealForm(),
            "void_form": VoidForm(),
            "consent_form": ConsentForm(),
        },
    )


def _form(
    request: HttpRequest,
    data: object = None,
    initial: dict | None = None,
    existing: Person | None = None,
) -> PersonForm:
    return PersonForm(
        data,
        initial=initial,
        existing=existing,
        units=units_accepting(request.user, object_type="person"),
        schools=schools_visible_to(request.user),
    )


@login_required
def person_create_view(request: HttpRequest) -> HttpResponse:
    _require_allowed(request, "write")
    form = _form(request, request.POST or None)
    if request.method == "POST" and form.is_valid() and form.cleaned_input:
        try:
            person = person_create(actor=request.user, data=form.cleaned_input)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("%(name)s has been registered.") % {"name": person.name})
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form, "creating": True})


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_for(request.user, pk=pk, action="write")
    initial = {
        "name": person.name,
        "force_type": person.force_type,
        "unit": person.unit_id,
        "vetting_status": person.vetting_status,
        "vetted_on": person.vetted_on,
        "training_status": person.training_status,
        "trained_on": person.trained_on,
        "armband_issued": person.armband_issued,
        "vest_issued": person.vest_issued,
        "child_school": person.child_school_id,
    }
    form = _form(request, request.POST or None, initial=initial, existing=person)
    if request.method == "POST" and form.is_valid() and form.cleaned_input:
        try:
            person_update(actor=request.user, person=person, data=form.cleaned_input)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request, _("Changes to %(name)s have been saved.") % {"name": person.name}
            )
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form, "person": person, "creating": False})


@login_required
@require_POST
def person_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_for(request.user, pk=pk, action="reveal")
    form = RevealForm(request.POST)
    error = value = ""
    field = request.POST.get("field", "")
    if form.is_valid():
        try:
            value = person_reveal(
                actor=request.user,
                person=person,
                field=form.cleaned_data["field"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = _("Give a reason of at least 4 characters for seeing this in full.")
    return render(
        request,
        "people/_revealed.html",
        {"value": value, "error": error, "field": field, "person": person},
    )


@login_required
@require_POST
def person_consent_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_for(request.user, pk=pk, action="write")
    form = ConsentForm(request.POST)
    if form.is_valid():
        consent_record(
            actor=request.user,
            person=person,
            text_version=form.cleaned_data["text_version"],
            method=form.cleaned_data["method"],
        )
        messages.success(request, _("The consent has been recorded."))
    else:
        messages.error(request, _("Name the version of the consent text."))
    return redirect("people:detail", pk=person.pk)


@login_required
@require_POST
def person_void_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_for(request.user, pk=pk, action="write")
    form = VoidForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why this record is being voided."))
        person_void(actor=request.user, person=person, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The record has been voided; it stays in the audit trail."))
    return redirect("people:detail", pk=person.pk)
