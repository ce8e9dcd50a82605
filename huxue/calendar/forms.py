from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huxue.calendar.models import Closure, Term
from huxue.posts.models import School

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ArrangementForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    source = forms.CharField(
        label=_("Official notice"),
        max_length=200,
        help_text=_("e.g. 国务院办公厅通知 国办发明电〔2026〕X号"),
    )
    lines = forms.CharField(
        label=_("Dates"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "One date or date range a line: “2027-01-01 holiday 元旦”, "
            "“2027-02-05~2027-02-11 holiday 春节”, “2027-02-07 workday 春节调休”. "
            "Weekends not listed are days off; weekdays not listed are working days."
        ),
    )
    override = forms.BooleanField(
        label=_("Replace the calendar package's dates for this year"),
        required=False,
        help_text=_("Only to correct the package after a later official notice."),
    )


class TermForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Set by"), queryset=Term.objects.none())
    name = forms.CharField(
        label=_("Name"), max_length=64, help_text=_("e.g. 2026-2027学年第一学期")
    )
    start = forms.DateField(label=_("First day"), widget=_DATE)
    end = forms.DateField(label=_("Last day"), widget=_DATE)

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class ClosureForm(forms.Form):
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none())
    reason = forms.ChoiceField(label=_("Reason"), choices=Closure.Reason.choices)
    start = forms.DateField(label=_("First day"), widget=_DATE)
    end = forms.DateField(label=_("Last day"), widget=_DATE)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
