"""我的服务时长: a member's own hours and person-times for this month, this term and all time,
counted by the statistics' rule (voided check-ins out, open ones a person-time without hours),
with the records behind each figure, as a page and as Excel, and never anyone else's."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from huxue.calendar.models import Term
from huxue.duty.hours import selectors as hours
from huxue.duty.models import CheckIn
from huxue.duty.stats import selectors as stats
from huxue.orgs.roles import Role
from huxue.orgs.services import membership_grant
from huxue.people.models import Person
from huxue.people.services import person_link_user
from huxue.posts.models import Post
from huxue.roster.models import Shift
from huxue.testing import ROSTER_MONDAY, City, local_at, make_person, make_shift, make_term

PAGE = reverse("duty:my_hours")
EXPORT = reverse("duty:my_hours_export")
TODAY = ROSTER_MONDAY  # 2026-12-07, inside the autumn term 2026-09-01 … 2027-01-15


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """The clock at 10:00 on TODAY (every thread)."""
    moment = local_at(TODAY, 10)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return TODAY


def checkin(
    person: Person,
    post: Post,
    day: dt.date,
    hh: int = 7,
    *,
    minutes: int | None = 60,
    voided: bool = False,
) -> CheckIn:
    start = dt.time(hh)
    shift = Shift.objects.filter(post=post, day=day, start=start).first() or make_shift(
        post, day=day, start=start, end=dt.time(hh + 2)
    )
    at = local_at(day, hh)
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
        voided_at=at + dt.timedelta(hours=3) if voided else None,
        void_reason="entered twice" if voided else "",
    )


@pytest.fixture
def history(city: City, today: dt.date) -> dict[str, CheckIn]:
    """李红 (the volunteer's record): this month, earlier this term, before the term, voided,
    and one still open today; and others' check-ins at her school and at another."""
    a1 = city.person_a1
    made = {
        "december": checkin(a1, city.post_a1, dt.date(2026, 12, 1), minutes=60),  # 1.0 h
        "open": checkin(a1, city.post_a1, TODAY, minutes=None),  # a person-time, no hours yet
        "november": checkin(a1, city.post_a1, dt.date(2026, 11, 20), 15, minutes=90),  # 1.5 h
        "june": checkin(a1, city.post_b1, dt.date(2026, 6, 1), minutes=30),  # 0.5 h, before term
        "voided": checkin(a1, city.post_a1, dt.date(2026, 12, 2), minutes=120, voided=True),
    }
    colleague = make_person(city, unit=city.school_a1.unit, name="周敏")
    made["colleague"] = checkin(colleague, city.post_a1, dt.date(2026, 12, 1), minutes=45)
    made["elsewhere"] = checkin(city.person_b1, city.post_b1, dt.date(2026, 12, 3), minutes=60)
    return made


# ---- the figures ---------------------------------------------------------------------------


def test_the_figures_count_person_times_and_hours_per_period_without_voided_checkins(
    city: City, history, today
) -> None:
    make_term(city)
    summary = hours.summary_of(city.users["volunteer"], person=city.person_a1, today=today)
    assert (summary.month.start, summary.month.end) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    # December: the 1st (1.0 h) and today's open check-in (a person-time, no hours).
    assert (summary.month.person_times, summary.month.hours) == (2, Decimal("1.0"))
    # The term adds November's 1.5 h; June is before it.
    assert summary.school_term is not None and summary.school_term.name == "2026-2027学年第一学期"
    assert summary.term is not None
    assert (summary.term.person_times, summary.term.hours) == (3, Decimal("2.5"))
    assert (summary.all_time.person_times, summary.all_time.hours) == (4, Decimal("3.0"))


def test_the_figures_agree_with_the_person_times_statistics(city: City, history, today) -> None:
    """The same rule as the city's table: the member's own row there has the same figures."""
    table = stats.person_times(
        city.users["volunteer"], start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)
    )
    summary = hours.summary_of(city.users["volunteer"], person=city.person_a1, today=today)
    assert (table.totals.total, table.totals.hours) == (
        summary.all_time.person_times,
        summary.all_time.hours,
    )


def test_closing_the_open_checkin_adds_its_hours(city: City, history, today) -> None:
    user = city.users["volunteer"]
    before = hours.summary_of(user, person=city.person_a1, today=today).month
    opened = history["open"]
    CheckIn.objects.filter(pk=opened.pk).update(checked_out_at=opened.at + dt.timedelta(minutes=45))
    after = hours.summary_of(user, person=city.person_a1, today=today).month
    assert after.person_times == before.person_times == 2
    assert after.hours == before.hours + Decimal("0.8")


def test_without_a_term_covering_today_there_is_no_term_figure(
    city: City, history, today, login
) -> None:
    Term.objects.create(
        unit=city.bureau,
        region=city.city,
        name="2025-2026学年第二学期",
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 7, 10),
    )
    summary = hours.summary_of(city.users["volunteer"], person=city.person_a1, today=today)
    assert summary.term is None and summary.school_term is None
    html = login("volunteer").get(PAGE).content.decode()
    assert 'data-testid="no-term"' in html
    assert "您所在学校今天不在任何学期内" in html
    assert "?period=term" not in html


def test_a_districts_own_term_comes_before_its_citys(city: City, history, today) -> None:
    make_term(city)
    own = Term.objects.create(
        unit=city.bureau,
        region=city.xinxing,  # 市第六小学's district
        name="新兴区2026秋季学期",
        start=dt.date(2026, 9, 7),
        end=dt.date(2027, 1, 20),
    )
    assert hours.term_of(city.person_a1, today=today) == own


def test_the_term_of_a_school_where_the_member_stood_duty_counts_when_their_own_has_none(
    city: City, history, today
) -> None:
    taoshan = Term.objects.create(
        unit=city.bureau,
        region=city.taoshan,  # 桃山小学, where 李红 stood duty in June
        name="桃山区2026秋季学期",
        start=dt.date(2026, 9, 1),
        end=dt.date(2027, 1, 10),
    )
    assert hours.term_of(city.person_a1, today=today) == taoshan


# ---- the page ------------------------------------------------------------------------------


def test_the_page_shows_the_three_figures_and_lists_the_records_behind_them(
    city: City, history, today, login
) -> None:
    make_term(city)
    client = login("volunteer")
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的服务时长" in html
    assert "2026-2027学年第一学期" in html and "2026-09-01 – 2027-01-15" in html
    # All time by default: four records, latest first, with school, gate and hours.
    assert [r["checkin"].pk for r in response.context["rows"]] == [
        history[k].pk for k in ("open", "december", "november", "june")
    ]
    assert html.count('data-testid="hours-record"') == 4
    assert "市第六小学" in html and "南门" in html and "桃山小学" in html
    assert "2026-11-20" in html and "15:00" in html and "16:30" in html and "1.5" in html
    assert "尚未签退" in html  # today's open check-in has no hours yet
    # This month's figure lists this month's records.
    month = client.get(PAGE, {"period": "month"})
    assert [r["checkin"].pk for r in month.context["rows"]] == [
        history["open"].pk,
        history["december"].pk,
    ]
    assert "本月签到记录" in month.content.decode()
    term = client.get(PAGE, {"period": "term"})
    assert len(term.context["rows"]) == 3


def test_a_member_sees_only_their_own_records(city: City, history, today, login) -> None:
    response = login("volunteer").get(PAGE)
    listed = {r["checkin"].pk for r in response.context["rows"]}
    assert history["colleague"].pk not in listed and history["elsewhere"].pk not in listed
    assert history["voided"].pk not in listed
    html = response.content.decode()
    assert "周敏" not in html and "王刚" not in html


def test_a_lead_who_also_stands_duty_sees_only_their_own_hours_here(
    city: City, history, today, login
) -> None:
    """The lead may read every check-in of the school; this page is still only their own."""
    lead = city.users["school_lead"]
    own = make_person(city, unit=city.school_a1.unit, name="吴队长")
    person_link_user(actor=None, person=own, user=lead)
    membership_grant(user=lead, role=Role.MEMBER, unit=city.school_a1.unit)
    mine = checkin(own, city.post_a1, dt.date(2026, 12, 4), minutes=60)
    response = login("school_lead").get(PAGE)
    assert [r["checkin"].pk for r in response.context["rows"]] == [mine.pk]
    assert response.context["summary"].all_time.person_times == 1


@pytest.mark.parametrize("username", ["school_lead", "city_admin", "stranger", "auditor"])
def test_users_without_a_member_record_are_not_found(city: City, login, username: str) -> None:
    assert login(username).get(PAGE).status_code == 404
    assert login(username).get(EXPORT).status_code == 404


def test_the_page_needs_a_login(client) -> None:
    assert client.get(PAGE).status_code == 302


def test_the_page_reads_a_constant_number_of_queries(
    city: City, history, today, login, django_assert_max_num_queries
) -> None:
    make_term(city)
    client = login("volunteer")
    for extra in range(30):
        checkin(city.person_a1, city.post_a1, dt.date(2026, 10, 1) + dt.timedelta(days=extra))
    with django_assert_max_num_queries(16):
        assert client.get(PAGE).status_code == 200


def test_an_empty_history_says_so(city: City, today, login) -> None:
    html = login("volunteer").get(PAGE).content.decode()
    assert 'data-testid="hours-empty"' in html
    assert 'data-testid="hours-export"' not in html


# ---- the Excel ------------------------------------------------------------------------------


def _rows(response) -> list[tuple]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


def test_the_excel_has_the_records_of_the_chosen_figure_and_only_the_members_own(
    city: City, history, today, login
) -> None:
    make_term(city)
    client = login("volunteer")
    rows = _rows(client.get(EXPORT))
    assert rows[0] == ("日期", "学校", "校门", "上岗时间", "离岗时间", "执勤时长（小时）")
    body = rows[1:]
    assert len(body) == 4
    assert {r[1] for r in body} == {"市第六小学", "桃山小学"}
    november = next(r for r in body if r[0].date() == dt.date(2026, 11, 20))
    assert november[2] == "南门"
    # Wall-clock times in Shanghai, as Excel shows them (no time zone in a cell).
    assert (november[3], november[4]) == (
        local_at(dt.date(2026, 11, 20), 15).replace(tzinfo=None),
        local_at(dt.date(2026, 11, 20), 16, 30).replace(tzinfo=None),
    )
    assert november[5] == 1.5
    still_open = next(r for r in body if r[0].date() == TODAY)
    assert still_open[4] is None and still_open[5] is None
    month = _rows(client.get(EXPORT, {"period": "month"}))[1:]
    assert len(month) == 2
    response = client.get(EXPORT, {"period": "month"})
    assert "huxue-my-hours-month-20261201-20261231.xlsx" in response["Content-Disposition"]
