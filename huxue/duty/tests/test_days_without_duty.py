"""On a day without duty at a post (a weekend, a public holiday, the school holidays, a closure)
the check-in is refused with the calendar's reason, and the QR poster's page and the member's
day page say so, with no check-in button. The calendar decides (``huxue.calendar.days_off``)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from huxue.calendar.services import closure_create, closure_void
from huxue.duty.checkin.services import CheckInRefused, check_in
from huxue.duty.models import CheckIn
from huxue.roster.models import Assignment, Shift
from huxue.roster.services import shifts_generate
from huxue.testing import City, local_at, make_shift, make_term

SATURDAY, SUNDAY, MONDAY = dt.date(2026, 12, 5), dt.date(2026, 12, 6), dt.date(2026, 12, 7)
NATIONAL_DAY = dt.date(2026, 10, 1)
MAKE_UP_SATURDAY = dt.date(2026, 10, 10)
SUMMER = dt.date(2026, 8, 26)
TODAY = reverse("duty:today")

SATURDAY_AT_POST = "今天是周六，本岗点无值守。"
CLOSED_AT_POST = "今天市第六小学停课（考试），本岗点无值守。"


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """at(day, hh, mm) freezes the clock then."""

    def freeze(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
        moment = local_at(day, hh, mm)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


@pytest.fixture
def term(city: City):
    return make_term(city)


def rostered(city: City, shift: Shift) -> Assignment:
    return Assignment.objects.create(
        published=True,
        shift=shift,
        person=city.person_a1,
        group=city.person_a1.force_group,
        source="manual",
    )


def api_check_in(client, city: City, **body):
    """By the post's QR poster, unless the body says otherwise."""
    return client.post(
        "/api/v1/checkins/",
        body or {"qr": city.post_a1.qr_token, "method": "qr"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


def refusal(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["reason"], body["non_field_errors"][0]


# --- the check-in service refuses, in words -----------------------------------------------------


def test_a_saturday_check_in_is_refused_naming_the_day(city: City, term, login, at) -> None:
    """The week's shifts are made; on Saturday the post's next window is Monday's."""
    shifts_generate(actor=None, posts=[city.post_a1], start=SATURDAY, end=MONDAY)
    assert Shift.objects.filter(post=city.post_a1, day=SATURDAY).count() == 0
    at(SATURDAY, 7, 5)
    client = login("volunteer")
    assert refusal(api_check_in(client, city)) == (422, "no_duty_day", SATURDAY_AT_POST)
    by_gps = api_check_in(
        client,
        city,
        post=city.post_a1.pk,
        method="gps",
        latitude=str(city.post_a1.latitude),
        longitude=str(city.post_a1.longitude),
    )
    assert refusal(by_gps) == (422, "no_duty_day", SATURDAY_AT_POST)
    assert not CheckIn.objects.exists()


def test_a_sunday_without_any_shift_to_come_is_refused_too(city: City, term, login, at) -> None:
    at(SUNDAY, 7, 5)
    response = api_check_in(login("volunteer"), city)
    assert refusal(response) == (422, "no_duty_day", "今天是周日，本岗点无值守。")


def test_the_refusal_speaks_the_members_language(city: City, term, login, at) -> None:
    at(NATIONAL_DAY, 7, 5)
    client = login("volunteer")
    assert refusal(api_check_in(client, city))[2] == "今天是国庆节假期，本岗点无值守。"
    english = client.post(
        "/api/v1/checkins/",
        {"qr": city.post_a1.qr_token, "method": "qr"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refusal(english) == (
        422,
        "no_duty_day",
        "Today is National Day, a public holiday: no duty at this post.",
    )


def test_the_school_holidays_are_refused(city: City, term, login, at) -> None:
    at(SUMMER, 7, 5)
    assert refusal(api_check_in(login("volunteer"), city)) == (
        422,
        "no_duty_day",
        "今天是学校假期（不在学期内），本岗点无值守。",
    )


def test_a_closure_entered_after_the_roster_refuses_check_in_and_roll_call(
    city: City, term, login, at
) -> None:
    shift = make_shift(city.post_a1, day=MONDAY)
    rostered(city, shift)
    closure = closure_create(
        actor=None, school=city.school_a1, start=MONDAY, end=MONDAY, reason="exam"
    )
    at(MONDAY, 7, 5)
    assert refusal(api_check_in(login("volunteer"), city)) == (422, "no_duty_day", CLOSED_AT_POST)
    lead = login("school_lead")
    page = lead.post(
        reverse("duty:shift_rollcall", args=[shift.pk]),
        {"person": city.person_a1.pk, "present": "1"},
        follow=True,
    )
    assert CLOSED_AT_POST in page.content.decode()
    assert not CheckIn.objects.exists()
    # The closure voided, the day has duty again.
    closure_void(actor=None, closure=closure, reason="考试改期")
    assert api_check_in(login("volunteer"), city).status_code == 201


def test_a_make_up_saturday_has_duty_as_the_calendar_says(city: City, term, login, at) -> None:
    """2026-10-10 is a Saturday worked in place of a National Day holiday: the roster makes its
    shifts and the check-in is accepted, as on a weekday."""
    shifts_generate(actor=None, posts=[city.post_a1], start=MAKE_UP_SATURDAY, end=MAKE_UP_SATURDAY)
    assert Shift.objects.filter(post=city.post_a1, day=MAKE_UP_SATURDAY).exists()
    at(MAKE_UP_SATURDAY, 7, 5)
    response = api_check_in(login("volunteer"), city)
    assert response.status_code == 201, response.json()


def test_a_school_day_without_a_roster_is_no_window_not_a_day_off(
    city: City, term, login, at
) -> None:
    at(MONDAY, 7, 5)
    status, reason, _message = refusal(api_check_in(login("volunteer"), city))
    assert (status, reason) == (422, "no_window")


def test_after_the_days_last_window_it_is_too_early_for_tomorrow(
    city: City, term, login, at
) -> None:
    make_shift(city.post_a1, day=MONDAY)
    make_shift(city.post_a1, day=MONDAY + dt.timedelta(days=1))
    at(MONDAY, 18, 0)
    status, reason, _message = refusal(api_check_in(login("volunteer"), city))
    assert (status, reason) == (422, "too_early")


def test_a_delayed_check_in_for_another_day_names_that_day(city: City, term) -> None:
    """Sent on Monday from a phone that was offline on Sunday: refused for Sunday, by date."""
    make_shift(city.post_a1, day=MONDAY)
    with pytest.raises(CheckInRefused) as refused:
        check_in(
            actor=None,
            person=city.person_a1,
            post=city.post_a1,
            method="qr",
            device_at=local_at(SUNDAY, 17, 0),
            now=local_at(MONDAY, 6, 0),
        )
    assert refused.value.reason == "no_duty_day"
    assert "2026-12-06" in refused.value.messages[0]


# --- the QR poster's page ------------------------------------------------------------------------


def test_the_qr_page_on_a_saturday_says_so_and_offers_no_check_in(
    city: City, term, login, at
) -> None:
    make_shift(city.post_a1, day=MONDAY)
    at(SATURDAY, 7, 5)
    client = login("volunteer")
    url = reverse("posts:qr_landing", args=[city.post_a1.qr_token])
    html = client.get(url).content.decode()
    assert 'data-testid="duty-day-off"' in html and SATURDAY_AT_POST in html
    assert (
        'data-testid="duty-confirm"' not in html
        and "data-duty-checkin" not in html.split("data-duty-live")[1]
    )
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Today is Saturday: no duty at this post." in english


def test_the_qr_page_on_a_closure_day_with_shifts_offers_no_check_in(
    city: City, term, login, at
) -> None:
    rostered(city, make_shift(city.post_a1, day=MONDAY))
    closure_create(actor=None, school=city.school_a1, start=MONDAY, end=MONDAY, reason="exam")
    at(MONDAY, 7, 5)
    html = (
        login("volunteer")
        .get(reverse("posts:qr_landing", args=[city.post_a1.qr_token]))
        .content.decode()
    )
    assert CLOSED_AT_POST in html
    assert 'data-testid="duty-confirm"' not in html


def test_the_qr_page_on_a_school_day_still_offers_the_check_in(city: City, term, login, at) -> None:
    make_shift(city.post_a1, day=MONDAY)
    at(MONDAY, 7, 5)
    html = (
        login("volunteer")
        .get(reverse("posts:qr_landing", args=[city.post_a1.qr_token]))
        .content.decode()
    )
    assert 'data-testid="duty-confirm"' in html and 'data-testid="duty-day-off"' not in html


# --- the member's day page ------------------------------------------------------------------------


def test_the_day_page_on_a_saturday_names_the_day_and_the_school(
    city: City, term, login, at
) -> None:
    rostered(city, make_shift(city.post_a1, day=MONDAY))
    at(SATURDAY, 9, 0)
    client = login("volunteer")
    html = client.get(TODAY).content.decode()
    assert 'data-testid="duty-day-off"' in html
    assert "今天是周六，市第六小学无值守。" in html
    assert "data-duty-checkin" not in html.split("data-duty-live")[1]
    english = client.get(TODAY, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Today is Saturday: no duty at 市第六小学." in english


def test_the_day_page_on_a_closure_day_shows_the_shift_without_a_check_in(
    city: City, term, login, at
) -> None:
    shift = make_shift(city.post_a1, day=MONDAY)
    rostered(city, shift)
    closure_create(actor=None, school=city.school_a1, start=MONDAY, end=MONDAY, reason="exam")
    at(MONDAY, 7, 5)
    html = login("volunteer").get(TODAY).content.decode()
    assert f'data-shift="{shift.pk}"' in html
    assert CLOSED_AT_POST in html
    assert f'data-testid="checkin-{city.post_a1.pk}"' not in html
    assert 'data-testid="duty-walkins"' not in html


def test_the_day_page_offers_no_walk_in_at_a_closed_school(city: City, term, login, at) -> None:
    make_shift(city.post_a1, day=MONDAY)  # nobody rostered: a walk-in post
    at(MONDAY, 7, 5)
    client = login("volunteer")
    assert 'data-testid="duty-walkins"' in client.get(TODAY).content.decode()
    closure_create(actor=None, school=city.school_a1, start=MONDAY, end=MONDAY, reason="exam")
    html = client.get(TODAY).content.decode()
    assert 'data-testid="duty-walkins"' not in html
    assert "今天市第六小学停课（考试），无值守。" in html


def test_the_day_page_on_a_school_day_says_nothing_of_the_kind(city: City, term, login, at) -> None:
    rostered(city, make_shift(city.post_a1, day=MONDAY))
    at(MONDAY, 7, 5)
    html = login("volunteer").get(TODAY).content.decode()
    assert 'data-testid="duty-day-off"' not in html
    assert f'data-testid="checkin-{city.post_a1.pk}"' in html
