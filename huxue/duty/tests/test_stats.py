"""Person-times (人次) and duty hours: counted from check-ins by place and period, scoped, every
figure listing exactly the check-ins behind it, exported to Excel, and over the API."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from huxue.core.models import AuditEvent
from huxue.duty.models import CheckIn
from huxue.duty.stats import selectors as stats
from huxue.people.forces import ForceType
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.posts.services import school_create
from huxue.roster.models import Shift
from huxue.testing import City, local_at, make_person, make_shift

START, END = dt.date(2021, 3, 1), dt.date(2022, 1, 31)
MON, TUE, NEXT_TUE = dt.date(2021, 3, 1), dt.date(2021, 3, 2), dt.date(2021, 3, 9)
APRIL, Y2022 = dt.date(2021, 4, 5), dt.date(2022, 1, 10)
STATS, RECORDS = "/duty/stats/", "/duty/checkins/"
RANGE = {"from": START.isoformat(), "to": END.isoformat()}


@dataclass
class World:
    city: City
    north: Post  # a second gate of 市第六小学
    post_a2: Post  # 新兴小学
    officer: Person  # police, 市第六小学
    parent: Person  # parent volunteer, 新兴小学
    guard: Person  # guard, 桃山小学


def _post(school, name: str) -> Post:
    return Post.objects.create(
        school=school, name=name, latitude=school.latitude, longitude=school.longitude
    )


def checkin(
    person: Person,
    post: Post,
    day: dt.date,
    hh: int = 7,
    mm: int = 0,
    *,
    minutes: int | None = 60,
    voided: bool = False,
) -> CheckIn:
    start = dt.time(hh, mm)
    shift = Shift.objects.filter(post=post, day=day, start=start).first() or make_shift(
        post, day=day, start=start, end=dt.time(hh + 2, mm)
    )
    at = local_at(day, hh, mm)
    return CheckIn.objects.create(
        person=person,
        post=post,
        shift=shift,
        group=person.force_group,
        force_type=person.force_type,
        day=day,
        method=CheckIn.Method.GPS,
        at=at,
        server_at=at,
        checked_out_at=at + dt.timedelta(minutes=minutes) if minutes is not None else None,
        checkout_method=CheckIn.Checkout.SELF if minutes is not None else "",
        is_late=mm > 5,
        voided_at=at + dt.timedelta(hours=3) if voided else None,
        void_reason="entered twice" if voided else "",
    )


@pytest.fixture
def world(city: City) -> World:
    north = _post(city.school_a1, "北门")
    post_a2 = _post(city.school_a2, "正门")
    officer = make_person(
        city, unit=city.school_a1.unit, name="赵警官", force_type=ForceType.POLICE
    )
    parent = make_person(city, unit=city.school_a2.unit, name="钱家长", force_type=ForceType.PARENT)
    guard = make_person(city, unit=city.school_b1.unit, name="孙保安", force_type=ForceType.GUARD)
    a1, b1 = city.person_a1, city.person_b1  # community volunteers
    checkin(officer, city.post_a1, MON, minutes=60)  # 1.0 h
    checkin(a1, city.post_a1, MON, minutes=90)  # 1.5 h
    checkin(a1, north, TUE, 15, 30, minutes=60)  # 1.0 h
    checkin(parent, post_a2, NEXT_TUE, minutes=45)  # 0.75 h
    checkin(b1, city.post_b1, MON, minutes=60)  # 1.0 h
    checkin(guard, city.post_b1, APRIL, minutes=None)  # still open: no hours
    checkin(b1, city.post_b1, Y2022, minutes=30)  # 0.5 h
    # Not counted: voided, and before the range.
    checkin(officer, city.post_a1, TUE, voided=True)
    checkin(a1, city.post_a1, dt.date(2021, 2, 26), minutes=60)
    return World(city, north, post_a2, officer, parent, guard)


def table_for(world: World, user: str = "city_admin", **kwargs) -> stats.Table:
    return stats.person_times(world.city.users[user], start=START, end=END, **kwargs)


def by_name(table: stats.Table) -> dict[str, int]:
    return {str(row.place): row.total for row in table.rows}


# ---- the figures --------------------------------------------------------------------------


def test_it_counts_accepted_checkins_by_force_type_and_group(world):
    totals = table_for(world).totals
    assert totals.total == 7
    assert totals.by_type == {
        "police": 1,
        "auxiliary": 0,
        "guard": 1,
        "school_security": 0,
        "staff": 0,
        "parent": 1,
        "community": 4,
    }
    assert totals.by_group == {"police": 1, "guard": 1, "staff": 0, "volunteer": 5}
    assert totals.members == 5


def test_duty_hours_run_from_checkin_to_checkout_over_closed_checkins(world):
    # 1 + 1.5 + 1 + 0.75 + 1 + 0.5 = 5.75 h; the open check-in and the voided one add nothing.
    assert table_for(world).totals.hours == Decimal("5.8")
    rows = {str(r.place): r.hours for r in table_for(world, by="school").rows}
    assert rows == {
        "市第六小学": Decimal("3.5"),
        "新兴小学": Decimal("0.8"),
        "桃山小学": Decimal("1.5"),
    }


def test_it_counts_by_every_place_level(world):
    assert by_name(table_for(world, by="post")) == {
        "市第六小学 · 北门": 1,
        "市第六小学 · 南门": 2,
        "新兴小学 · 正门": 1,
        "桃山小学 · 正门": 3,
    }
    assert by_name(table_for(world, by="school")) == {"市第六小学": 3, "新兴小学": 1, "桃山小学": 3}
    assert by_name(table_for(world, by="station")) == {"新兴派出所": 4, "桃山派出所": 3}
    assert by_name(table_for(world, by="district")) == {"230902 · 新兴区": 4, "230903 · 桃山区": 3}
    city_table = table_for(world, by="city")
    assert by_name(city_table) == {"七台河市": 7}
    place = city_table.rows[0].place
    assert place is not None and place.id == world.city.city.pk


def test_it_counts_by_period(world):
    month = table_for(world, by="school", period="month")
    assert [(str(r.place), month.period_label(r), r.total) for r in month.rows] == [
        ("市第六小学", "2021-03", 3),
        ("新兴小学", "2021-03", 1),
        ("桃山小学", "2021-03", 1),
        ("桃山小学", "2021-04", 1),
        ("桃山小学", "2022-01", 1),
    ]
    year = table_for(world, by="city", period="year")
    assert [(year.period_label(r), r.total) for r in year.rows] == [("2021", 6), ("2022", 1)]
    week = table_for(world, by="district", period="week")
    assert [(str(r.place), week.period_label(r), r.total, r.start, r.end) for r in week.rows] == [
        ("230902 · 新兴区", "2021-W09", 3, MON, dt.date(2021, 3, 7)),
        ("230902 · 新兴区", "2021-W10", 1, dt.date(2021, 3, 8), dt.date(2021, 3, 14)),
        ("230903 · 桃山区", "2021-W09", 1, MON, dt.date(2021, 3, 7)),
        ("230903 · 桃山区", "2021-W14", 1, APRIL, dt.date(2021, 4, 11)),
        ("230903 · 桃山区", "2022-W02", 1, Y2022, dt.date(2022, 1, 16)),
    ]
    day = table_for(world, by="post", period="day")
    assert [(str(r.place), r.period, r.total) for r in day.rows][:2] == [
        ("市第六小学 · 北门", TUE, 1),
        ("市第六小学 · 南门", MON, 2),
    ]


def test_periods_are_clipped_to_the_range(world):
    table = stats.person_times(
        world.city.users["city_admin"],
        start=dt.date(2021, 3, 2),
        end=END,
        by="city",
        period="month",
    )
    march = table.rows[0]
    assert (march.start, march.end, march.total) == (dt.date(2021, 3, 2), dt.date(2021, 3, 31), 2)


def test_filters_by_district_and_station(world):
    city = world.city
    assert table_for(world, district=city.taoshan).totals.total == 3
    assert table_for(world, district=city.city).totals.total == 7
    assert table_for(world, station=city.station_a).totals.total == 4


def test_it_is_a_constant_number_of_queries(world, django_assert_num_queries):
    table_for(world)  # fill the role cache
    with django_assert_num_queries(2):
        table_for(world, by="post", period="day")
    with django_assert_num_queries(3):  # plus the names of the cities
        table_for(world, by="city", period="week")


def test_person_times_total_for_a_region_or_a_unit(world):
    city = world.city
    total = stats.person_times_total
    assert total(region=city.city, start=START, end=END) == 7
    assert total(region=city.xinxing, start=START, end=END) == 4
    assert total(region=city.taoshan, start=MON, end=dt.date(2021, 12, 31)) == 2
    assert total(unit=city.station_a, start=START, end=END) == 4
    assert total(unit=city.school_b1.unit, start=START, end=END) == 3
    assert total(unit=city.bureau, start=dt.date(2021, 2, 1), end=END) == 8  # with Feb 26th
    assert total(region=city.city, start=MON, end=MON) == 3


# ---- scope --------------------------------------------------------------------------------


def test_each_role_counts_only_its_scope(world):
    assert table_for(world, "other_lead").totals.total == 3
    assert by_name(table_for(world, "other_lead")) == {"桃山小学": 3}
    assert table_for(world, "school_lead").totals.total == 3
    assert table_for(world, "station_officer").totals.total == 4
    assert table_for(world, "inspector").totals.total == 4  # covers 新兴区
    assert table_for(world, "education").totals.total == 7
    assert table_for(world, "sysadmin").totals.total == 0


def test_a_member_sees_their_own_hours(world, login):
    mine = table_for(world, "volunteer", by="post")
    assert mine.totals.total == 2 and mine.totals.hours == Decimal("2.5")
    assert mine.totals.members == 1
    response = login("volunteer").get(STATS, {**RANGE, "by": "post"})
    assert response.status_code == 200
    assert response.context["table"].totals.total == 2
    assert "赵警官" not in response.content.decode()


@pytest.mark.parametrize("name", ["sysadmin", "secadmin", "auditor", "stranger"])
def test_users_who_may_not_read_checkins_get_404(world, login, name):
    client = login(name)
    assert client.get(STATS).status_code == 404
    assert client.get(RECORDS, RANGE).status_code == 404
    assert client.get("/duty/stats/export.xlsx", RANGE).status_code == 404
    assert client.get("/duty/checkins/export.xlsx", RANGE).status_code == 404
    assert client.get("/api/v1/person-times/", RANGE).status_code == 404


def test_the_pages_need_a_login(world, client):
    for url in (STATS, RECORDS):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


# ---- the page and the records behind every figure ------------------------------------------


def _links(html: str) -> list[tuple[str, int]]:
    table = html[html.index('data-testid="stats-table"') :]
    return [
        (unescape(href), int(n))
        for href, n in re.findall(r'<a href="(/duty/checkins/\?[^"]+)">(?:<strong>)?(\d+)<', table)
    ]


def _listed(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-checkin="(\d+)"', response.content.decode())]


def test_every_figure_lists_exactly_the_checkins_it_counts(world, login):
    client = login("city_admin")
    response = client.get(STATS, {**RANGE, "by": "school", "period": "month"})
    assert response.status_code == 200
    links = _links(response.content.decode())
    # 5 rows and the totals, each with 6 force types, 4 groups and the total (teachers and staff
    # are one force type and one group: one column; the hours open the same list as the total).
    assert len(links) == 6 * 11
    for url, figure in links:
        listed = _listed(client, url)
        assert len(listed) == figure, url
        assert not CheckIn.objects.filter(pk__in=listed, voided_at__isnull=False).exists()


def test_a_figure_lists_its_place_period_and_force(world, login):
    client = login("city_admin")
    response = client.get(
        RECORDS,
        {
            "from": "2021-03-01",
            "to": "2021-03-31",
            "by": "school",
            "place": world.city.school_a1.pk,
            "group": "volunteer",
        },
    )
    rows = [c for c in response.context["page"].object_list]
    assert {c.person.name for c in rows} == {"李红"} and len(rows) == 2
    assert "市第六小学" in response.content.decode()


def test_the_records_list_is_scoped(world, login):
    # The other lead asks for 市第六小学's check-ins by its id: nothing.
    response = login("other_lead").get(
        RECORDS, {**RANGE, "by": "school", "place": world.city.school_a1.pk}
    )
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert 'data-testid="checkins-count"' in response.content.decode()
    assert "data-checkin=" not in response.content.decode()
    assert _listed(login("volunteer"), f"{RECORDS}?from={START}&to={END}") != []
    assert {
        c.person_id for c in login("volunteer").get(RECORDS, RANGE).context["page"].object_list
    } == {world.city.person_a1.pk}


def test_the_records_list_is_paginated(world, login):
    city = world.city
    extra = [make_person(city, unit=city.school_a1.unit, name=f"队员{i}") for i in range(55)]
    day = dt.date(2021, 5, 10)
    for i, person in enumerate(extra):
        checkin(person, city.post_a1, day, 7 + i % 3, 0)
    client = login("school_lead")
    query = {"from": "2021-05-01", "to": "2021-05-31"}
    first = client.get(RECORDS, query)
    assert first.context["page"].paginator.count == 55
    assert len(_listed(client, f"{RECORDS}?from=2021-05-01&to=2021-05-31")) == 50
    assert len(_listed(client, f"{RECORDS}?from=2021-05-01&to=2021-05-31&page=2")) == 5


def test_the_page_defaults_to_this_month(world, login, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: local_at(dt.date(2021, 3, 15), 9))
    response = login("city_admin").get(STATS)
    table = response.context["table"]
    assert (table.start, table.end, table.by, table.period) == (
        MON,
        dt.date(2021, 3, 31),
        "school",
        "all",
    )
    assert table.totals.total == 5
    assert 'id="stats-chart-data"' in response.content.decode()
    assert "vendor/echarts.min.js" in response.content.decode()


def test_the_chart_data_is_the_force_groups_of_each_row(world, login):
    response = login("city_admin").get(STATS, {**RANGE, "by": "station"})
    chart = response.context["chart"]
    assert chart["categories"] == ["新兴派出所", "桃山派出所"]
    assert [sum(s["data"]) for s in chart["series"]] == [1, 1, 0, 5]


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2021-03-10", "to": "2021-03-01"},
        {"from": "not a day"},
        {"by": "planet"},
        {"period": "decade"},
        {"from": "2020-01-01", "to": "2021-12-31", "period": "day"},
        {"district": "999999"},
    ],
)
def test_bad_filters_are_refused_with_a_message(world, login, query):
    response = login("city_admin").get(STATS, {**RANGE, **query})
    assert response.status_code == 400
    assert response.context["form"].errors


def test_a_station_outside_the_scope_is_not_a_choice(world, login):
    response = login("other_lead").get(STATS, {**RANGE, "station": world.city.station_a.pk})
    assert response.status_code == 400


# ---- Excel --------------------------------------------------------------------------------


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content)).worksheets[0]


def test_the_excel_export_has_the_pages_figures(world, login):
    client = login("city_admin")
    query = {**RANGE, "by": "school", "period": "month"}
    page = client.get(STATS, query).context["table"]
    sheet = _sheet(client.get("/duty/stats/export.xlsx", query))
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    assert len(body) == len(page.rows) == 5
    assert "民警" in header  # Chinese by default
    total_col = len(header) - 3
    assert totals[total_col] == page.totals.total == 7
    assert totals[total_col + 1] == float(page.totals.hours) == 5.8
    assert totals[total_col + 2] == page.totals.members == 5
    assert sum(r[total_col] for r in body) == totals[total_col]
    assert body[0][:2] == ["市第六小学", "2021-03"]


def test_the_excel_export_speaks_english_when_asked(world, login):
    response = login("city_admin").get("/duty/stats/export.xlsx", RANGE, HTTP_ACCEPT_LANGUAGE="en")
    header = next(_sheet(response).iter_rows(values_only=True))
    assert "Police officer" in header and "Person-times" in header


def test_exporting_the_names_behind_a_figure_is_audited(world, login):
    client = login("city_admin")
    query = {**RANGE, "by": "district", "place": world.city.taoshan.pk}
    sheet = _sheet(client.get("/duty/checkins/export.xlsx", query))
    rows = list(sheet.iter_rows(values_only=True))[1:]
    assert len(rows) == 3
    assert {r[0] for r in rows} == {"王刚", "孙保安"}
    event = AuditEvent.objects.get(action="duty.checkins.export")
    assert event.actor_id == world.city.users["city_admin"].pk
    assert event.detail["rows"] == 3 and event.detail["by"] == "district"


def test_no_two_columns_of_the_excel_export_share_a_heading(world, login):
    """教职员工 is both a force type and a force group: the group's column says it is a total."""
    sheet = _sheet(login("city_admin").get("/duty/stats/export.xlsx", RANGE))
    header = next(sheet.iter_rows(values_only=True))
    assert len(set(header)) == len(header), header
    assert "教职员工" in header and "教职员工（合计）" in header


def test_a_short_duty_is_flagged_on_the_records_and_in_their_export(world, login):
    row = CheckIn.objects.filter(person=world.guard).order_by("at").first()
    CheckIn.objects.filter(pk=row.pk).update(checked_out_at=row.at, is_short=True)
    client = login("city_admin")
    query = {**RANGE, "by": "district", "place": world.city.taoshan.pk}
    html = client.get(RECORDS, query).content.decode()
    assert html.count("签到后随即签退") == 1
    sheet = _sheet(client.get("/duty/checkins/export.xlsx", query))
    flags = [r[8] for r in list(sheet.iter_rows(values_only=True))[1:]]
    assert sorted(f or "" for f in flags).count("签到后随即签退") == 1


def test_a_member_may_not_export_names(world, login):
    assert login("volunteer").get("/duty/checkins/export.xlsx", RANGE).status_code == 404
    assert not AuditEvent.objects.filter(action="duty.checkins.export").exists()


def test_the_export_of_names_is_scoped(world, login):
    sheet = _sheet(login("other_lead").get("/duty/checkins/export.xlsx", RANGE))
    assert {r[2] for r in list(sheet.iter_rows(values_only=True))[1:]} == {"桃山小学"}


# ---- API ----------------------------------------------------------------------------------

API = "/api/v1/person-times/"


def test_the_api_answers_the_same_figures(world, login):
    response = login("city_admin").get(API, {**RANGE, "by": "district", "period": "year"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["totals"]["total"] == 7 and body["totals"]["hours"] == 5.8
    assert [(r["place_name"], r["period"], r["total"]) for r in body["rows"]] == [
        ("新兴区", "2021", 4),
        ("桃山区", "2021", 2),
        ("桃山区", "2022", 1),
    ]
    assert body["rows"][0]["force_groups"]["volunteer"] == 3
    assert "/duty/checkins/?" in body["rows"][0]["records"]


def test_the_api_filters_by_district_code_and_station(world, login):
    client = login("city_admin")
    assert client.get(API, {**RANGE, "district": "230903"}).json()["totals"]["total"] == 3
    station = world.city.station_a.pk
    assert client.get(API, {**RANGE, "station": station}).json()["totals"]["total"] == 4


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2021-13-01"},
        {"from": "2021-03-10", "to": "2021-03-01"},
        {"by": "planet"},
        {"period": "decade"},
        {"district": "23090"},
        {"district": "110101"},
        {"station": "0"},
        {"from": "2000-01-01", "to": "2021-12-31", "period": "week"},
    ],
)
def test_the_api_refuses_bad_filters(world, login, query):
    assert login("city_admin").get(API, {**RANGE, **query}).status_code == 400


def test_the_api_is_scoped(world, login):
    response = login("other_lead").get(API, {**RANGE, "station": world.city.station_a.pk})
    assert response.status_code == 400  # not a station it can see
    assert login("other_lead").get(API, RANGE).json()["totals"]["total"] == 3
    assert login("volunteer").get(API, RANGE).json()["totals"]["total"] == 2


def test_the_api_needs_authentication(world, client):
    assert client.get(API).status_code == 401


def test_the_api_is_in_the_schema(world, login):
    schema = login("city_admin").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/person-times/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"from", "to", "by", "period", "district", "station"} <= names


def test_the_api_uses_a_constant_number_of_queries(world, login):
    client = login("city_admin")
    client.get(API, RANGE)
    with CaptureQueriesContext(connection) as few:
        first = client.get(API, {**RANGE, "by": "post", "period": "day"})
    assert first.status_code == 200
    for i in range(20):
        checkin(
            make_person(world.city, unit=world.city.school_b1.unit),
            world.city.post_b1,
            APRIL,
            9 + i % 5,
        )
    with CaptureQueriesContext(connection) as more:
        second = client.get(API, {**RANGE, "by": "post", "period": "day"})
    assert second.status_code == 200
    assert sum(r["total"] for r in second.json()["rows"]) > sum(
        r["total"] for r in first.json()["rows"]
    )
    assert len(more) == len(few)


def test_weeks_are_iso_weeks_from_monday_across_a_new_year(world):
    city = world.city
    checkin(world.officer, city.post_a1, dt.date(2021, 3, 7))  # a Sunday: the week of March 1st
    checkin(world.officer, city.post_a1, dt.date(2022, 1, 1))  # a Saturday: ISO week 2021-W52
    table = stats.person_times(
        city.users["school_lead"], start=START, end=END, by="school", period="week"
    )
    assert [(table.period_label(r), r.period, r.total) for r in table.rows] == [
        ("2021-W09", MON, 4),
        ("2021-W52", dt.date(2021, 12, 27), 1),
    ]


def test_the_page_shows_a_bounded_number_of_rows(world, login, monkeypatch):
    from huxue.duty.stats import views as stats_views

    monkeypatch.setattr(stats_views, "MAX_SHOWN", 2)
    response = login("city_admin").get(STATS, {**RANGE, "by": "post"})
    html = response.content.decode()
    assert html.count("data-place=") == 2
    assert 'data-testid="stats-cut"' in html
    assert response.context["table"].totals.total == 7  # the totals are of every row
    assert len(response.context["chart"]["categories"]) == 2


@pytest.mark.parametrize(
    "url, query",
    [
        (STATS, {"by": "post", "period": "day"}),
        (RECORDS, {"by": "station", "place": "0"}),
        ("/duty/stats/export.xlsx", {"by": "school", "period": "week"}),
    ],
)
def test_the_pages_use_a_constant_number_of_queries(world, login, url, query):
    city = world.city
    query = {**RANGE, **query}
    if query.get("place") == "0":
        query["place"] = str(city.station_b.pk)
    client = login("city_admin")
    client.get(url, query)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, query).status_code == 200
    for i in range(20):
        person = make_person(city, unit=city.school_b1.unit, name=f"队员{i}")
        checkin(person, city.post_b1, APRIL + dt.timedelta(days=i % 4), 9 + i % 5)
    with CaptureQueriesContext(connection) as more:
        assert client.get(url, query).status_code == 200
    assert len(more) == len(few)


def test_a_city_under_a_province_is_counted_as_the_city(world):
    """Regions under a province (as in the demo, 黑龙江省 over 七台河市): the city column names the
    city, not the province, and its drill-down counts the same records."""
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from huxue.orgs.models import Region

    before = CheckIn.objects.filter(stats.place_q("city", world.city.city.pk)).count()
    province = Region.objects.create(code="230000", name="黑龙江省", path="/230000/")
    Region.objects.exclude(pk=province.pk).update(path=Concat(Value("/230000"), F("path")))
    Region.objects.filter(pk=world.city.city.pk).update(parent=province)
    city_table = table_for(world, by="city")
    assert by_name(city_table) == {"七台河市": 7}
    place = city_table.rows[0].place
    assert place is not None and place.id == world.city.city.pk
    district = Region.objects.get(code="230902")
    assert stats.city_of(district).code == "230900"
    assert CheckIn.objects.filter(stats.place_q("city", place.id)).count() == before


# ---- the page's shape: force types under their groups, the top places, the way back ---------


class _Table(HTMLParser):
    """The cells of a table's head rows and first body row, with their attributes and text."""

    def __init__(self) -> None:
        super().__init__()
        self.head: list[list[dict[str, str]]] = []
        self.body: list[list[dict[str, str]]] = []
        self.colgroups: list[int] = []
        self.wrap: dict[str, str] = {}
        self._section = ""
        self._cell: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("data-testid") == "stats-table-wrap":
            self.wrap = a
        if tag == "colgroup":
            self.colgroups.append(int(a.get("span", "1")))
        if tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        if tag == "tr" and self._section in ("thead", "tbody"):
            (self.head if self._section == "thead" else self.body).append([])
        if tag in ("th", "td") and self._section in ("thead", "tbody"):
            self._cell = {**a, "tag": tag, "text": ""}
            (self.head if self._section == "thead" else self.body)[-1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td"):
            self._cell = None
        if tag in ("thead", "tbody", "tfoot"):
            self._section = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data.strip()


def _table(html: str) -> _Table:
    parsed = _Table()
    parsed.feed(html)
    return parsed


def test_the_force_types_stand_under_their_groups_in_two_header_rows(world, login):
    html = login("city_admin").get(STATS, {**RANGE, "by": "school"}).content.decode()
    table = _table(html)
    top, under = table.head
    groups = [(c["text"], c.get("colspan"), c["scope"]) for c in top if c["scope"] == "colgroup"]
    assert groups == [
        ("民警或辅警", "3", "colgroup"),
        ("保安员或学校保卫人员", "3", "colgroup"),
        ("志愿者", "3", "colgroup"),
    ]
    # Teachers and staff are one force type and one group: one column, named once.
    staff = [c for c in top if c["text"] == "教职员工"]
    assert len(staff) == 1 and staff[0]["rowspan"] == "2" and staff[0]["scope"] == "col"
    assert [c["text"] for c in under] == [
        "民警",
        "辅警",
        "小计",
        "专业保安员",
        "学校保卫人员",
        "小计",
        "家长志愿者",
        "群众志愿者",
        "小计",
    ]
    assert all(c["scope"] == "col" for c in under)
    assert "教职员工" not in [c["text"] for c in under]
    # The head, the column groups and every row have the same number of columns.
    width = sum(int(c.get("colspan", "1")) for c in top)
    assert width == 1 + 10 + 3 == sum(table.colgroups)
    assert width == len([c for c in top if c.get("rowspan") == "2"]) + len(under)
    first = table.body[0]
    assert len(first) == width
    assert first[0]["tag"] == "th" and first[0]["scope"] == "row"
    # The table scrolls inside its card: a labelled region that a keyboard can reach.
    assert table.wrap["role"] == "region" and table.wrap["tabindex"] == "0"
    assert table.wrap["aria-label"] == "人次统计表（可左右滚动）"


def test_the_figures_under_each_group_are_its_force_types_and_their_subtotal(world, login):
    response = login("city_admin").get(STATS, {**RANGE, "by": "school"})
    row = next(
        c for c in response.context["cells"] if c["place"] and c["place"].name == "市第六小学"
    )
    shown = [(f.get("type") or f"all {f['group']}", f["n"]) for f in row["figures"]]
    # 市第六小学: the officer's check-in and 李红's two.
    assert shown == [
        ("police", 1),
        ("auxiliary", 0),
        ("all police", 1),
        ("guard", 0),
        ("school_security", 0),
        ("all guard", 0),
        ("all staff", 0),
        ("parent", 0),
        ("community", 2),
        ("all volunteer", 2),
    ]


def test_the_header_rows_speak_english_too(world, login):
    html = login("city_admin").get(STATS, RANGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    top, under = _table(html).head
    assert [c["text"] for c in top if c["scope"] == "colgroup"] == [
        "Police or auxiliary",
        "Guard or school security",
        "Volunteers",
    ]
    assert under[2]["text"] == "Subtotal"


def _many_schools(world: World, count: int) -> list[int]:
    """`count` more schools in 桃山区, the i-th with i % 7 + 1 check-ins on one day."""
    city = world.city
    totals = []
    for i in range(count):
        school = school_create(
            actor=None,
            name=f"第{i + 1}学校",
            stage=School.Stage.PRIMARY,
            station=city.station_b,
            region=city.taoshan,
            latitude=Decimal("45.76"),
            longitude=Decimal("131.01"),
        )
        post = _post(school, "正门")
        person = make_person(city, unit=school.unit, name=f"队员{i}")
        for k in range(i % 7 + 1):
            checkin(person, post, dt.date(2021, 6, 1 + k))
        totals.append(i % 7 + 1)
    return totals


def _bars(chart: dict) -> list[int]:
    return [sum(s["data"][i] for s in chart["series"]) for i in range(len(chart["categories"]))]


def test_the_chart_shows_the_top_20_schools_most_first_and_all_on_request(world, login):
    _many_schools(world, 22)  # and the 3 schools of the test city: 25
    client = login("city_admin")
    response = client.get(STATS, {**RANGE, "by": "school"})
    assert response.status_code == 200
    assert len(response.context["table"].rows) == 25  # the table has every school
    chart = response.context["chart"]
    bars = _bars(chart)
    assert len(bars) == 20
    assert bars == sorted(bars, reverse=True)
    every = {row.place.name: row.total for row in response.context["table"].rows}
    left_out = set(every) - set(chart["categories"])
    assert len(left_out) == 5 and max(every[name] for name in left_out) <= min(bars)
    # 7 check-ins each; ties in the table's order (by name)
    assert chart["categories"][:3] == ["第14学校", "第21学校", "第7学校"]

    html = response.content.decode()
    link = re.search(r'href="([^"]+)" data-testid="stats-show-all">([^<]+)<', html)
    assert link is not None and link.group(2) == "显示全部 25 所学校"
    assert "chart=all" in unescape(link.group(1))
    assert 'data-testid="stats-show-top"' not in html

    everything = client.get(unescape(link.group(1)))
    assert everything.status_code == 200
    all_bars = _bars(everything.context["chart"])
    assert len(all_bars) == 25 and all_bars == sorted(all_bars, reverse=True)
    html = everything.content.decode()
    assert 'data-testid="stats-show-top"' in html and "只显示前 20 名" in html
    assert 'data-testid="stats-show-all"' not in html
    # The choice is kept when the filters are changed.
    assert re.search(r'<input type="hidden" name="chart" value="all"', html)


def test_the_show_all_link_names_the_places_of_the_level(world, login):
    _many_schools(world, 22)
    response = login("city_admin").get(STATS, {**RANGE, "by": "post"}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(response.context["chart"]["categories"]) == 20
    assert "Show all 26 posts" in response.content.decode()


def test_a_few_places_are_all_drawn_without_a_toggle(world, login):
    response = login("city_admin").get(STATS, {**RANGE, "by": "school"})
    assert _bars(response.context["chart"]) == [3, 3, 1]
    assert response.context["chart"]["categories"] == ["市第六小学", "桃山小学", "新兴小学"]
    html = response.content.decode()
    assert "stats-show-all" not in html and "stats-show-top" not in html


def test_an_unknown_chart_choice_is_refused(world, login):
    response = login("city_admin").get(STATS, {**RANGE, "chart": "every"})
    assert response.status_code == 400


def _back(client, url: str) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    found = re.search(
        r'<a class="button" href="([^"]+)">返回人次统计</a>', response.content.decode()
    )
    assert found is not None
    path, _sep, query = unescape(found.group(1)).partition("?")
    assert path == STATS
    return parse_qs(query)


def test_back_to_person_times_keeps_the_grouping_period_and_filters(world, login):
    client = login("city_admin")
    station = str(world.city.station_b.pk)
    query = {**RANGE, "by": "district", "period": "month", "station": station}
    page = client.get(STATS, query)
    assert page.status_code == 200
    expected = {
        "from": [START.isoformat()],
        "to": [END.isoformat()],
        "by": ["district"],
        "period": ["month"],
        "station": [station],
    }
    links = _links(page.content.decode())
    row_link = next(url for url, n in links if "from=2021-04-01&to=2021-04-30" in url)
    assert "place=" in row_link  # one month's check-ins of one district...
    assert _back(client, row_link) == expected  # ...and back to the whole range by month
    totals_link = next(url for url, n in links if "place=" not in url)
    assert _back(client, totals_link) == expected
    back = client.get(STATS, {k: v[0] for k, v in expected.items()}).context["table"]
    assert (back.by, back.period, back.start, back.end) == ("district", "month", START, END)


def test_back_to_person_times_keeps_the_district_and_the_whole_chart(world, login):
    client = login("city_admin")
    query = {**RANGE, "by": "post", "district": "230902", "chart": "all"}
    links = _links(client.get(STATS, query).content.decode())
    assert _back(client, links[0][0]) == {
        "from": [START.isoformat()],
        "to": [END.isoformat()],
        "by": ["post"],
        "district": ["230902"],
        "chart": ["all"],
    }


def test_the_way_back_is_built_from_the_checked_filters_not_echoed(world, login):
    client = login("city_admin")
    url = (
        f"{RECORDS}?from=2021-03-01&to=2021-03-31&by=school&period=week"
        "&range_from=2021-03-01&range_to=2022-01-31&note=%3Cscript%3E&place="
        f"{world.city.school_a1.pk}"
    )
    assert _back(client, url) == {
        "from": ["2021-03-01"],
        "to": ["2022-01-31"],
        "by": ["school"],
        "period": ["week"],
    }
    assert client.get(f"{RECORDS}?{urlencode({**RANGE, 'period': 'decade'})}").status_code == 400
    refused = client.get(f"{RECORDS}?{urlencode({**RANGE, 'range_to': 'soon'})}")
    assert refused.status_code == 400 and "返回人次统计" not in refused.content.decode()
