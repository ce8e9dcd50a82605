from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huxue.orgs.models import Unit
from huxue.orgs.selectors import units_accepting

XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel file (.xlsx)"))

    def __init__(self, *args: Any, user: Any, kind: str, **kwargs: Any) -> None:
        kwargs["prefix"] = kind
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["file"].widget.attrs.update(
            {
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "id": f"import-{kind}-file",
                "data-testid": f"import-{kind}-file",
            }
        )
        if kind == "people":
            units = units_accepting(user, object_type="person")
            field = forms.ModelChoiceField(
                queryset=units,
                required=False,
                label=gettext_lazy("Into unit"),
                empty_label=gettext_lazy("(the unit named on each row)"),
                help_text=gettext_lazy("Rows whose unit cell is empty go into this unit."),
            )
            field.widget.attrs.update(
                {"id": "import-people-unit", "data-testid": "import-people-unit"}
            )
            only = list(units[:2])
            if len(only) == 1:
                field.initial = only[0].pk
            self.fields["unit"] = field

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith(".xlsx"):
            raise forms.ValidationError(
                _(
                    "Upload an Excel workbook saved as .xlsx. An older .xls file can be saved as .xlsx in Excel or WPS."
                ),
                code="extension",
            )
        if (upload.size or 0) > settings.HUXUE_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _(
                    "This file is %(size)s; files up to %(limit)s can be imported. Split it into smaller files."
                )
                % {
                    "size": filesizeformat(upload.size or 0),
                    "limit": filesizeformat(settings.HUXUE_IMPORT_MAX_BYTES),
                },
                code="size",
            )
        head = upload.read(4)
        upload.seek(0)
        if head != XLSX_MAGIC:
            raise forms.ValidationError(
                _("This file is not an Excel workbook (.xlsx)."), code="format"
            )
        return upload

    @property
    def unit(self) -> Unit | None:
        unit: Unit | None = self.cleaned_data.get("unit")
        return unit


class FullExportForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for exporting ID and phone numbers in full"),
        max_length=300,
        widget=forms.TextInput(
            attrs={"id": "export-people-reason", "data-testid": "export-people-reason"}
        ),
    )
