"""Forms of the supervision pages: they parse and check input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from huxue.files.images import clean_image
from huxue.supervision.models import Hazard, RoundAnswer

MAX_PHOTOS = 6


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS photos, each checked by its content here (the service keeps them)."""

    widget = MultipleFileInput(
        attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos"))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[bytes]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("At most %(n)d photos at a time.") % {"n": MAX_PHOTOS})
        contents = []
        for upload in files:
            content = b"".join(upload.chunks())
            clean_image(content)  # the same check the service makes: refuse before writing
            contents.append(content)
        return contents


class AnswerForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"), choices=RoundAnswer.Result.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = PhotosField()


class StartForm(forms.Form):
    post = forms.IntegerField(label=_("Post"), min_value=1, max_value=2**63 - 1)
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    accuracy = forms.FloatField(
        required=False, min_value=0, max_value=100_000, widget=forms.HiddenInput
    )


class HazardForm(forms.Form):
    school = forms.TypedChoiceField(label=_("School"), coerce=int)
    post = forms.TypedChoiceField(label=_("Post"), coerce=int, required=False, empty_value=None)
    title = forms.CharField(label=_("Hazard"), max_length=80)
    category = forms.ChoiceField(label=_("Category"), choices=Hazard.Category.choices)
    grade = forms.ChoiceField(
        label=_("Grade"), choices=Hazard.Grade.choices, widget=forms.RadioSelect, initial="general"
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    answer = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    photos = PhotosField()

    def __init__(
        self,
        *args: Any,
        schools: list[tuple[int, str]],
        posts: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = schools  # type: ignore[attr-defined]
        self.fields["post"].choices = [("", _("The whole school")), *posts]  # type: ignore[attr-defined]


class StepForm(forms.Form):
    step = forms.CharField(max_length=12)
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    responsible = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    requirement = forms.CharField(
        label=_("Rectification required"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photos = PhotosField()
