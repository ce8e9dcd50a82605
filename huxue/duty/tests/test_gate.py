"""The rules a check-in is judged by, each with one home: the window a moment falls in
(``Shift.objects.window_at``), a live post (``Post.objects.live``), on duty elsewhere
(``services.still_on_duty_elsewhere``), and roll call on the shift it names."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from huxue.duty.checkin.gate import gate_read
from huxue.duty.checkin.services import CheckInRefused, check_in, still_on_duty_elsewhere
from huxue.duty.models import CheckIn
from huxue.posts.models import Post
from huxue.roster.models import Assignment, Shift
from huxue.testing import ROSTER_MONDAY, City, local_at, make_shift


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    def freeze(hh: int, mm: int = 0) -> dt.datetime:
        moment = local_at(ROSTER_MONDAY, hh, mm)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def two_windows(city: City) -> tuple[Shift, Shift]:
    early = make_shift(city.post_a1, start=dt.time(7), end=dt.time(8))
    late = make_shift(city.post_a1, start=dt.time(8), end=dt.time(9))
    return early, late


def test_roll_call_records_against_the_shift_it_names(city: City, login, at) -> None:
    """Two windows at one post, 07:00–08:00 and 08:00–09:00; at 07:50 the lead takes roll call
    on the 08:00 shift, for a member rostered there: the check-in is that shift's, on time."""
    early, late = two_windows(city)
    person = city.person_a1
    Assignment.objects.create(
        published=True, shift=late, person=person, group=person.force_group, source="manual"
    )
    at(7, 50)
    response = login("school_lead").post(
        f"/api/v1/shifts/{late.pk}/rollcall/",
        {"person": person.pk, "present": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["shift"] == late.pk and body["window"] == "08:00–09:00"
    assert body["flags"] == []
    row = CheckIn.objects.get()
    assert row.shift == late and row.assignment is not None and not row.is_walkin
    # The 07:00 shift is untouched; roll call there too is its own check-in.
    assert not CheckIn.objects.filter(shift=early).exists()


def test_the_window_at_a_moment_is_the_posts_first_shift_not_over(city: City, login, at) -> None:
    early, late = two_windows(city)
    cancelled = make_shift(city.post_a1, start=dt.time(6), end=dt.time(7, 30))
    Shift.objects.filter(pk=cancelled.pk).update(cancelled_at=timezone.now())
    posts = Shift.objects.filter(post=city.post_a1)
    assert posts.window_at(local_at(ROSTER_MONDAY, 6, 0)).first() == early  # before it opens
    assert posts.window_at(local_at(ROSTER_MONDAY, 7, 30)).first() == early
    assert posts.window_at(local_at(ROSTER_MONDAY, 8, 0)).first() == early  # its last moment
    assert posts.window_at(local_at(ROSTER_MONDAY, 8, 1)).first() == late
    assert posts.window_at(local_at(ROSTER_MONDAY, 9, 1)).first() is None

    # The check-in and the QR page read the same window: before it opens (15 minutes early
    # by default) the check-in is refused as too early and the page says when it opens.
    qr = reverse("posts:qr_landing", args=[city.post_a1.qr_token])
    at(6, 40)
    page = login("volunteer").get(qr)
    assert page.context["shift"] is None and page.context["next_opens"] == "06:45"
    with pytest.raises(CheckInRefused) as refused:
        check_in(actor=None, person=city.person_a1, post=city.post_a1, method=CheckIn.Method.QR)
    assert refused.value.reason == "too_early"
    at(6, 50)
    assert login("volunteer").get(qr).context["shift"] == early
    made = check_in(actor=None, person=city.person_a1, post=city.post_a1, method=CheckIn.Method.QR)
    assert made.shift == early


def test_a_live_post_is_one_whose_post_and_school_are_in_use(city: City, login, at) -> None:
    make_shift(city.post_a1)
    at(6, 55)
    assert city.post_a1 in Post.objects.live()
    city.school_a1.voided_at = timezone.now()
    city.school_a1.save(update_fields=["voided_at"])
    assert city.post_a1 not in Post.objects.live()
    # The check-in, the QR poster and the board all go by it.
    response = login("volunteer").post(
        "/api/v1/checkins/",
        {"post": city.post_a1.pk, "method": "qr"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 422 and response.json()["reason"] == "post_void"
    assert (
        login("volunteer")
        .get(reverse("posts:qr_landing", args=[city.post_a1.qr_token]))
        .status_code
        == 404
    )
    board = login("station_officer").get("/api/v1/board/").json()
    assert city.post_a1.pk not in [row["post"] for row in board["posts"]]


def test_on_duty_elsewhere_blocks_a_check_in_until_that_window_ends(city: City, login, at) -> None:
    here = make_shift(city.post_a1, start=dt.time(7), end=dt.time(8))
    there = make_shift(city.post_b1, start=dt.time(7, 30), end=dt.time(9))
    person = city.person_a1
    at(6, 55)
    first = check_in(actor=None, person=person, post=city.post_a1, method=CheckIn.Method.QR)
    first.shift = here
    now = local_at(ROSTER_MONDAY, 7, 40)
    assert still_on_duty_elsewhere(first, shift_id=there.pk, now=now)
    assert not still_on_duty_elsewhere(first, shift_id=here.pk, now=now)
    assert not still_on_duty_elsewhere(first, shift_id=there.pk, now=here.ends_at)
    assert not still_on_duty_elsewhere(None, shift_id=there.pk, now=now)
    # The service refuses, and the QR page asks to check out first.
    at(7, 40)
    with pytest.raises(CheckInRefused) as refused:
        check_in(actor=None, person=person, post=city.post_b1, method=CheckIn.Method.QR)
    assert refused.value.reason == "open_elsewhere"
    page = login("volunteer").get(reverse("posts:qr_landing", args=[city.post_b1.qr_token]))
    assert page.context["open_checkin"] == first
    # Once that window is over the next check-in closes it (audited) and goes through.
    at(8, 10)
    second = check_in(actor=None, person=person, post=city.post_b1, method=CheckIn.Method.QR)
    first.refresh_from_db()
    assert first.checkout_method == CheckIn.Checkout.AUTO and second.shift == there


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_on_postgresql_a_connection_prepares_the_gate_read_it_runs_often(city: City, at) -> None:
    """Django's server_side_binding and psycopg's prepare_threshold (config/settings.py): after a
    few check-ins the gate read is a prepared statement of the connection, planned once."""
    early, _late = two_windows(city)
    moment = at(7, 5)

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%member_assignment%"],
            )
            return cursor.fetchone()[0]

    before = prepared()
    for _ in range(6):
        gate = gate_read(actor=None, member=city.person_a1, at=moment, post_id=city.post_a1.pk)
        assert gate is not None and gate.shift == early
    assert prepared() == before + 1
