"""The member's check-in pages: today's shifts, walk-ins, the QR poster's confirm page and the
service worker that keeps them for a phone without a network."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from huxue.duty.checkin.services import Position, check_in, check_out
from huxue.duty.models import CheckIn, DutyRules
from huxue.orgs.roles import Role
from huxue.posts.services import parse_windows, post_create
from huxue.roster.models import Assignment, Shift
from huxue.testing import ROSTER_MONDAY, City, local_at, make_shift, make_user

TODAY = reverse("duty:today")


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """at(hh, mm) freezes the clock at that time on ROSTER_MONDAY (call it before logging in)."""

    def freeze(hh: int, mm: int = 0) -> dt.datetime:
        moment = local_at(ROSTER_MONDAY, hh, mm)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def rostered(city: City, shift: Shift) -> Assignment:
    return Assignment.objects.create(
        published=True,
        shift=shift,
        person=city.person_a1,
        group=city.person_a1.force_group,
        source="manual",
    )


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


def config_of(html: str) -> dict:
    found = re.search(r'<script id="duty-config" type="application/json">(.*?)</script>', html)
    assert found, "the page carries no duty-config block"
    return json.loads(found.group(1))


def cards(html: str) -> dict[str, str]:
    """shift id → state, as the page marks them."""
    return dict(re.findall(r'data-shift="(\d+)" data-state="(\w+)"', html))


def test_today_page_shows_a_rostered_members_shifts_at_a_frozen_time(city, login, at) -> None:
    morning = make_shift(city.post_a1, start=dt.time(7), end=dt.time(8))
    afternoon = make_shift(city.post_a1, start=dt.time(15, 30), end=dt.time(17))
    other_day = make_shift(city.post_a1, day=ROSTER_MONDAY + dt.timedelta(days=1))
    for shift in (morning, afternoon, other_day):
        rostered(city, shift)
    at(6, 50)
    response = login("volunteer").get(TODAY)
    assert response.status_code == 200
    html = response.content.decode()
    assert cards(html) == {str(morning.pk): "due", str(afternoon.pk): "later"}
    assert "07:00–08:00" in html and "15:30–17:00" in html
    assert str(city.post_a1) in html
    # One check-in button, for the window open now (from 15 minutes before it).
    assert html.count('data-duty-checkin data-method="gps"') == 1
    assert f'data-testid="checkin-{city.post_a1.pk}"' in html
    assert "15:15" in html  # when the afternoon's check-in opens
    config = config_of(html)
    assert config["user"] == city.users["volunteer"].pk
    assert config["checkin_url"] == "/api/v1/checkins/"
    assert config["strings"]["queued"] == zh(
        "Saved on this phone; it will be sent when you are online (%(n)s waiting)."
    )
    assert config["strings"]["flags"]["outside"] == zh("outside the area")


def test_a_checked_in_shift_shows_the_time_and_its_flags_in_words(city, login, at) -> None:
    shift = make_shift(city.post_a1)
    rostered(city, shift)
    moment = at(7, 10)
    far = Position(city.post_a1.latitude + Decimal("0.009"), city.post_a1.longitude, 10.0)
    checkin = check_in(
        actor=None, person=city.person_a1, post=city.post_a1, method="gps", position=far, now=moment
    )
    assert checkin.is_late and checkin.is_outside
    html = login("volunteer").get(TODAY).content.decode()
    assert cards(html) == {str(shift.pk): "open"}
    assert 'data-flag="late"' in html and 'data-flag="outside"' in html
    assert zh("outside the area") in html and zh("late") in html
    assert 'data-flag="walkin"' not in html
    assert "07:10" in html
    assert f'data-duty-checkout="{checkin.pk}"' in html
    assert "data-duty-checkin " not in html.split("data-duty-live", 1)[1]


def test_a_checked_out_shift_offers_nothing_more(city, login, at) -> None:
    shift = make_shift(city.post_a1)
    rostered(city, shift)
    moment = at(7, 0)
    checkin = check_in(
        actor=None,
        person=city.person_a1,
        post=city.post_a1,
        method="qr",
        now=moment - dt.timedelta(minutes=5),
    )
    check_out(actor=None, checkin=checkin, now=moment + dt.timedelta(minutes=50))
    at(7, 55)
    html = login("volunteer").get(TODAY).content.decode()
    assert cards(html) == {str(shift.pk): "closed"}
    assert "06:55" in html and "07:50" in html
    assert "data-duty-checkout=" not in html


def test_a_missed_window_says_so(city, login, at) -> None:
    rostered(city, make_shift(city.post_a1))
    at(9, 0)
    html = login("volunteer").get(TODAY).content.decode()
    assert list(cards(html).values()) == ["missed"]
    assert 'data-duty-checkin data-method="gps"' not in html


def test_walk_ins_are_offered_at_posts_of_the_members_school_with_a_window_now(
    city, login, at
) -> None:
    north = post_create(
        actor=None,
        school=city.school_a1,
        name="北门",
        latitude=city.school_a1.latitude,
        longitude=city.school_a1.longitude,
        windows=parse_windows("07:00-08:00"),
        requirements={"volunteer": 2},
    )
    mine = make_shift(city.post_a1)
    rostered(city, mine)
    walk_in = make_shift(north)
    make_shift(city.post_b1)  # another school: never offered
    make_shift(north, start=dt.time(15, 30), end=dt.time(17))  # not open now
    at(7, 5)
    html = login("volunteer").get(TODAY).content.decode()
    walkins = html.split('data-testid="duty-walkins"', 1)[1]
    assert f'data-shift="{walk_in.pk}" data-state="due"' in walkins
    assert f'data-testid="checkin-{north.pk}"' in walkins
    assert f'data-testid="checkin-{city.post_b1.pk}"' not in html
    assert f'data-shift="{mine.pk}"' not in walkins  # their own shift is above, not a walk-in
    assert html.count(f'data-testid="checkin-{city.post_a1.pk}"') == 1


def test_walk_ins_are_not_offered_where_the_city_refuses_them(city, login, at) -> None:
    DutyRules.objects.create(region=city.city, walkins=DutyRules.Mode.REFUSE)
    make_shift(city.post_a1)
    at(7, 5)
    html = login("volunteer").get(TODAY).content.decode()
    assert 'data-testid="duty-walkins"' not in html
    assert 'data-testid="duty-no-shifts"' in html


def test_an_open_check_in_blocks_other_check_ins_until_checked_out(city, login, at) -> None:
    north = post_create(
        actor=None,
        school=city.school_a1,
        name="北门",
        latitude=city.school_a1.latitude,
        longitude=city.school_a1.longitude,
        windows=parse_windows("07:00-08:00"),
        requirements={"volunteer": 2},
    )
    make_shift(north)
    mine = make_shift(city.post_a1)
    rostered(city, mine)
    moment = at(7, 0)
    check_in(actor=None, person=city.person_a1, post=north, method="qr", now=moment)
    html = login("volunteer").get(TODAY).content.decode()
    states = cards(html)
    assert states[str(mine.pk)] == "due"
    assert list(states.values()).count("open") == 1  # the walk-in at the north gate
    assert 'data-duty-checkin data-method="gps"' not in html
    assert zh("Check out") in html


def test_a_member_without_a_linked_record_gets_a_clear_page(city, client) -> None:
    loner = make_user("loner", Role.MEMBER, unit=city.school_a1.unit)
    client.force_login(loner)
    response = client.get(TODAY)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="duty-unlinked"' in html
    assert zh("Your account is not linked to a member record.") in html
    assert "duty-config" not in html


def test_the_today_page_needs_a_sign_in(client, city) -> None:
    response = client.get(TODAY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_today_page_reads_in_a_constant_number_of_queries(city, login, at) -> None:
    rostered(city, make_shift(city.post_a1))
    moment = at(7, 5)
    client = login("volunteer")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TODAY).status_code == 200
        return len(queries)

    few = count()
    for hour in (8, 9, 10, 15):
        rostered(city, make_shift(city.post_a1, start=dt.time(hour), end=dt.time(hour, 50)))
    for n in range(3):
        gate = post_create(
            actor=None,
            school=city.school_a1,
            name=f"侧门{n}",
            latitude=city.school_a1.latitude,
            longitude=city.school_a1.longitude,
            windows=parse_windows("07:00-08:00"),
            requirements={"volunteer": 1},
        )
        make_shift(gate)
    check_in(actor=None, person=city.person_a1, post=city.post_a1, method="qr", now=moment)
    many = count()
    assert many == few
    # 12 for the page itself, and one for the unread count beside 消息 in the navigation.
    assert many <= 13


# --- the QR poster --------------------------------------------------------------------------


def test_a_scanned_poster_sends_an_anonymous_visitor_to_sign_in_and_back(client, city) -> None:
    url = reverse("posts:qr_landing", args=[city.post_a1.qr_token])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_a_scanned_poster_asks_a_member_to_confirm_the_check_in(city, login, at) -> None:
    shift = make_shift(city.post_a1)
    rostered(city, shift)
    at(6, 58)
    url = reverse("posts:qr_landing", args=[city.post_a1.qr_token])
    html = login("volunteer").get(url).content.decode()
    assert "07:00–08:00" in html
    assert f'data-qr="{city.post_a1.qr_token}"' in html
    assert 'data-method="qr"' in html and 'data-testid="duty-confirm"' in html
    assert zh("Confirm check-in") in html
    assert config_of(html)["user"] == city.users["volunteer"].pk


def test_a_scanned_poster_shows_an_existing_check_in_instead_of_a_second_one(
    city, login, at
) -> None:
    shift = make_shift(city.post_a1)
    moment = at(7, 2)
    checkin = check_in(
        actor=None, person=city.person_a1, post=city.post_a1, method="qr", now=moment
    )
    url = reverse("posts:qr_landing", args=[city.post_a1.qr_token])
    html = login("volunteer").get(url).content.decode()
    assert cards(html) == {str(shift.pk): "open"}
    assert 'data-flag="walkin"' in html
    assert 'data-testid="duty-confirm"' not in html
    assert f'data-duty-checkout="{checkin.pk}"' in html


def test_a_scanned_poster_outside_any_window_says_when_check_in_opens(city, login, at) -> None:
    make_shift(city.post_a1, start=dt.time(15, 30), end=dt.time(17))
    at(12, 0)
    url = reverse("posts:qr_landing", args=[city.post_a1.qr_token])
    html = login("volunteer").get(url).content.decode()
    assert zh("There is no duty window at this post now.") in html
    assert "15:15" in html


def test_a_scanned_poster_tells_an_unlinked_account_so(city, client) -> None:
    client.force_login(city.users["school_lead"])
    url = reverse("posts:qr_landing", args=[city.post_a1.qr_token])
    html = client.get(url).content.decode()
    assert 'data-testid="duty-unlinked"' in html
    assert "duty-confirm" not in html


def test_an_unknown_or_retired_poster_is_not_found(city, login) -> None:
    client = login("volunteer")
    assert client.get(reverse("posts:qr_landing", args=["nosuchtoken"])).status_code == 404
    city.post_a1.voided_at = timezone.now()
    city.post_a1.save(update_fields=["voided_at"])
    url = reverse("posts:qr_landing", args=[city.post_a1.qr_token])
    assert client.get(url).status_code == 404
    assert CheckIn.objects.count() == 0


# --- the service worker ----------------------------------------------------------------------


def test_the_service_worker_may_control_the_site_and_keeps_only_the_app_shell(client) -> None:
    response = client.get(reverse("duty:sw"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    found = re.search(r"const CONFIG = (\{.*?\});", body)
    assert found, "the worker carries no CONFIG"
    config = json.loads(found.group(1))
    assert config["shell"] == [
        "/duty/",
        "/static/huxue/huxue.css",
        "/static/huxue/duty.js",
        "/static/vendor/htmx.min.js",
    ]
    assert config["today_url"] == "/duty/" and config["qr_prefix"] == "/q/"
    assert "/api/" not in body
    assert re.fullmatch(r"[0-9a-f]{12}", config["version"])


# --- my shifts --------------------------------------------------------------------------------


def test_my_shifts_links_to_the_today_page_when_a_shift_is_today(city, login) -> None:
    # {% now %} reads the real clock, so this test uses real time.
    client = login("volunteer")
    url = reverse("roster:my_shifts")
    assert 'data-testid="duty-today-link"' not in client.get(url).content.decode()
    now = timezone.now()
    local = timezone.localtime(now)
    shift = Shift.objects.create(
        post=city.post_a1,
        day=local.date(),
        start=local.time().replace(second=0, microsecond=0),
        end=dt.time(23, 59),
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=1),
        requirements={"volunteer": 2},
    )
    rostered(city, shift)
    html = client.get(url).content.decode()
    assert html.count('data-testid="duty-today-link"') == 1


def test_a_scanned_poster_asks_to_check_out_first_while_on_duty_elsewhere(city, login, at) -> None:
    north = post_create(
        actor=None,
        school=city.school_a1,
        name="北门",
        latitude=city.school_a1.latitude,
        longitude=city.school_a1.longitude,
        windows=parse_windows("07:00-08:00"),
        requirements={"volunteer": 2},
    )
    make_shift(north)
    make_shift(city.post_a1)
    moment = at(7, 0)
    there = check_in(actor=None, person=city.person_a1, post=north, method="qr", now=moment)
    url = reverse("posts:qr_landing", args=[city.post_a1.qr_token])
    html = login("volunteer").get(url).content.decode()
    assert 'data-testid="duty-busy"' in html
    assert f'data-duty-checkout="{there.pk}"' in html
    assert 'data-testid="duty-confirm"' not in html
