"""The home page of a member: their next shift on the published roster (school, gate, day, time
and state), a check-in button exactly when the today page offers check-in, and what to do when
there is no shift; the navigation a member gets; the account menu with its password link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huxue.duty.checkin.services import check_in, check_out
from huxue.orgs.roles import Role
from huxue.orgs.services import membership_grant
from huxue.people.services import person_link_user
from huxue.roster.models import Assignment, Shift
from huxue.testing import (
    PASSWORD,
    ROSTER_MONDAY,
    City,
    local_at,
    make_person,
    make_shift,
    make_user,
)

HOME = reverse("home")
TODAY_PAGE = reverse("duty:today")


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """at(hh, mm) freezes the clock at that time on ROSTER_MONDAY (a Monday, 2026-12-07)."""

    def freeze(hh: int, mm: int = 0, *, day: dt.date = ROSTER_MONDAY) -> dt.datetime:
        moment = local_at(day, hh, mm)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def rostered(city: City, shift: Shift, *, published: bool = True) -> Assignment:
    return Assignment.objects.create(
        published=published,
        shift=shift,
        person=city.person_a1,
        group=city.person_a1.force_group,
        source="manual",
    )


def next_shift(html: str) -> str:
    """The next-shift card of the page, to look inside."""
    found = re.search(r'<section class="card next-shift".*?</section>', html, re.S)
    assert found, "the home page has no next-shift card"
    return found.group(0)


def state_of(html: str) -> str:
    found = re.search(r'data-testid="next-state" data-state="(\w+)"', html)
    assert found, "the next shift shows no state"
    return found.group(1)


# ---- the next shift ------------------------------------------------------------------------


def test_a_member_without_a_shift_is_told_so_and_sent_to_the_open_shifts(
    city: City, login, at
) -> None:
    at(9)
    card = next_shift(login("volunteer").get(HOME).content.decode())
    assert "已发布的排班中暂无您即将到来的班次。" in card
    assert f'href="{reverse("roster:my_shifts")}" data-testid="find-open-shifts"' in card
    assert 'data-testid="home-checkin"' not in card


def test_only_published_assignments_count(city: City, login, at) -> None:
    rostered(
        city, make_shift(city.post_a1, day=ROSTER_MONDAY + dt.timedelta(days=1)), published=False
    )
    at(9)
    card = next_shift(login("volunteer").get(HOME).content.decode())
    assert 'data-testid="no-next-shift"' in card
    assert "南门" not in card


def test_a_shift_on_a_later_day_names_school_gate_day_and_time(city: City, login, at) -> None:
    later = make_shift(
        city.post_a1,
        day=ROSTER_MONDAY + dt.timedelta(days=2),
        start=dt.time(15, 30),
        end=dt.time(17),
    )
    rostered(city, later)
    rostered(city, make_shift(city.post_a1, day=ROSTER_MONDAY + dt.timedelta(days=3)))
    at(9)
    card = next_shift(login("volunteer").get(HOME).content.decode())
    assert "市第六小学" in card and "南门" in card
    assert "2026-12-09 星期三" in card and "15:30–17:00" in card
    assert "2026-12-10" not in card  # only the next one
    assert state_of(card) == "coming" and "已发布排班" in card
    assert 'data-testid="home-checkin"' not in card and "今天" not in card


def test_the_check_in_button_shows_only_inside_the_check_in_window(city: City, login, at) -> None:
    """The window is the today page's: from 15 minutes before the shift (the city's default
    rule) to its end. The button leads to the today page, where the check-in is made."""
    shift = make_shift(city.post_a1, start=dt.time(7), end=dt.time(8))
    rostered(city, shift)
    client = login("volunteer")

    at(6, 40)  # before the window opens at 06:45
    card = next_shift(client.get(HOME).content.decode())
    assert state_of(card) == "later" and "06:45 起可签到" in card
    assert 'data-testid="home-checkin"' not in card
    assert "今天" in card and "07:00–08:00" in card

    for hh, mm in ((6, 45), (7, 30), (8, 0)):
        at(hh, mm)
        card = next_shift(client.get(HOME).content.decode())
        assert state_of(card) == "due", (hh, mm)
        assert f'href="{TODAY_PAGE}" data-testid="home-checkin">签到</a>' in card
        # The today page offers the same check-in at the same moment.
        assert f'data-testid="checkin-{city.post_a1.pk}"' in client.get(TODAY_PAGE).content.decode()

    at(8, 1)  # the window is over: no next shift today
    card = next_shift(client.get(HOME).content.decode())
    assert 'data-testid="home-checkin"' not in card and 'data-testid="no-next-shift"' in card


def test_a_checked_in_member_is_offered_check_out_and_then_the_next_shift(
    city: City, login, at
) -> None:
    morning = make_shift(city.post_a1, start=dt.time(7), end=dt.time(8))
    tomorrow = make_shift(city.post_a1, day=ROSTER_MONDAY + dt.timedelta(days=1))
    rostered(city, morning)
    rostered(city, tomorrow)
    moment = at(7, 5)
    checkin = check_in(
        actor=None, person=city.person_a1, post=city.post_a1, method="qr", now=moment
    )
    client = login("volunteer")
    card = next_shift(client.get(HOME).content.decode())
    assert state_of(card) == "open" and "07:05 已签到" in card
    assert 'data-testid="home-checkout"' in card and 'data-testid="home-checkin"' not in card

    check_out(actor=None, checkin=checkin, now=local_at(ROSTER_MONDAY, 7, 50))
    at(7, 55)  # checked out, the window still running: the next shift is tomorrow's
    card = next_shift(client.get(HOME).content.decode())
    assert state_of(card) == "coming" and "2026-12-08" in card


def test_a_member_still_on_duty_elsewhere_is_told_to_check_out_there_first(
    city: City, login, at
) -> None:
    """As on the today page: another check-in still running stands in the way."""
    from huxue.posts.services import parse_windows, post_create

    north = post_create(
        actor=None,
        school=city.school_a1,
        name="北门",
        latitude=city.school_a1.latitude,
        longitude=city.school_a1.longitude,
        windows=parse_windows("07:00-08:30"),
        requirements={},
    )
    elsewhere = make_shift(north, start=dt.time(7), end=dt.time(8, 30))
    mine = make_shift(city.post_a1, start=dt.time(8), end=dt.time(9))
    rostered(city, mine)
    moment = at(7, 50)
    check_in(actor=None, person=city.person_a1, post=north, method="qr", now=moment)
    assert elsewhere.ends_at > moment
    card = next_shift(login("volunteer").get(HOME).content.decode())
    assert state_of(card) == "due"
    assert 'data-testid="next-busy"' in card and "北门" in card
    assert 'data-testid="home-checkin"' not in card


def test_a_member_whose_account_is_not_linked_is_told_so(city: City, at) -> None:
    loose = make_user("loose_member", Role.MEMBER, unit=city.school_a1.unit)
    at(9)
    client = Client()
    client.force_login(loose)
    card = next_shift(client.get(HOME).content.decode())
    assert "您的账号尚未关联队员档案。" in card


@pytest.mark.parametrize("username", ["school_lead", "city_admin", "auditor"])
def test_users_who_are_not_members_get_no_next_shift_card(city: City, login, username) -> None:
    assert "next-shift" not in login(username).get(HOME).content.decode()


def test_the_home_page_speaks_english_when_asked(city: City, login, at) -> None:
    rostered(city, make_shift(city.post_a1, start=dt.time(7), end=dt.time(8)))
    at(6, 50)
    html = login("volunteer").get(HOME, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    card = next_shift(html)
    assert "My next shift" in card and "Monday" in card and ">Check in</a>" in card
    assert "On the published roster" in card


def test_the_home_page_reads_a_bounded_number_of_queries(
    city: City, login, at, django_assert_max_num_queries
) -> None:
    for days in range(5):
        rostered(city, make_shift(city.post_a1, day=ROSTER_MONDAY + dt.timedelta(days=days)))
    at(6, 50)
    client = login("volunteer")
    with django_assert_max_num_queries(22):
        assert client.get(HOME).status_code == 200


# ---- the navigation ------------------------------------------------------------------------


def nav_urls(client: Client) -> list[str]:
    return [item["url"] for item in client.get(HOME).context["nav_items"]]


def test_a_member_is_offered_their_own_pages_not_the_people_list_or_the_statistics(
    city: City, login
) -> None:
    urls = nav_urls(login("volunteer"))
    assert reverse("duty:my_hours") in urls
    assert reverse("people:list") not in urls and reverse("duty:stats") not in urls


def test_a_school_lead_is_offered_the_people_list_and_the_statistics(city: City, login) -> None:
    urls = nav_urls(login("school_lead"))
    assert reverse("people:list") in urls and reverse("duty:stats") in urls
    assert reverse("duty:my_hours") not in urls


def test_a_lead_who_is_also_a_member_is_offered_both(city: City, login) -> None:
    lead = city.users["school_lead"]
    person_link_user(actor=None, person=make_person(city, unit=city.school_a1.unit), user=lead)
    membership_grant(user=lead, role=Role.MEMBER, unit=city.school_a1.unit)
    urls = nav_urls(login("school_lead"))
    for name in ("duty:today", "duty:my_hours", "people:list", "duty:stats"):
        assert reverse(name) in urls, name


# ---- the account menu ----------------------------------------------------------------------


def test_the_account_menu_links_to_a_working_password_form(city: City) -> None:
    client = Client()
    client.force_login(city.users["volunteer"])
    html = client.get(reverse("roster:my_shifts")).content.decode()
    menu = re.search(r'<details class="account".*?</details>', html, re.S)
    assert menu, "no account menu"
    link = re.search(
        r'<a href="([^"]+)" data-testid="password-change-link">修改密码</a>', menu.group(0)
    )
    assert link and link.group(1) == reverse("password_change")
    assert "退出登录" in menu.group(0)

    form = client.get(link.group(1))
    assert form.status_code == 200 and 'name="old_password"' in form.content.decode()
    changed = client.post(
        link.group(1),
        {
            "old_password": PASSWORD,
            "new_password1": "Gate-Keeper-2027!",
            "new_password2": "Gate-Keeper-2027!",
        },
    )
    assert changed.status_code == 302 and changed["Location"] == HOME
    user = city.users["volunteer"]
    user.refresh_from_db()
    assert user.check_password("Gate-Keeper-2027!") and not user.check_password(PASSWORD)


def test_a_signed_out_visitor_has_no_account_menu(client) -> None:
    assert "account-menu" not in client.get(reverse("login")).content.decode()
