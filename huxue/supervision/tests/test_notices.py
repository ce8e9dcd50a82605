"""整改通知书 (issue 17, item 6): issued when a hazard is assigned, numbered from a per-city,
per-year sequence that never repeats, drawn as a Chinese PDF laid out as such a notice is, and
opened only by those who may read the hazard."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import transaction
from django.urls import reverse
from pypdf import PdfReader

from huxue.core.models import AuditEvent
from huxue.orgs.services import region_create
from huxue.supervision.hazards import hazard_report, hazard_step
from huxue.supervision.models import Hazard, RectificationNotice
from huxue.supervision.notices import _next_seq, notice_number, notice_pdf
from huxue.testing import City, local_at

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 12, 7)


def assigned(
    city: City, *, school=None, title: str = "南门防冲撞护栏倒伏", at: dt.datetime | None = None
) -> Hazard:  # type: ignore[no-untyped-def]
    school = school or city.school_a1
    moment = at or local_at(DAY, 9, 0)
    hazard = hazard_report(
        actor=city.users["city_admin"],
        school=school,
        title=title,
        category="facilities",
        grade="general",
        description="护栏两节倒伏，未固定",
        now=moment,
    )
    return hazard_step(
        actor=city.users["city_admin"],
        hazard=hazard,
        step="assign",
        version=1,
        responsible=school.unit,
        deadline=moment.date() + dt.timedelta(days=3),
        requirement="三日内扶正并加固。",
        now=moment,
    )


def test_the_number_is_the_citys_short_name_the_year_and_the_count(city: City) -> None:
    assert notice_number(city.city, 2026, 7) == "七台河护整〔2026〕007号"


def test_numbers_run_per_city_and_year_and_never_repeat(city: City) -> None:
    first, second = assigned(city), assigned(city, title="门口积水")
    numbers = [n.number for n in RectificationNotice.objects.order_by("pk")]
    assert numbers == ["七台河护整〔2026〕001号", "七台河护整〔2026〕002号"]
    assert first.notices.count() == second.notices.count() == 1
    next_year = assigned(city, title="照明损坏", at=local_at(dt.date(2027, 1, 4), 9, 0))
    assert next_year.notices.get().number == "七台河护整〔2027〕001号"
    # A notice voided or a hazard reassigned never gives a number back: the sequence only rises.
    RectificationNotice.objects.filter(number="七台河护整〔2026〕002号").delete()
    again = assigned(city, title="监控损坏")
    assert again.notices.get().number == "七台河护整〔2026〕003号"


def test_the_pdf_is_laid_out_as_a_notice(city: City) -> None:
    hazard = assigned(city)
    notice = hazard.notices.select_related("issued_by", "responsible").get()
    pdf = notice_pdf(notice)
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = text.replace(" ", "").replace("\n", "")
    assert "。。" not in flat
    for part in (
        "护学岗安全隐患整改通知书",
        "七台河护整〔2026〕001号",
        f"{city.school_a1.unit.name}：",
        "南门防冲撞护栏倒伏",
        "一般隐患",
        "现通知你单位：三日内扶正并加固。请于",
        "2026年12月10日前整改完毕",
        notice.issued_by.name,
        "2026年12月7日",
    ):
        assert part in flat, part


def test_the_pdf_opens_for_those_who_may_read_the_hazard_and_is_audited(city: City, login) -> None:
    hazard = assigned(city)
    notice = hazard.notices.get()
    url = reverse("supervision:hazard_notice", args=[hazard.pk, notice.pk])
    response = login("school_lead").get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="supervision.notice.download").count() == 1
    for who in ("other_lead", "volunteer", "auditor"):
        assert login(who).get(url).status_code == 404, who
    page = (
        login("school_lead").get(reverse("supervision:hazard", args=[hazard.pk])).content.decode()
    )
    assert notice.number in page


def test_another_city_counts_on_its_own(city: City) -> None:
    assigned(city)  # 七台河, 2026: number 1
    other = region_create(code="230800", name="佳木斯市", parent=city.city.parent)
    with transaction.atomic():
        assert _next_seq(other, 2026) == 1
    with transaction.atomic():
        assert _next_seq(city.city, 2026) == 2
    assert notice_number(other, 2026, 1) == "佳木斯护整〔2026〕001号"
