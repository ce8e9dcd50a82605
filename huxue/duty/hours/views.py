"""我的服务时长: the member's own figures for this month, this term and all time, the check-ins
behind each (a page of them, or all of them as an Excel workbook)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from huxue.core import xlsx
from huxue.duty.hours import selectors as hours
from huxue.duty.models import CheckIn
from huxue.duty.stats.selectors import hours_of
from huxue.roster.selectors import member_for

PER_PAGE = 30


def _hours(checkin: CheckIn) -> Decimal | None:
    seconds = getattr(checkin, "seconds", None)
    return hours_of(seconds) if checkin.checked_out_at is not None else None


def _chosen(request: HttpRequest, summary: hours.Summary) -> hours.Tally:
    """The figure whose records are listed (?period=month|term|all); all time by default, and
    when the member's schools have no term covering today."""
    return summary.tally(request.GET.get("period", "")) or summary.all_time


@login_required
@require_GET
def my_hours(request: HttpRequest) -> HttpResponse:
    person = member_for(request.user, action="read", model=CheckIn)
    summary = hours.summary_of(request.user, person=person, today=timezone.localdate())
    chosen = _chosen(request, summary)
    records = hours.records_of(request.user, person=person, tally=chosen)
    page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "duty/my_hours.html",
        {
            "summary": summary,
            "chosen": chosen,
            "page": page,
            "rows": [{"checkin": c, "hours": _hours(c)} for c in page.object_list],
            "export_url": f"{reverse('duty:my_hours_export')}?period={chosen.period}",
        },
    )


@login_required
@require_GET
def my_hours_export(request: HttpRequest) -> HttpResponse:
    """The records behind the chosen figure as .xlsx: the member's own, so nothing is masked
    (nor audited: no one else's data leaves the system)."""
    person = member_for(request.user, action="read", model=CheckIn)
    today = timezone.localdate()
    summary = hours.summary_of(request.user, person=person, today=today)
    chosen = _chosen(request, summary)
    records = hours.records_of(request.user, person=person, tally=chosen)
    header = [
        _("Day"),
        _("School"),
        _("Gate"),
        _("On duty from"),
        _("Checked out"),
        _("Duty hours"),
    ]

    def local(at: dt.datetime | None) -> dt.datetime | None:
        return timezone.localtime(at).replace(tzinfo=None) if at else None

    rows = (
        [
            c.day,
            c.post.school.unit.name,
            c.post.name,
            local(c.at),
            local(c.checked_out_at),
            _hours(c),
        ]
        for c in records.iterator(chunk_size=2000)
    )
    span = f"{today:%Y%m%d}" if chosen.all_time else f"{chosen.start:%Y%m%d}-{chosen.end:%Y%m%d}"
    name = f"huxue-my-hours-{chosen.period}-{span}.xlsx"
    return xlsx.download(xlsx.one_sheet(_("My hours"), header, rows), name)
