"""The lead prints and exports the week: the grid's Print and Excel buttons, the .xlsx of the
published roster (never a draft), its scope, audit line and query count."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from huxue.core.models import AuditEvent
from huxue.people.models import Person
from huxue.roster.models import Assignment, RosterVersion, Shift
from huxue.roster.services import shifts_generate
from huxue.testing import ROSTER_MONDAY, ROSTER_NOW, City, make_person, make_term

MONDAY = ROSTER_MONDAY
FRIDAY = MONDAY + dt.timedelta(days=4)


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW."""


@pytest.fixture
def week(city: City) -> list[Shift]:
    """school_a1's one post: Monday to Friday, a morning and an afternoon shift each day."""
    make_term(city)
    shifts_generate(actor=None, posts=[city.post_a1, city.post_b1], start=MONDAY, end=FRIDAY)
    return list(Shift.objects.filter(post=city.post_a1).order_by("starts_at"))


def person(city: City, name: str, force_type: str = "parent") -> Person:
    return make_person(city, unit=city.school_a1.unit, name=name, force_type=force_type)


def put(shift: Shift, who: Person, *, published: bool, **extra: Any) -> Assignment:
    return Assignment.objects.create(
        shift=shift,
        person=who,
        group=who.force_group,
        source="manual",
        published=published,
        **extra,
    )


def export_url(city: City, monday: dt.date = MONDAY) -> str:
    return reverse("roster:week_export", args=[city.school_a1.pk, monday.isoformat()])


def open_sheet(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


def table(lines: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows under the column heads."""
    heads = next(i for i, line in enumerate(lines) if line and line[0] in ("日期", "Day"))
    return lines[heads + 1 :]


@pytest.fixture
def published_week(city: City, week: list[Shift]) -> dict[str, Any]:
    """Monday morning published with a police officer and a parent; then the lead, without
    publishing, adds a parent to Monday afternoon and drops the published parent."""
    monday_am, monday_pm = week[0], week[1]
    police = person(city, "王警官", "police")
    parent = person(city, "李家长")
    draft = person(city, "张草稿")
    put(monday_am, police, published=True)
    put(monday_am, parent, published=True, dropped_at=ROSTER_NOW, drop_reason="临时有事")
    put(monday_pm, draft, published=False)
    RosterVersion.objects.create(
        school=city.school_a1,
        start=MONDAY,
        end=MONDAY + dt.timedelta(days=6),
        version=2,
        published_at=ROSTER_NOW,
    )
    return {"am": monday_am, "pm": monday_pm}


def test_the_file_holds_the_published_roster_and_never_a_draft(
    city: City, login, published_week: dict[str, Any]
) -> None:
    lines = open_sheet(login("school_lead").get(export_url(city)))

    title, version, which, unpublished = (line[0] for line in lines[:4])
    assert title == f"{city.school_a1.unit.name}排班表（2026-12-07 至 2026-12-13）"
    assert version == "已发布第 2 版（2026-11-28 09:00）。"
    assert "已发布的排班" in which and "2 处更改尚未发布" in unpublished
    assert lines[5] == ("日期", "星期", "时间", "校门", "力量类别", "应到", "已排班", "人员")
    rows = table(lines)
    monday_am = [r for r in rows if r[0].date() == MONDAY and r[2] == "07:00–08:00"]
    people = {r[4]: (r[3], r[5], r[6], r[7]) for r in monday_am}
    post = city.post_a1.name
    police_group = next(g for g in people if "警" in g)
    assert people[police_group] == (post, 1, 1, "王警官")
    # The parent dropped after publishing is still on the published roster members see.
    assert any(v[3] == "李家长" for v in people.values())
    assert rows[0][1] == "星期一"
    text = repr(lines)
    assert "张草稿" not in text  # the unpublished draft is not in the file
    # Every shift of the week is listed, the empty ones too (need with no one rostered).
    assert {r[0].date() for r in rows} == {MONDAY + dt.timedelta(days=i) for i in range(5)}
    assert all(isinstance(r[5], int) and isinstance(r[6], int) for r in rows)


def test_a_week_with_nothing_unpublished_says_only_which_roster_it_holds(
    city: City, login, week: list[Shift]
) -> None:
    put(week[0], person(city, "王警官", "police"), published=True)
    lines = open_sheet(login("school_lead").get(export_url(city)))
    assert lines[1][0] == "尚未发布。"
    assert "已发布的排班" in lines[2][0]
    assert lines[3] == (None,) * 8  # no line about unpublished changes: the heads come next


def test_a_name_that_looks_like_a_formula_stays_text(city: City, login, week: list[Shift]) -> None:
    put(week[0], person(city, "=HYPERLINK(1)"), published=True)
    response = login("school_lead").get(export_url(city))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == "=HYPERLINK(1)"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_the_file_speaks_the_readers_language(
    city: City, login, published_week: dict[str, Any]
) -> None:
    lines = open_sheet(login("school_lead").get(export_url(city), HTTP_ACCEPT_LANGUAGE="en"))
    assert lines[0][0].startswith("Roster of ") and lines[1][0].startswith("Published version 2")
    assert "2 changes made since are not published" in lines[3][0]
    assert lines[5][:3] == ("Day", "Weekday", "Time")
    assert table(lines)[0][1] == "Monday"


def test_the_file_names_the_school_and_is_not_cached(
    city: City, login, published_week: dict[str, Any]
) -> None:
    response = login("school_lead").get(export_url(city))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".xlsx" in disposition
    assert "filename*=utf-8''" in disposition  # the school's name, in Chinese
    assert response["Cache-Control"] == "no-store"


def test_any_day_of_the_week_exports_that_week(
    city: City, login, published_week: dict[str, Any]
) -> None:
    lines = open_sheet(login("school_lead").get(export_url(city, MONDAY + dt.timedelta(days=3))))
    assert "2026-12-07" in lines[0][0]
    assert login("school_lead").get(export_url(city).replace("2026-12-07", "x")).status_code == 404


@pytest.mark.parametrize("user", ["other_lead", "volunteer", "education", "stranger"])
def test_people_who_may_not_see_the_grid_get_404(
    city: City, login, published_week: dict[str, Any], user: str
) -> None:
    assert login(user).get(export_url(city)).status_code == 404
    assert not AuditEvent.objects.filter(action="roster.week.export").exists()


def test_anonymous_visitors_are_sent_to_sign_in(city: City, client, week) -> None:  # type: ignore[no-untyped-def]
    response = client.get(export_url(city))
    assert response.status_code == 302 and "login" in response.url


def test_each_export_is_audited(city: City, login, published_week: dict[str, Any]) -> None:
    login("school_lead").get(export_url(city))
    event = AuditEvent.objects.get(action="roster.week.export")
    assert event.actor_username == "school_lead"
    assert event.object_id == str(city.school_a1.pk)
    assert event.detail["version"] == 2 and event.detail["unpublished"] == 2


def test_the_export_reads_in_a_fixed_number_of_queries(
    city: City, login, published_week: dict[str, Any]
) -> None:
    client = login("school_lead")
    client.get(export_url(city))  # warm the session and the caches
    with CaptureQueriesContext(connection) as once:
        client.get(export_url(city))
    for shift in Shift.objects.filter(post=city.post_a1)[2:]:
        put(shift, person(city, f"家长{shift.pk}"), published=True)
    with CaptureQueriesContext(connection) as again:
        client.get(export_url(city))
    assert len(again) == len(once)


def test_the_grid_offers_print_and_the_published_roster_as_excel(
    city: City, login, week: list[Shift]
) -> None:
    html = (
        login("school_lead")
        .get(reverse("roster:grid", args=[city.school_a1.pk, MONDAY.isoformat()]))
        .content.decode()
    )
    assert 'data-testid="print"' in html and "data-print" in html
    assert "huxue/print.js" in html
    assert 'huxue/roster-print.css" media="print"' in html
    assert f'href="{export_url(city)}"' in html
    assert "导出已发布排班" in html
