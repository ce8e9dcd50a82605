"""Workbooks out: exports of what the user may export, and an empty template per kind.

Exports use the import columns, in the user's language, so an export can be edited and imported
back. People are masked unless the user may reveal and gives a reason; every export is audited.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from huxue.core import audit, xlsx
from huxue.core.validators import normalize_text
from huxue.imports.columns import (
    FORCE_TYPES,
    PEOPLE,
    POSTS,
    SCHOOLS,
    SPECS,
    STAGES,
    TRAINING,
    VETTING,
    SheetSpec,
    is_zh,
    yes_no,
)
from huxue.imports.services import may
from huxue.orgs import access
from huxue.orgs.selectors import units_accepting
from huxue.people.forces import ForceGroup
from huxue.people.models import Consent, Person
from huxue.people.selectors import people_visible_to
from huxue.posts.models import School
from huxue.posts.selectors import posts_visible_to, schools_visible_to
from huxue.posts.services import format_windows


def filename(kind: str, what: str = "export") -> str:
    return f"huxue-{kind}-{what}-{timezone.localdate():%Y%m%d}.xlsx"


# ---- writing -------------------------------------------------------------------------------


def _write_only(spec: SheetSpec, rows: Iterable[list[Any]]) -> bytes:
    return xlsx.one_sheet(spec.title(), [column.label() for column in spec.columns], rows)


# ---- exports -------------------------------------------------------------------------------


def _reason_or_error(reason: str) -> str:
    reason = normalize_text(reason)
    if len(reason) < 4:
        raise ValidationError(
            {"reason": [_("Give a reason of at least 4 characters for seeing this in full.")]}
        )
    return reason[:300]


def export_people(*, actor: Any, full: bool = False, reason: str = "") -> tuple[bytes, int]:
    """The people the actor may export, masked; in full (where the actor may reveal) only with a reason.

    Raises Http404 without the permissions, ValidationError for a missing reason.
    """
    if not may(actor, "export", "people") or (full and not access.allowed(actor, "reveal", Person)):
        raise Http404
    reason = _reason_or_error(reason) if full else ""
    latest_consent = Consent.objects.filter(
        person=OuterRef("pk"), withdrawn_at__isnull=True
    ).order_by("-consented_at")
    qs: QuerySet[Person] = people_visible_to(actor, action="export").annotate(
        consent_version=Subquery(latest_consent.values("text_version")[:1])
    )
    if full:
        reveal = access.scope(actor, "reveal", Person)
        may_reveal = (
            Value(True)
            if reveal == Q()
            else Case(When(reveal, then=Value(True)), default=Value(False))
        )
        qs = qs.annotate(may_reveal=may_reveal)
    else:
        qs = qs.annotate(may_reveal=Value(False, output_field=BooleanField()))
    counts = {"rows": 0, "revealed": 0}

    def rows() -> Iterator[list[Any]]:
        for p in qs.order_by("unit__path", "name", "id").iterator(chunk_size=2000):
            counts["rows"] += 1
            shown = bool(p.may_reveal)
            counts["revealed"] += shown
            yield [
                p.name,
                FORCE_TYPES.label(p.force_type),
                p.phone if shown else p.phone_masked,
                p.id_number if shown else p.id_masked,
                p.unit.name,
                VETTING.label(p.vetting_status),
                p.vetted_on,
                TRAINING.label(p.training_status),
                p.trained_on,
                yes_no(p.armband_issued),
                yes_no(p.vest_issued),
                p.child_school.unit.name if p.child_school else "",
                p.consent_version or "",  # type: ignore[attr-defined]
            ]

    data = _write_only(PEOPLE, rows())
    audit.record(
        action="people.export",
        actor=actor,
        object_type="people.person",
        detail={
            "rows": counts["rows"],
            "masked": not full,
            "revealed": counts["revealed"],
            "reason": reason,
        },
    )
    return data, counts["rows"]


def export_schools(*, actor: Any) -> tuple[bytes, int]:
    if not may(actor, "export", "schools"):
        raise Http404
    qs = schools_visible_to(actor, action="export").order_by("unit__path")
    rows = [
        [
            s.unit.name,
            STAGES.label(s.stage),
            s.pupils,
            s.station.name,
            s.unit.region.code,
            s.address,
            s.latitude,
            s.longitude,
        ]
        for s in qs
    ]
    data = _write_only(SCHOOLS, rows)
    audit.record(
        action="schools.export", actor=actor, object_type="posts.school", detail={"rows": len(rows)}
    )
    return data, len(rows)


def export_posts(*, actor: Any) -> tuple[bytes, int]:
    if not may(actor, "export", "posts"):
        raise Http404
    rows = []
    for post in posts_visible_to(actor, action="export").order_by("school__unit__path", "name"):
        needed = {r.group: r.minimum for r in post.requirements.all()}
        rows.append(
            [
                post.school.unit.name,
                post.name,
                post.latitude,
                post.longitude,
                post.geofence_m,
                format_windows(post.windows.all()),
                *(needed.get(g, 0) for g in ForceGroup.values),
            ]
        )
    data = _write_only(POSTS, rows)
    audit.record(
        action="posts.export", actor=actor, object_type="posts.post", detail={"rows": len(rows)}
    )
    return data, len(rows)


EXPORTERS = {"schools": export_schools, "posts": export_posts}


# ---- templates -----------------------------------------------------------------------------


def _example(actor: Any, kind: str) -> dict[str, Any]:
    zh = is_zh()
    if kind == "people":
        unit = units_accepting(actor, object_type="person").first()
        school = schools_visible_to(actor).first()
        return {
            "name": "张三" if zh else "Zhang San",
            "force_type": FORCE_TYPES.label("parent"),
            "phone": "13812345678",
            "id_number": "11010519491231002X",  # the example number printed in GB 11643
            "unit": unit.name if unit else "",
            "vetting_status": VETTING.label("passed"),
            "vetted_on": dt.date(2024, 3, 1),
            "training_status": TRAINING.label("trained"),
            "trained_on": dt.date(2024, 3, 15),
            "armband_issued": yes_no(True),
            "vest_issued": yes_no(True),
            "child_school": school.unit.name if school else "",
            "consent_version": "v1",
        }
    if kind == "schools":
        station = units_accepting(actor, object_type="school", kind="station").first()
        return {
            "name": "示例小学" if zh else "Example Primary School",
            "stage": STAGES.label("primary"),
            "pupils": 800,
            "station": station.name if station else "",
            "region_code": station.region.code if station else "",
            "address": "新兴区示例路 1 号" if zh else "1 Example Road",
            "latitude": 45.771234,
            "longitude": 131.001234,
        }
    school = (
        School.objects.filter(
            unit__in=units_accepting(actor, object_type="post", kind="school"),
            voided_at__isnull=True,
        )
        .select_related("unit")
        .first()
    )
    return {
        "school": school.unit.name if school else "",
        "gate": "南门" if zh else "South gate",
        "latitude": float(school.latitude) if school else 45.771234,
        "longitude": float(school.longitude) if school else 131.001234,
        "geofence_m": 150,
        "windows": "07:00-08:00, 15:30-17:00",
        ForceGroup.POLICE: 1,
        ForceGroup.GUARD: 1,
        ForceGroup.STAFF: 0,
        ForceGroup.VOLUNTEER: 2,
    }


TEXT_COLUMNS = {"phone", "id_number", "region_code"}
TEMPLATE_ROWS = 2000


def template_workbook(*, actor: Any, kind: str) -> bytes:
    """An empty sheet for `kind`: a title row, the header row, one example row, and a second
    sheet listing the values each choice column accepts (also offered as drop-downs)."""
    spec = SPECS[kind]
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = spec.title()
    sheet.append(
        [
            _(
                "Huxue import template: %(kind)s. Keep the header row; replace the example row with your data."
            )
            % {"kind": spec.title()}
        ]
    )
    sheet.append([c.label() for c in spec.columns])
    example = _example(actor, kind)
    sheet.append([example.get(c.key, "") for c in spec.columns])
    for cell in sheet[2]:
        cell.font = xlsx.BOLD
    sheet.freeze_panes = "A3"

    values = workbook.create_sheet(_("Valid values"))
    listed = [c for c in spec.columns if c.choices or c.boolean or c.hints]
    for position, column in enumerate(listed, start=1):
        if column.choices:
            options = column.choices.labels()
        elif column.boolean:
            options = [yes_no(True), yes_no(False)]
        else:
            options = list(column.hints)
        letter = get_column_letter(position)
        values.cell(row=1, column=position, value=column.label()).font = xlsx.BOLD
        for row, option in enumerate(options, start=2):
            values.cell(row=row, column=position, value=option)
        values.column_dimensions[letter].width = 24
        if column.hints:
            continue  # examples, not a closed list
        target = get_column_letter(spec.columns.index(column) + 1)
        check = DataValidation(
            type="list",
            formula1=f"'{values.title}'!${letter}$2:${letter}${len(options) + 1}",
            allow_blank=True,
        )
        check.add(f"{target}3:{target}{TEMPLATE_ROWS}")
        sheet.add_data_validation(check)

    for position, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(12, len(column.label()) * 2 + 4)
        if column.key in TEXT_COLUMNS:
            # Typed as text, so Excel keeps all 18 digits of an ID and the leading digits of a phone.
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=3, column=position).number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def errors_workbook(job: Any) -> bytes:
    """A job's rejected rows as a sheet, for fixing the file."""
    rows = (
        [error.get("row"), error.get("column", ""), error.get("message", "")]
        for error in job.errors
    )
    return xlsx.one_sheet(_("Rejected rows"), [_("Row"), _("Column"), _("Reason")], rows)
