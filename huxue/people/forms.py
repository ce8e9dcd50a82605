from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from huxue.orgs.models import Unit
from huxue.people.forces import ForceType
from huxue.people.models import Consent, Person
from huxue.people.services import PersonInput, person_clean
from huxue.posts.models import School


class PersonForm(forms.Form):
    """Parses the page's input; person_clean decides what is valid, as for the API and imports."""

    name = forms.CharField(label=_("Name"), max_length=50)
    force_type = forms.ChoiceField(label=_("Force type"), choices=ForceType.choices)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    phone = forms.CharField(label=_("Mobile number"), max_length=32)
    id_number = forms.CharField(label=_("Resident ID number"), max_length=32)
    vetting_status = forms.ChoiceField(label=_("Background check"), choices=Person.Vetting.choices)
    vetted_on = forms.DateField(
        label=_("Checked on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    training_status = forms.ChoiceField(label=_("Training"), choices=Person.Training.choices)
    trained_on = forms.DateField(
        label=_("Trained on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    armband_issued = forms.BooleanField(label=_("Red armband issued"), required=False)
    vest_issued = forms.BooleanField(label=_("Red vest issued"), required=False)
    child_school = forms.ModelChoiceField(
        label=_("Child's school (parents)"), queryset=School.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, units: Any, schools: Any, existing: Person | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.existing = existing
        if existing is not None:
            # The edit page never prints the full values: blank keeps what is stored.
            for field, masked in (
                ("phone", existing.phone_masked),
                ("id_number", existing.id_masked),
            ):
                self.fields[field].required = False
                self.fields[field].widget.attrs["placeholder"] = masked
                self.fields[field].help_text = _("Leave blank to keep %(masked)s.") % {
                    "masked": masked
                }
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["child_school"].queryset = schools  # type: ignore[attr-defined]
        self.cleaned_input: PersonInput | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        raw = dict(data)
        raw["child_school_id"] = data["child_school"].pk if data.get("child_school") else None
        if self.existing is not None:
            raw["phone"] = raw.get("phone") or self.existing.phone
            raw["id_number"] = raw.get("id_number") or self.existing.id_number
        try:
            self.cleaned_input = person_clean(raw, unit=data.get("unit"))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=[("id_number", _("ID number")), ("phone", _("Mobile number"))]
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ConsentForm(forms.Form):
    text_version = forms.CharField(
        label=_("Consent text version"), max_length=32, initial="2019-v1"
    )
    method = forms.ChoiceField(label=_("Method"), choices=Consent.Method.choices)


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
