"""The monthly ranking (通报, issue 17 item 7): per station and per school, computed from rounds
and hazards in the reader's scope, the same on the page, in Excel and in the PDF."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from huxue.supervision.hazards import hazard_report, hazard_step
from huxue.supervision.ranking import ranking
from huxue.supervision.services import round_answer, round_start, round_submit
from huxue.testing import City, local_at

pytestmark = pytest.mark.django_db
MONTH = dt.date(2026, 11, 1)


def walked(city: City, who: str, post, day: int, fail: str = "") -> None:  # type: ignore[no-untyped-def]
    actor = city.users[who]
    round_ = round_start(actor=actor, post=post, at=local_at(dt.date(2026, 11, day), 7, 30))
    for answer in round_.answers.select_related("item"):
        if not answer.item.auto:
            bad = answer.item.title == fail
            round_answer(
                actor=actor,
                round=round_,
                item=answer.item,
                result="fail" if bad else "pass",
                note="坏" if bad else "",
            )
    round_submit(actor=actor, round=round_, now=local_at(dt.date(2026, 11, day), 8, 0))


@pytest.fixture
def month(city: City) -> None:
    walked(city, "station_officer", city.post_a1, 3)  # all pass: 100
    walked(city, "station_officer", city.post_a1, 10, fail="看设施")  # 2 of 9 failed: 77.8
    walked(city, "city_admin", city.post_b1, 5, fail="查台账")  # 1 of 9 failed: 88.9
    officer = city.users["station_officer"]
    a = hazard_report(
        actor=officer,
        school=city.school_a1,
        title="护栏倒伏",
        category="facilities",
        grade="general",
        now=local_at(dt.date(2026, 11, 10), 9, 0),
    )
    a = hazard_step(
        actor=officer,
        hazard=a,
        step="assign",
        version=1,
        responsible=city.school_a1.unit,
        deadline=dt.date(2026, 11, 20),
        now=local_at(dt.date(2026, 11, 10), 10, 0),
    )
    b = hazard_report(
        actor=officer,
        school=city.school_a1,
        title="照明损坏",
        category="facilities",
        grade="general",
        now=local_at(dt.date(2026, 11, 2), 9, 0),
    )
    b = hazard_step(
        actor=officer,
        hazard=b,
        step="assign",
        version=1,
        responsible=city.school_a1.unit,
        deadline=dt.date(2026, 11, 30),
        now=local_at(dt.date(2026, 11, 2), 10, 0),
    )
    lead = city.users["school_lead"]
    b = hazard_step(
        actor=lead,
        hazard=b,
        step="start",
        version=b.version,
        now=local_at(dt.date(2026, 11, 3), 9, 0),
    )
    b = hazard_step(
        actor=lead,
        hazard=b,
        step="submit",
        version=b.version,
        note="已修复",
        now=local_at(dt.date(2026, 11, 5), 9, 0),
    )
    b = hazard_step(
        actor=city.users["inspector"],
        hazard=b,
        step="verify",
        version=b.version,
        now=local_at(dt.date(2026, 11, 6), 9, 0),
    )
    hazard_step(
        actor=officer,
        hazard=b,
        step="close",
        version=b.version,
        now=local_at(dt.date(2026, 11, 6), 9, 0),
    )


def test_the_city_ranks_its_stations_by_average_score(city: City, month: None) -> None:
    table = ranking(city.users["city_admin"], month=MONTH, by="station")
    rows = {r.place: r for r in table.rows}
    a, b = rows[city.station_a.name], rows[city.station_b.name]
    # Both average 88.9 (新兴: 100 and 77.8; 桃山: 88.9): the one with more rounds ranks first.
    assert [(r.rank, r.place) for r in table.rows] == [
        (1, city.station_a.name),
        (2, city.station_b.name),
    ]
    assert (a.rounds, a.average_score, a.failed_items) == (2, Decimal("88.9"), 1)
    assert (b.rounds, b.average_score, b.failed_items) == (1, Decimal("88.9"), 1)
    assert (a.hazards_reported, a.hazards_open, a.hazards_overdue) == (2, 1, 1)
    assert (a.rectified, a.average_rectify_days) == (1, Decimal("4.0"))
    assert (b.hazards_reported, b.rectified) == (0, 0)


def test_a_school_lead_sees_only_its_school_and_by_school(city: City, month: None) -> None:
    table = ranking(city.users["school_lead"], month=MONTH, by="school")
    assert [r.place for r in table.rows] == [city.school_a1.unit.name]
    other = ranking(city.users["other_lead"], month=MONTH, by="school")
    assert [(r.place, r.rounds) for r in other.rows] == [(city.school_b1.unit.name, 1)]
    assert ranking(city.users["city_admin"], month=dt.date(2026, 10, 1)).rows == []


def test_the_page_excel_and_pdf_say_the_same(city: City, month: None, login) -> None:
    client = login("city_admin")
    page = client.get("/supervision/ranking/", {"month": "2026-11", "by": "station"})
    assert page.status_code == 200
    html = page.content.decode()
    assert city.station_a.name in html and "88.9" in html
    sheet = load_workbook(
        io.BytesIO(client.get("/supervision/ranking.xlsx", {"month": "2026-11"}).content)
    ).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[1] for r in rows[1:]} == {city.station_a.name, city.station_b.name}
    pdf = client.get("/supervision/ranking.pdf", {"month": "2026-11"})
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).replace(
        " ", ""
    )
    assert "护学岗督导检查情况通报" in text and "2026年11月" in text and city.station_a.name in text
    assert login("volunteer").get("/supervision/ranking/").status_code == 404
