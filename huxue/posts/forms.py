from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from huxue.orgs.models import Unit
from huxue.people.forces import ForceGroup
from huxue.posts.models import DutyWindow, School
from huxue.posts.services import SCHOOL_DAYS, clean_requirements, parse_windows


class SchoolForm(forms.Form):
    name = forms.CharField(label=_("School name"), max_length=100)
    stage = forms.ChoiceField(label=_("Stage"), choices=School.Stage.choices)
    pupils = forms.IntegerField(
        label=_("Number of pupils"), min_value=0, max_value=20000, initial=0
    )
    station = forms.ModelChoiceField(label=_("Police station (属地)"), queryset=Unit.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"),
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-90),
        max_value=Decimal(90),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-180),
        max_value=Decimal(180),
    )

    def __init__(self, *args: Any, stations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations  # type: ignore[attr-defined]


class PostForm(forms.Form):
    name = forms.CharField(label=_("Gate"), max_length=64, help_text=_("e.g. 南门 (south gate)"))
    latitude = forms.DecimalField(
        label=_("Latitude"),
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-90),
        max_value=Decimal(90),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-180),
        max_value=Decimal(180),
    )
    geofence_m = forms.IntegerField(
        label=_("Geofence radius (m)"), min_value=20, max_value=2000, initial=150
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Duty days"),
        choices=DutyWindow.Weekday.choices,
        coerce=int,
        initial=list(SCHOOL_DAYS),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("School holidays and make-up days come from the calendar, not from here."),
    )
    windows = forms.CharField(
        label=_("Duty windows on those days"),
        initial="07:00-08:00, 15:30-17:00",
        help_text=_("Comma-separated, e.g. 07:00-08:00, 15:30-17:00"),
    )
    police = forms.IntegerField(
        label=ForceGroup.POLICE.label, min_value=0, max_value=50, initial=1, required=False
    )
    guard = forms.IntegerField(
        label=ForceGroup.GUARD.label, min_value=0, max_value=50, initial=1, required=False
    )
    staff = forms.IntegerField(
        label=ForceGroup.STAFF.label, min_value=0, max_value=50, initial=0, required=False
    )
    volunteer = forms.IntegerField(
        label=ForceGroup.VOLUNTEER.label, min_value=0, max_value=50, initial=2, required=False
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["name"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "windows" in data and data.get("weekdays"):
            try:
                data["windows"] = parse_windows(data["windows"], weekdays=data["weekdays"])
            except ValidationError as exc:
                self.add_error("windows", exc)
        try:
            data["requirements"] = clean_requirements({g: data.get(g) for g in ForceGroup.values})
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    for e in errors:
                        self.add_error(field, e)
            else:
                self.add_error(None, exc)
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
