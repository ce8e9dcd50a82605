"""Person-times (人次) and duty hours: counted from check-ins by place and period, scoped, every
figure listing exactly the check-ins behind it, exported to Excel, and over the API."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from html import unescape

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
from huxue.posts.models import Post
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
    # 5 rows and the totals, each with 7 force types, 4 groups and the total (the hours open
    # the same list as the total).
    assert len(links) == 6 * 12
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
