"""Checking out: the member is asked first (a dialog on the page, or a page of its own without
JavaScript), a check-out within ``rules.SHORT_DUTY`` of the check-in is flagged for the lead,
and roll call shows a member who has checked out as checked out, with the times."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from huxue.duty.checkin.rules import SHORT_DUTY, is_short_duty
from huxue.duty.checkin.services import check_in, check_out, close_stale, rollcall_mark
from huxue.duty.models import CheckIn
from huxue.roster.models import Assignment, Shift
from huxue.testing import ROSTER_MONDAY, City, local_at, make_shift

TODAY = reverse("duty:today")
SHORT = "签到后随即签退"


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


@pytest.fixture
def shift(city: City) -> Shift:
    """07:00–08:00 at 市第六小学's south gate on ROSTER_MONDAY, with 李红 on the roster."""
    shift = make_shift(city.post_a1)
    Assignment.objects.create(
        published=True,
        shift=shift,
        person=city.person_a1,
        group=city.person_a1.force_group,
        source="manual",
    )
    return shift


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """at(hh, mm, ss) freezes the clock at that time on ROSTER_MONDAY."""

    def freeze(hh: int, mm: int = 0, ss: int = 0) -> dt.datetime:
        moment = local_at(ROSTER_MONDAY, hh, mm) + dt.timedelta(seconds=ss)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def checked_in_at(city: City, hh: int, mm: int) -> CheckIn:
    return check_in(
        actor=None,
        person=city.person_a1,
        post=city.post_a1,
        method="qr",
        now=local_at(ROSTER_MONDAY, hh, mm),
    )


# --- the rule ---------------------------------------------------------------------------------


def test_the_rule_is_less_than_five_minutes() -> None:
    start = local_at(ROSTER_MONDAY, 7, 0)
    assert dt.timedelta(minutes=5) == SHORT_DUTY
    assert is_short_duty(start, start)
    assert is_short_duty(start, start + SHORT_DUTY - dt.timedelta(seconds=1))
    assert not is_short_duty(start, start + SHORT_DUTY)
    assert not is_short_duty(start, start + dt.timedelta(hours=1))


# --- the service ------------------------------------------------------------------------------


def test_a_check_out_four_minutes_after_the_check_in_is_flagged(city: City, shift) -> None:
    checkin = checked_in_at(city, 7, 0)
    assert not checkin.is_short
    closed = check_out(
        actor=city.users["volunteer"],
        checkin=checkin,
        now=local_at(ROSTER_MONDAY, 7, 4) + dt.timedelta(seconds=59),
    )
    assert closed.is_short
    assert CheckIn.objects.get().is_short  # written, not only set


def test_a_check_out_five_minutes_after_the_check_in_is_not(city: City, shift) -> None:
    checkin = checked_in_at(city, 7, 0)
    check_out(actor=None, checkin=checkin, now=local_at(ROSTER_MONDAY, 7, 5))
    assert not CheckIn.objects.get().is_short


def test_a_lead_marking_a_member_gone_at_once_is_flagged_too(city: City, shift, at) -> None:
    at(7, 10)
    lead = city.users["school_lead"]
    rollcall_mark(actor=lead, shift=shift, person=city.person_a1, present=True)
    at(7, 12)
    rollcall_mark(actor=lead, shift=shift, person=city.person_a1, present=False)
    row = CheckIn.objects.get()
    assert row.checkout_method == "rollcall" and row.is_short


def test_a_check_in_closed_by_the_system_is_never_flagged(city: City, shift) -> None:
    """Checked in at 07:58 and left open: closed at the window's end, two minutes later, by the
    system; nobody checked out in haste."""
    checked_in_at(city, 7, 58)
    assert close_stale(now=local_at(ROSTER_MONDAY, 9, 0)) == 1
    row = CheckIn.objects.get()
    assert row.checkout_method == "auto" and row.checked_out_at == local_at(ROSTER_MONDAY, 8, 0)
    assert not row.is_short


def test_a_check_in_closed_by_the_next_one_is_never_flagged(city: City, shift) -> None:
    checked_in_at(city, 7, 58)
    later = make_shift(city.post_a1, start=dt.time(8, 1), end=dt.time(9, 0))
    check_in(
        actor=None,
        person=city.person_a1,
        post=city.post_a1,
        method="qr",
        now=local_at(ROSTER_MONDAY, 8, 1),
    )
    first = CheckIn.objects.exclude(shift=later).get()
    assert first.checkout_method == "auto" and not first.is_short


# --- the API -----------------------------------------------------------------------------------


def test_the_api_answers_the_short_flag_with_the_check_out_and_in_the_list(
    city: City, shift, login, at
) -> None:
    client = login("volunteer")
    at(7, 0)
    body = {"post": city.post_a1.pk, "method": "qr"}
    key = str(uuid.uuid4())
    made = client.post(
        "/api/v1/checkins/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert made.status_code == 201 and made.json()["flags"] == []
    pk = made.json()["id"]
    at(7, 3)
    out = client.post(
        f"/api/v1/checkins/{pk}/checkout/",
        {},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert out.status_code == 200 and out.json()["flags"] == ["short"]
    listed = client.get("/api/v1/checkins/").json()["results"]
    assert [row["flags"] for row in listed] == [["short"]]
    # A retry of the check-in gets the answer it had when made: no check-out, no flag.
    again = client.post(
        "/api/v1/checkins/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert again.status_code == 201 and again.json()["flags"] == []


def test_a_check_out_later_in_the_window_carries_no_flag(city: City, shift, login, at) -> None:
    client = login("volunteer")
    checkin = checked_in_at(city, 7, 0)
    at(7, 45)
    out = client.post(
        f"/api/v1/checkins/{checkin.pk}/checkout/",
        {},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert out.status_code == 200 and out.json()["flags"] == []


# --- the member's pages: asked first -------------------------------------------------------


def test_the_check_out_button_asks_first_with_or_without_javascript(
    city: City, shift, login, at
) -> None:
    """The button sits in a form that opens the confirmation page (no JavaScript), and the page
    carries the dialog duty.js opens instead, with the words it needs."""
    checkin = checked_in_at(city, 7, 0)
    at(7, 2)
    html = login("volunteer").get(TODAY).content.decode()
    confirm = reverse("duty:checkout", args=[checkin.pk])
    form = re.search(rf'<form method="get" action="{confirm}"[^>]*>\s*<button[^>]*>', html)
    assert form, "the check-out button is not a form to its confirmation page"
    assert f'data-duty-checkout="{checkin.pk}"' in form.group(0)
    assert 'data-since-hm="07:00"' in form.group(0)
    assert 'data-testid="duty-confirm-checkout"' in html and "<dialog" in html
    assert zh("Check out now?") in html and zh("Yes, check out") in html
    assert CheckIn.objects.get().is_open  # showing the page changed nothing


def test_the_confirmation_page_asks_and_warns_within_the_minutes(
    city: City, shift, login, at
) -> None:
    checkin = checked_in_at(city, 7, 0)
    client = login("volunteer")
    at(7, 3)
    response = client.get(reverse("duty:checkout", args=[checkin.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert zh("Check out now?") in html
    assert "市第六小学 · 南门" in html and "07:00–08:00" in html
    assert "您于 07:00 签到" in html
    assert 'data-testid="duty-short-warning"' in html
    assert "您签到还不到 5 分钟" in html
    assert CheckIn.objects.get().is_open
    at(7, 30)
    calm = client.get(reverse("duty:checkout", args=[checkin.pk])).content.decode()
    assert 'data-testid="duty-short-warning"' not in calm


def test_confirming_on_the_page_checks_out_and_goes_back_to_the_day(
    city: City, shift, login, at
) -> None:
    checkin = checked_in_at(city, 7, 0)
    client = login("volunteer")
    at(7, 2)
    response = client.post(reverse("duty:checkout", args=[checkin.pk]), follow=True)
    assert response.redirect_chain == [(TODAY, 302)]
    row = CheckIn.objects.get()
    assert row.checked_out_at == local_at(ROSTER_MONDAY, 7, 2)
    assert row.checkout_method == "self" and row.is_short
    html = response.content.decode()
    assert "07:02 已签退：市第六小学 · 南门。" in html
    assert 'data-state="closed"' in html
    # Asked again (a second tap, the back button): it is closed; back to the day, nothing else.
    again = client.get(reverse("duty:checkout", args=[checkin.pk]), follow=True)
    assert again.redirect_chain == [(TODAY, 302)]
    assert zh("This check-in is already closed.") in again.content.decode()
    posted = client.post(reverse("duty:checkout", args=[checkin.pk]), follow=True)
    assert zh("This check-in is already closed.") in posted.content.decode()
    assert CheckIn.objects.get().checked_out_at == local_at(ROSTER_MONDAY, 7, 2)


@pytest.mark.parametrize("name", ["school_lead", "station_officer", "other_lead", "stranger"])
def test_nobody_else_checks_a_member_out_on_this_page(
    city: City, shift, login, at, name: str
) -> None:
    checkin = checked_in_at(city, 7, 0)
    at(7, 10)
    client = login(name)
    url = reverse("duty:checkout", args=[checkin.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert CheckIn.objects.get().is_open


def test_the_confirmation_page_needs_a_sign_in(client, city: City, shift) -> None:
    checkin = checked_in_at(city, 7, 0)
    response = client.post(reverse("duty:checkout", args=[checkin.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert CheckIn.objects.get().is_open


# --- the lead: roll call and the records ------------------------------------------------------


def test_roll_call_shows_a_member_who_checked_out_as_checked_out_with_the_times(
    city: City, shift, login, at
) -> None:
    checkin = checked_in_at(city, 7, 0)
    check_out(actor=None, checkin=checkin, now=local_at(ROSTER_MONDAY, 7, 3))
    at(7, 20)  # the window is still running
    response = login("school_lead").get(reverse("duty:shift", args=[shift.pk]))
    assert response.status_code == 200
    row = re.search(
        rf'<tr data-testid="rostered-{city.person_a1.pk}">.*?</tr>', response.content.decode(), re.S
    )
    assert row, "the member is not in the roll call"
    assert "已签退 · 07:00–07:03" in row.group(0)
    assert SHORT in row.group(0)
    assert "起在岗" not in row.group(0)  # not "on duty since"
    assert "left-" not in row.group(0) and "present-" not in row.group(0)
    volunteers = {n["group"]: n for n in response.context["needs"]}["volunteer"]
    assert volunteers["on_duty"] == 0


def test_roll_call_shows_no_flag_for_a_member_still_on_duty(city: City, shift, login, at) -> None:
    checked_in_at(city, 7, 0)
    at(7, 2)
    html = login("school_lead").get(reverse("duty:shift", args=[shift.pk])).content.decode()
    assert "07:00 起在岗" in html and SHORT not in html


def test_the_records_list_shows_the_flag(city: City, shift, login) -> None:
    checkin = checked_in_at(city, 7, 0)
    check_out(actor=None, checkin=checkin, now=local_at(ROSTER_MONDAY, 7, 1))
    day = ROSTER_MONDAY.isoformat()
    response = login("school_lead").get("/duty/checkins/", {"from": day, "to": day})
    assert response.status_code == 200
    row = re.search(rf'<tr data-checkin="{checkin.pk}">.*?</tr>', response.content.decode(), re.S)
    assert row and SHORT in row.group(0)
