"""整改通知书 (rectification notices): issued when a hazard is assigned, numbered per city and
year from a sequence that never repeats, drawn as a PDF with WeasyPrint and Debian's CJK fonts
in the layout such a notice has (title, number, addressee, the hazard, the requirement, the
deadline, the issuing unit and date). The same PDF machinery (``pdf.render_pdf``) serves the
reports later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from huxue.core import audit
from huxue.core.pdf import render_pdf
from huxue.duty.stats.selectors import city_of
from huxue.orgs import access
from huxue.orgs.models import Region, Unit
from huxue.orgs.roles import Role
from huxue.posts.models import School
from huxue.supervision.models import Hazard, NoticeSequence, RectificationNotice

_ISSUERS = (Role.BUREAU, Role.STATION, Role.EDUCATION)


def notice_number(city: Region, year: int, seq: int) -> str:
    """七台河护整〔2026〕003号: the city's short name, the year, the number in the year."""
    short = city.name.removesuffix("市") if len(city.name) > 2 else city.name
    return f"{short}护整〔{year}〕{seq:03d}号"


def _next_seq(city: Region, year: int) -> int:
    """The next number of the city's year, under a row lock (two issuers at once get two
    numbers). Call inside a transaction."""
    NoticeSequence.objects.get_or_create(region=city, year=year)
    row = NoticeSequence.objects.select_for_update().get(region=city, year=year)
    row.last += 1
    row.save(update_fields=["last"])
    return row.last


def issuing_unit(actor: Any, school: School) -> Unit:
    """The unit a notice is issued in the name of: the assigner's police station, bureau or
    education bureau; the school's police station when the assigner holds none of those."""
    for membership in access.memberships(actor):
        if membership.role in _ISSUERS and membership.unit is not None:
            return membership.unit
    return school.station


def notice_issue(
    *, actor: Any, hazard: Hazard, now: dt.datetime | None = None
) -> RectificationNotice:
    """Issue the notice of a hazard just assigned (responsible unit and deadline set)."""
    if hazard.responsible is None or hazard.deadline is None:
        raise ValueError("a notice is issued for an assigned hazard")
    moment = now or timezone.now()
    year = timezone.localtime(moment).year
    city = city_of(hazard.school.unit.region)
    with transaction.atomic():
        seq = _next_seq(city, year)
        notice = RectificationNotice.objects.create(
            hazard=hazard,
            number=notice_number(city, year, seq),
            region=city,
            year=year,
            seq=seq,
            issued_by=issuing_unit(actor, hazard.school),
            issued_at=moment,
            responsible=hazard.responsible,
            requirement=hazard.requirement,
            deadline=hazard.deadline,
        )
        audit.record(
            action="supervision.notice.issue",
            actor=actor,
            obj=notice,
            detail={"hazard": hazard.pk, "number": notice.number},
        )
    return notice


def notice_pdf(notice: RectificationNotice) -> bytes:
    hazard = notice.hazard
    return render_pdf(
        "supervision/notice_pdf.html",
        {
            "notice": notice,
            "hazard": hazard,
            "school": hazard.school,
            "post": hazard.post,
            # The sentence adds its own full stop.
            "requirement": notice.requirement.strip().rstrip("。.；;，,"),
        },
    )
