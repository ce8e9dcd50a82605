from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _

from huxue.posts.models import DutyWindow


class AvailabilityForm(forms.Form):
    """One row per weekday: the hours the member can usually stand at the gate."""

    def __init__(
        self,
        *args: Any,
        initial_windows: list[tuple[int, dt.time, dt.time]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        existing = {d: (s, e) for d, s, e in (initial_windows or [])}
        for day, label in DutyWindow.Weekday.choices:
            start, end = existing.get(day, (None, None))
            # Each box is named with its day, as a screen reader reads it out of its row.
            self.fields[f"start_{day}"] = forms.TimeField(
                label=_("%(day)s start time") % {"day": label},
                required=False,
                initial=start,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"end_{day}"] = forms.TimeField(
                label=_("%(day)s end time") % {"day": label},
                required=False,
                initial=end,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    def rows(self) -> list[tuple[str, BoundField, BoundField]]:
        """The page's rows: the weekday's name, its start box and its end box."""
        return [
            (str(label), self[f"start_{day}"], self[f"end_{day}"])
            for day, label in DutyWindow.Weekday.choices
        ]

    def windows(self) -> list[tuple[int, dt.time, dt.time]]:
        result = []
        for day, _label in DutyWindow.Weekday.choices:
            start, end = self.cleaned_data.get(f"start_{day}"), self.cleaned_data.get(f"end_{day}")
            if start and end:
                result.append((day, start, end))
        return result

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day, label in DutyWindow.Weekday.choices:
            start, end = data.get(f"start_{day}"), data.get(f"end_{day}")
            if bool(start) != bool(end):
                self.add_error(f"end_{day}", _("Give both a start and an end time, or neither."))
            elif start and end and end <= start:
                self.add_error(
                    f"end_{day}",
                    ValidationError(
                        _("%(day)s: the end must be after the start."), params={"day": label}
                    ),
                )
        return data


class ExceptionForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    available = forms.TypedChoiceField(
        label=_("That day I am"),
        choices=[("0", _("not available")), ("1", _("available"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Reason"), max_length=100, required=False)
