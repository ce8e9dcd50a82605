"""The board on a day without duty (the school calendar decides), the wall's order and district
row, and the link from each tile to the post's gap alerts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huxue.calendar.selectors import school_days, school_days_of
from huxue.calendar.services import closure_create
from huxue.duty.board.selectors import (
    AMBER,
    GREEN,
    GREY,
    RED,
    BoardRow,
    board,
    board_districts,
    board_summary,
    board_worst_first,
)
from huxue.duty.checkin.services import check_in
from huxue.duty.models import CheckIn
from huxue.orgs.models import User
from huxue.people.forces import ForceGroup
from huxue.posts.models import School
from huxue.posts.services import parse_windows, post_create, school_create
from huxue.testing import ROSTER_MONDAY, City, local_at, make_person, make_shift, make_term

SATURDAY = ROSTER_MONDAY - dt.timedelta(days=2)  # 2026-12-05
NATIONAL_DAY = dt.date(2026, 10, 1)  # a Thursday in the autumn term
PAGE = "/duty/board/"
TILES = "/duty/board/tiles/"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """clock(day, hh, mm) freezes the time for the pages."""

    def freeze(day: dt.date, hh: int = 7, mm: int = 20) -> dt.datetime:
        moment = local_at(day, hh, mm)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def row_of(rows: list[BoardRow], post) -> BoardRow:  # type: ignore[no-untyped-def]
    return next(r for r in rows if r.post_id == post.pk)


# --- a day without duty ---------------------------------------------------------------------


def test_a_saturday_in_term_is_no_duty_day_at_every_post(city: City) -> None:
    make_term(city)
    rows = board(city.users["city_admin"], now=local_at(SATURDAY, 7, 20))
    assert {(r.status, r.duty_today, r.day_off) for r in rows} == {(GREY, False, True)}
    summary = board_summary(rows)
    assert summary.day_off == summary.total == 2
    assert summary.no_duty_today


def test_a_public_holiday_on_a_weekday_is_no_duty_day(city: City) -> None:
    make_term(city)
    rows = board(city.users["city_admin"], now=local_at(NATIONAL_DAY, 7, 20))
    assert all(r.day_off for r in rows)


def test_a_closed_school_has_no_duty_while_the_other_school_has_a_shift_to_roster(
    city: City,
) -> None:
    make_term(city)
    closure_create(
        actor=None,
        school=city.school_a1,
        start=ROSTER_MONDAY,
        end=ROSTER_MONDAY,
        reason="exam",
    )
    rows = board(city.users["city_admin"], now=local_at(ROSTER_MONDAY, 7, 20))
    assert row_of(rows, city.post_a1).day_off is True
    # 桃山小学 has a school day and no shift: nobody has rostered it, which is not "no duty".
    assert row_of(rows, city.post_b1).day_off is False
    assert not board_summary(rows).no_duty_today


def test_a_post_whose_duty_is_over_for_today_says_so_not_no_duty(city: City) -> None:
    make_term(city)
    make_shift(city.post_a1)  # 07:00–08:00 on Monday
    rows = board(city.users["city_admin"], now=local_at(ROSTER_MONDAY, 9, 0))
    row = row_of(rows, city.post_a1)
    assert (row.status, row.duty_today, row.day_off, row.next_window) == (GREY, True, None, "")
    # Before the window the same post names it.
    early = row_of(board(city.users["city_admin"], now=local_at(ROSTER_MONDAY, 5)), city.post_a1)
    assert (early.duty_today, early.next_window) == (True, "07:00–08:00")


def test_outside_every_term_there_is_no_duty(city: City) -> None:
    # The test city has no term: its schools are on holiday.
    rows = board(city.users["city_admin"], now=local_at(ROSTER_MONDAY, 7, 20))
    assert all(r.day_off for r in rows)


def test_the_page_says_no_duty_today_on_a_weekend(login, city: City, clock) -> None:
    make_term(city)
    clock(SATURDAY)
    html = login("city_admin").get(PAGE).content.decode()
    assert "今日无值守" in html
    assert 'data-testid="board-dayoff"' in html
    assert "今日值守已结束" not in html
    english = login("city_admin").get(TILES, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No duty today: it is not a school day." in english
    assert "No more duty today" not in english


def test_the_page_says_duty_is_over_after_the_last_window_of_a_school_day(
    login, city: City, clock
) -> None:
    make_term(city)
    make_shift(city.post_a1)
    clock(ROSTER_MONDAY, 9, 0)
    html = login("school_lead").get(PAGE).content.decode()
    assert "今日值守已结束" in html
    assert "今日无值守" not in html


def test_a_school_day_without_a_shift_says_none_is_rostered(login, city: City, clock) -> None:
    make_term(city)
    clock(ROSTER_MONDAY)
    html = login("other_lead").get(PAGE).content.decode()
    assert "今日未排班" in html
    assert "今日无值守" not in html and "今日值守已结束" not in html


def _queries_on_saturday(city: City) -> tuple[int, list[BoardRow]]:
    user = User.objects.get(pk=city.users["education"].pk)  # no roles cached
    with CaptureQueriesContext(connection) as captured:
        rows = board(user, now=local_at(SATURDAY, 7, 20))
    return len(captured.captured_queries), rows


def test_the_calendar_is_asked_in_three_queries_for_any_number_of_schools(city: City) -> None:
    make_term(city)
    few, rows = _queries_on_saturday(city)
    assert len(rows) == 2
    for n in range(6):
        school = school_create(
            actor=None,
            name=f"测试学校{n}",
            stage="primary",
            station=city.station_b,
            region=city.taoshan,
            latitude=city.school_b1.latitude,
            longitude=city.school_b1.longitude,
        )
        post_create(
            actor=None,
            school=school,
            name="正门",
            latitude=school.latitude,
            longitude=school.longitude,
            windows=parse_windows("07:00-08:00"),
            requirements={ForceGroup.VOLUNTEER: 1},
        )
    many, rows = _queries_on_saturday(city)
    assert len(rows) == 8 and all(r.day_off for r in rows)
    # Roles, posts, duty rules, shifts (no shift now: no check-ins to count), then the terms,
    # the closures and the national arrangement.
    assert many == few == 4 + 3


def test_many_schools_at_once_get_the_same_school_days_as_one_by_one(city: City) -> None:
    make_term(city)
    closure_create(
        actor=None, school=city.school_b1, start=ROSTER_MONDAY, end=ROSTER_MONDAY, reason="exam"
    )
    schools = list(School.objects.select_related("unit__region"))
    start, end = dt.date(2026, 9, 28), dt.date(2026, 12, 13)
    together = school_days_of(schools, start, end)
    for school in schools:
        assert together[school.pk] == school_days(school, start, end)
    assert ROSTER_MONDAY not in together[city.school_b1.pk]
    assert ROSTER_MONDAY in together[city.school_a1.pk]
    assert dt.date(2026, 10, 1) not in together[city.school_a1.pk]  # 国庆节
    assert dt.date(2026, 10, 10) in together[city.school_a1.pk]  # its make-up Saturday


# --- the wall -------------------------------------------------------------------------------


def _row(post_id: int, status: str, district: str, school: str) -> BoardRow:
    return BoardRow(
        post_id=post_id,
        post_name="正门",
        school_id=post_id,
        school_name=school,
        station_id=1,
        station_name="派出所",
        district_code=district,
        district_name={"230902": "新兴区", "230903": "桃山区"}[district],
        status=status,
    )


def test_the_wall_lists_red_then_amber_then_the_rest_in_a_steady_order() -> None:
    rows = [
        _row(1, GREEN, "230902", "甲"),
        _row(2, GREY, "230902", "乙"),
        _row(3, AMBER, "230903", "丙"),
        _row(4, RED, "230903", "丁"),
        _row(5, RED, "230902", "戊"),
        _row(6, AMBER, "230902", "己"),
    ]
    assert [r.post_id for r in board_worst_first(rows)] == [5, 4, 6, 3, 1, 2]


def test_the_district_row_counts_posts_by_status() -> None:
    rows = [
        _row(1, GREEN, "230902", "甲"),
        _row(2, RED, "230902", "乙"),
        _row(3, RED, "230902", "丙"),
        _row(4, AMBER, "230903", "丁"),
        _row(5, GREY, "230903", "戊"),
    ]
    districts = board_districts(rows)
    assert [(d.name, d.posts, d.red, d.amber, d.green, d.grey) for d in districts] == [
        ("新兴区", 3, 2, 0, 1, 0),
        ("桃山区", 2, 0, 1, 0, 1),
    ]


def test_the_wall_page_shows_the_districts_and_turns_pages_as_set(
    login, city: City, clock, settings
) -> None:
    settings.HUXUE_WALL_PAGE_SECONDS = 7
    make_term(city)
    clock(ROSTER_MONDAY)
    make_shift(city.post_a1, requirements={ForceGroup.VOLUNTEER: 1})  # red: nobody came
    make_shift(city.post_b1, requirements={ForceGroup.VOLUNTEER: 1})
    volunteer = make_person(city, unit=city.school_b1.unit, name="志愿者丙")
    check_in(
        actor=None,
        person=volunteer,
        post=city.post_b1,
        method=CheckIn.Method.QR,
        now=local_at(ROSTER_MONDAY, 7, 5),
    )
    html = login("city_admin").get(PAGE, {"wall": "1"}).content.decode()
    assert 'data-testid="wall-districts"' in html
    assert 'data-testid="district-230902"' in html and 'data-testid="district-230903"' in html
    assert 'data-page-seconds="7"' in html
    assert 'data-label="第 {page}/{pages} 页"' in html
    # The wall is a display: no link to the alerts in its tiles.
    assert 'data-testid="tile-alerts"' not in html


def test_the_wall_puts_a_red_post_before_a_green_one_listed_earlier(
    login, city: City, clock
) -> None:
    make_term(city)
    clock(ROSTER_MONDAY)
    make_shift(city.post_a1, requirements={ForceGroup.VOLUNTEER: 1})
    make_shift(city.post_b1, requirements={ForceGroup.VOLUNTEER: 1})
    volunteer = make_person(city, unit=city.school_a1.unit, name="志愿者丁")
    check_in(
        actor=None,
        person=volunteer,
        post=city.post_a1,
        method=CheckIn.Method.QR,
        now=local_at(ROSTER_MONDAY, 7, 5),
    )
    client = login("city_admin")
    board_html = client.get(PAGE).content.decode()
    wall_html = client.get(TILES, {"wall": "1"}).content.decode()
    a1, b1 = f'data-testid="tile-{city.post_a1.pk}"', f'data-testid="tile-{city.post_b1.pk}"'
    assert board_html.index(a1) < board_html.index(b1)  # the board keeps the posts' order
    assert wall_html.index(b1) < wall_html.index(a1)  # the wall: red 桃山小学 first
    assert 'data-testid="wall-districts"' in wall_html


def test_each_tile_links_to_the_alerts_of_its_post(login, city: City, clock) -> None:
    clock(ROSTER_MONDAY)
    html = login("school_lead").get(PAGE).content.decode()
    assert f'href="/duty/alerts/?post={city.post_a1.pk}"' in html
    assert 'data-testid="alerts-link"' in html and 'href="/duty/alerts/"' in html


def test_the_alert_links_show_only_to_those_who_may_read_alerts(
    login, city: City, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huxue.duty.board import views

    clock(ROSTER_MONDAY)
    monkeypatch.setattr(views, "gap_alerts_allowed", lambda user: False)
    html = login("school_lead").get(PAGE).content.decode()
    board = html[html.index("<main") :]  # the navigation asks the same rule itself
    assert "/duty/alerts/" not in board


def test_the_wall_page_speaks_english(login, city: City, clock) -> None:
    make_term(city)
    clock(ROSTER_MONDAY)
    make_shift(city.post_a1, requirements={ForceGroup.POLICE: 1})
    html = login("city_admin").get(PAGE, {"wall": "1"}, HTTP_ACCEPT_LANGUAGE="en").content
    text = html.decode()
    assert 'data-label="Page {page}/{pages}"' in text
    assert "2 posts" not in text  # one post per district in the test city
    assert "1 post" in text
