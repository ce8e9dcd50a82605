"""How rostering names a shift to people: school, gate, day and time in the reader's language,
never an internal id."""

from __future__ import annotations

from django.utils import dateformat
from django.utils.translation import gettext as _

from huxue.roster.models import Shift


def shift_label(shift: Shift) -> str:
    """e.g. 七台河市第六小学 正门，2021-09-06 星期一 07:00–08:00 (needs post__school__unit)."""
    return _("%(school)s %(post)s, %(day)s %(start)s–%(end)s") % {
        "school": shift.post.school.unit.name,
        "post": shift.post.name,
        "day": dateformat.format(shift.day, "Y-m-d D"),
        "start": shift.start.strftime("%H:%M"),
        "end": shift.end.strftime("%H:%M"),
    }
