"""A school's week as an Excel file, for the lead to post at the gate or pass on.

The file holds the published roster, what members, reminders and the check-in read, never the
lead's unpublished edits; its first lines name the school, the week and the version and say how
many changes are still unpublished. It is scoped like the week grid, and audited: it lists people.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

from huxue.core import audit, xlsx
from huxue.people.forces import GROUP_LABELS
from huxue.posts.models import School
from huxue.roster.models import Assignment, RosterVersion, Shift
from huxue.roster.planning import week_changes
from huxue.roster.rules import week_bounds
from huxue.roster.selectors import school_planned_for, school_week_shifts


@dataclass(frozen=True)
class PublishedWeek:
    school: School
    monday: dt.date
    shifts: Sequence[Shift]  # each with `published_people`: its published assignments
    version: RosterVersion | None  # the latest published version of this week
    unpublished: int  # changes not yet published, counted as the grid counts them


def published_week_for(user: Any, *, school: School, monday: dt.date) -> PublishedWeek:
    """A school's week as members see it: the grid's shifts (same scope) with their published
    assignments, the latest version and the number of unpublished changes."""
    shifts = list(
        school_week_shifts(user, school=school, monday=monday)
        .prefetch_related(None)  # the grid's planned roster and sign-ups are not wanted here
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.published()
                .select_related("person")
                .order_by("group", "person__name", "id"),
                to_attr="published_people",
            )
        )
        .order_by("day", "start", "post__name", "post_id")
    )
    version = RosterVersion.objects.filter(school=school, start=monday).order_by("-version").first()
    changes = week_changes(school=school, start=monday, end=monday + dt.timedelta(days=6))
    return PublishedWeek(
        school=school, monday=monday, shifts=shifts, version=version, unpublished=changes.count
    )


def _groups(shift: Shift) -> Iterator[tuple[str, int, list[Assignment]]]:
    """Each force group the shift needs, or has someone in, with its need and its people."""
    by_group: dict[str, list[Assignment]] = defaultdict(list)
    for a in shift.published_people:  # type: ignore[attr-defined]
        by_group[a.group].append(a)
    for group, need in sorted(shift.requirements.items()):
        people = by_group.pop(group, [])
        if int(need) > 0 or people:
            yield group, int(need), people
    for group, people in sorted(by_group.items()):  # a group no longer asked for
        yield group, 0, people


def week_lines(week: PublishedWeek) -> tuple[list[str], list[str], list[list[Any]]]:
    """The file's opening lines, its column heads and one row per shift and force group."""
    sunday = week.monday + dt.timedelta(days=6)
    title = _("Roster of %(school)s, %(start)s to %(end)s") % {
        "school": week.school.unit.name,
        "start": week.monday.isoformat(),
        "end": sunday.isoformat(),
    }
    if week.version is not None:
        when = date_format(timezone.localtime(week.version.published_at), "Y-m-d H:i")
        version = _("Published version %(v)s (%(when)s).") % {
            "v": week.version.version,
            "when": when,
        }
    else:
        version = _("Not published yet.")
    lines = [title, version, _("This file holds the published roster, as members see it.")]
    if week.unpublished:
        lines.append(
            ngettext(
                "%(n)d change made since is not published and is not in this file.",
                "%(n)d changes made since are not published and are not in this file.",
                week.unpublished,
            )
            % {"n": week.unpublished}
        )
    header = [
        _("Day"),
        _("Weekday"),
        _("Time"),
        _("Gate"),
        _("Force group"),
        _("Needed"),
        _("Rostered"),
        _("People"),
    ]
    rows: list[list[Any]] = []
    for shift in week.shifts:
        for group, need, people in _groups(shift):
            rows.append(
                [
                    shift.day,
                    date_format(shift.day, "l"),
                    f"{shift.start:%H:%M}–{shift.end:%H:%M}",
                    shift.post.name,
                    str(GROUP_LABELS.get(group, group)),
                    need,
                    len(people),
                    "、".join(a.person.name for a in people),
                ]
            )
    return lines, header, rows


WIDTHS = [12, 8, 13, 14, 12, 7, 7, 48]


def workbook(preamble: list[str], header: list[str], rows: list[list[Any]]) -> bytes:
    """One sheet: the opening lines (the first in bold), a blank line, the bold column heads and
    the rows; laid out to print on A4 landscape. Text goes through ``xlsx.cell``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Week roster")[:31])
    for i, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for n, line in enumerate(preamble):
        text = WriteOnlyCell(sheet, value=line)
        text.data_type = "s"  # text, even from "=" (see xlsx.cell)
        if n == 0:
            text.font = xlsx.BOLD
        sheet.append([text])
    sheet.append([])
    heads = []
    for label in header:
        head = WriteOnlyCell(sheet, value=label)
        head.font = xlsx.BOLD
        heads.append(head)
    sheet.append(heads)
    for row in rows:
        sheet.append([xlsx.cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@login_required
@require_GET
def week_export(request: HttpRequest, pk: int, monday: str) -> HttpResponse:
    """The published roster of a school's week as .xlsx: for those who may see the week grid."""
    school = school_planned_for(request.user, pk=pk)
    try:
        start = week_bounds(dt.date.fromisoformat(monday))[0]
    except ValueError:
        raise Http404 from None
    week = published_week_for(request.user, school=school, monday=start)
    preamble, header, rows = week_lines(week)
    data = workbook(preamble, header, rows)
    audit.record(
        action="roster.week.export",
        actor=request.user,
        obj=school,
        object_repr=preamble[0],
        detail={
            "start": start.isoformat(),
            "rows": len(rows),
            "version": week.version.version if week.version else None,
            "unpublished": week.unpublished,
        },
    )
    response = xlsx.download(data, f"huxue-roster-{start:%Y%m%d}.xlsx")
    # Named after the school and week, so that a planner of several schools can tell them apart.
    named = content_disposition_header(as_attachment=True, filename=f"{preamble[0]}.xlsx")
    if named:
        response["Content-Disposition"] = named
    return response
