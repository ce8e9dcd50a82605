"""Small forms for the lead pages and the member's swap request; they only parse input."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _


class DropForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PickForm(forms.Form):
    """One member out of a ranked list the page offered."""

    person = forms.IntegerField(widget=forms.HiddenInput)
    substitute = forms.BooleanField(required=False, widget=forms.HiddenInput)


class SwapForm(forms.Form):
    colleague = forms.TypedChoiceField(label=_("Colleague"), coerce=int)
    note = forms.CharField(label=_("Note for the school lead"), max_length=200, required=False)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["colleague"])
        field.choices = choices


class ReleaseForm(forms.Form):
    """A member with no colleague free asks the school lead to be let off a shift."""

    reason = forms.CharField(
        label=_("Why you cannot come"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
