"""A city's rules, on one page: rostering (caps, cut-off, reminders, solver time) and duty at the
gate (geofence, check-in window, walk-ins, offline age, gap alerts). Rules set on a region apply
to it and every region under it unless one of those sets its own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huxue.core import rulesets
from huxue.duty.checkin.services import duty_rules_save
from huxue.duty.models import DutyRules
from huxue.orgs import access
from huxue.orgs.models import Region
from huxue.roster.models import CityRules
from huxue.roster.services import city_rules_save


class CityRulesForm(forms.ModelForm):
    class Meta:
        model = CityRules
        fields = [
            "shifts_per_member_week",
            "shifts_per_family_term",
            "withdraw_cutoff_hours",
            "reminder_minutes_before",
            "solver_time_limit_s",
        ]


class DutyRulesForm(forms.ModelForm):
    class Meta:
        model = DutyRules
        fields = [
            "geofence_m",
            "geofence_mode",
            "early_minutes",
            "late_minutes",
            "walkins",
            "max_delay_hours",
            "gap_alert_minutes",
            "auto_checkout_minutes",
        ]


SECTIONS: dict[str, tuple[type[models.Model], type[forms.ModelForm], Any]] = {
    "roster": (CityRules, CityRulesForm, city_rules_save),
    "duty": (DutyRules, DutyRulesForm, duty_rules_save),
}


def _source(effective: models.Model, region: Region) -> str:
    if effective.pk is None:
        return _("Defaults (no region above has set these rules).")
    owner = effective.region  # type: ignore[attr-defined]
    if owner.pk == region.pk:
        return _("Set on this region.")
    return _("Inherited from %(region)s.") % {"region": owner.name}


@login_required
def city_rules(request: HttpRequest) -> HttpResponse:
    readable = {
        name: access.regions(request.user, "read", model)
        for name, (model, *_rest) in SECTIONS.items()
    }
    regions = sorted(
        {r for qs in readable.values() for r in qs}, key=lambda r: (r.path.count("/"), r.path)
    )
    if not regions:
        raise Http404
    code = request.GET.get("region") or request.POST.get("region") or regions[0].code
    region = next((r for r in regions if r.code == code), None)
    if region is None:
        raise Http404
    sections = []
    for name, (model, form_class, save) in SECTIONS.items():
        if region not in readable[name]:
            continue
        writable = access.regions(request.user, "write", model).filter(pk=region.pk).exists()
        effective = rulesets.nearest(model, region)
        bound = request.method == "POST" and request.POST.get("section") == name
        form = form_class(request.POST if bound else None, instance=effective, prefix=name)
        if bound:
            if not writable:
                raise Http404
            if form.is_valid():
                values = {f: form.cleaned_data[f] for f in form.fields}
                save(actor=request.user, region=region, values=values)
                messages.success(request, _("The rules have been saved."))
                return redirect(f"{request.path}?region={region.code}")
        if not writable:
            for field in form.fields.values():
                field.disabled = True
        sections.append(
            {
                "name": name,
                "title": model._meta.verbose_name,
                "form": form,
                "writable": writable,
                "source": _source(effective, region),
            }
        )
    return render(
        request,
        "web/rules.html",
        {"regions": regions, "region": region, "sections": sections},
    )
