"""The dispatcher sends each due message once, retries failures with a back-off, gives up after
the last attempt, and recovers the rows of a dispatcher that died mid-send."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from huxue.notify.dispatch import claim_due, dispatch_pass, reclaim_stale
from huxue.notify.models import Channel, InboxMessage, Notification
from huxue.notify.services import notify_enqueue
from huxue.notify.tests.factories import make_channel
from huxue.testing import City

Status = Notification.Status


def _to_user(city: City, key: str = "reminder:shift:1:person:1", **extra) -> Notification:
    notification, _ = notify_enqueue(
        dedupe_key=key,
        kind="shift.reminder",
        subject="明天 07:00 护学岗",
        body="市第六小学 南门",
        user=city.users["volunteer"],
        **extra,
    )
    return notification


def _to_channel(channel: Channel, key: str = "gap:1") -> Notification:
    notification, _ = notify_enqueue(
        dedupe_key=key, kind="gap.alert", subject="南门缺岗", body="07:10 无人签到", channel=channel
    )
    return notification


def test_dispatching_twice_sends_once(city: City, robot) -> None:
    notification = _to_channel(make_channel(city.station_a, address=robot.url))

    first = dispatch_pass()
    second = dispatch_pass()

    assert (first.sent, second.claimed) == (1, 0)
    assert len(robot.requests) == 1
    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert notification.sent_via == "wecom" and notification.attempts == 1
    assert notification.sent_at is not None and notification.claim_token == ""


def test_enqueueing_again_after_sending_sends_nothing_more(city: City, robot) -> None:
    channel = make_channel(city.station_a, address=robot.url)
    _to_channel(channel)
    dispatch_pass()
    _to_channel(channel)  # the loop restarted and produced the same message again
    dispatch_pass()
    assert len(robot.requests) == 1


def test_a_message_is_not_sent_before_it_is_due(city: City) -> None:
    later = timezone.now() + dt.timedelta(hours=1)
    notification = _to_user(city, due_at=later)
    assert dispatch_pass().claimed == 0
    assert dispatch_pass(now=later).sent == 1
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.sent_via == "inapp,console"


def test_a_platform_error_is_retried_with_a_back_off_then_fails(city: City, robot) -> None:
    robot.reply = {"errcode": 45009, "errmsg": "api freq out of limit"}
    notification = _to_channel(make_channel(city.station_a, address=robot.url))

    result = dispatch_pass()
    notification.refresh_from_db()
    assert result.retrying == 1
    assert notification.status == Status.PENDING and notification.attempts == 1
    assert "errcode 45009" in notification.last_error
    assert notification.due_at >= timezone.now() + dt.timedelta(seconds=55)
    assert dispatch_pass().claimed == 0  # not before the back-off

    now = notification.due_at
    assert dispatch_pass(now=now).retrying == 1
    notification.refresh_from_db()
    # The second back-off is twice the first.
    assert notification.due_at - now >= dt.timedelta(seconds=115)

    assert dispatch_pass(now=notification.due_at).failed == 1  # the third and last attempt
    notification.refresh_from_db()
    assert notification.status == Status.FAILED and notification.attempts == 3
    assert dispatch_pass(now=notification.due_at + dt.timedelta(days=2)).claimed == 0
    assert len(robot.requests) == 3


def test_a_retry_that_succeeds_clears_the_error(city: City, robot) -> None:
    robot.status = 502
    notification = _to_channel(make_channel(city.station_a, address=robot.url))
    dispatch_pass()
    robot.status = 200
    dispatch_pass(now=timezone.now() + dt.timedelta(minutes=2))
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.last_error == ""
    assert notification.attempts == 2


def test_a_disabled_channel_is_skipped(city: City, robot) -> None:
    channel = make_channel(city.station_a, address=robot.url)
    notification = _to_channel(channel)
    Channel.objects.filter(pk=channel.pk).update(enabled=False)

    result = dispatch_pass()

    assert result.cancelled == 1 and robot.requests == []
    notification.refresh_from_db()
    assert notification.status == Status.CANCELLED
    assert notification.last_error == "the channel is disabled"
    assert notification.attempts == 0


def test_a_stale_claim_is_retried_once_after_the_timeout(city: City, robot) -> None:
    notification = _to_channel(make_channel(city.station_a, address=robot.url))
    crashed_at = timezone.now()
    # A dispatcher claims the row and dies before sending or marking it.
    token, rows = claim_due(now=crashed_at, limit=10)
    assert [r.pk for r in rows] == [notification.pk]

    # Until the claim times out, nobody touches the row.
    assert dispatch_pass(now=crashed_at + dt.timedelta(seconds=299)).claimed == 0
    assert reclaim_stale(now=crashed_at + dt.timedelta(seconds=299)) == 0

    later = crashed_at + dt.timedelta(seconds=301)
    assert reclaim_stale(now=later) == 1
    notification.refresh_from_db()
    assert notification.status == Status.PENDING and notification.attempts == 1
    assert "claim expired" in notification.last_error

    assert dispatch_pass(now=notification.due_at).sent == 1
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 2
    assert len(robot.requests) == 1


def test_the_dead_dispatcher_cannot_mark_a_reclaimed_row(city: City) -> None:
    notification = _to_user(city)
    crashed_at = timezone.now()
    token, _rows = claim_due(now=crashed_at, limit=10)
    reclaim_stale(now=crashed_at + dt.timedelta(seconds=301))
    marked = Notification.objects.filter(pk=notification.pk, claim_token=token).update(
        status="sent"
    )
    assert marked == 0


def test_a_stale_claim_out_of_attempts_fails_instead_of_storming(city: City) -> None:
    notification = _to_user(city)
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.SENDING, attempts=3, claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    dispatch_pass()
    notification.refresh_from_db()
    assert notification.status == Status.FAILED


def test_a_user_gets_email_when_configured_and_they_have_an_address(city: City, settings) -> None:
    settings.HUXUE_NOTIFY_CHANNELS = ["email", "console"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    volunteer = city.users["volunteer"]
    volunteer.email = "volunteer@example.org"
    volunteer.save(update_fields=["email"])
    with_address = _to_user(city, key="a")
    dispatch_pass()

    volunteer.email = ""
    volunteer.save(update_fields=["email"])
    without_address = _to_user(city, key="b")
    dispatch_pass()

    [sent] = mail.outbox
    assert sent.to == ["volunteer@example.org"] and sent.subject == "明天 07:00 护学岗"
    assert Notification.objects.get(pk=with_address.pk).sent_via == "inapp,email"
    assert Notification.objects.get(pk=without_address.pk).sent_via == "inapp,console"


def test_an_email_channel_of_a_unit_sends_to_its_mailbox(city: City, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    channel = make_channel(
        city.school_a1.unit, kind=Channel.Kind.EMAIL, address="school@example.org"
    )
    _to_channel(channel)
    assert dispatch_pass().sent == 1
    assert mail.outbox[0].to == ["school@example.org"]


def test_a_user_no_outside_channel_reaches_still_gets_it_in_the_app(city: City, settings) -> None:
    settings.HUXUE_NOTIFY_CHANNELS = ["email"]  # and the volunteer has no address
    notification = _to_user(city)
    assert dispatch_pass().sent == 1
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.sent_via == "inapp"
    assert notification.inbox_message.user == city.users["volunteer"]


def test_an_inactive_user_is_sent_nothing(city: City) -> None:
    volunteer = city.users["volunteer"]
    volunteer.is_active = False
    volunteer.save(update_fields=["is_active"])
    notification = _to_user(city)
    assert dispatch_pass().cancelled == 1
    notification.refresh_from_db()
    assert notification.status == Status.CANCELLED
    assert notification.last_error == "the user is inactive"
    assert not InboxMessage.objects.exists()


def test_a_sender_that_raises_does_not_stop_the_pass(city: City, monkeypatch) -> None:
    from huxue.notify import channels

    def boom(message):
        raise RuntimeError("bug")

    monkeypatch.setattr(channels.SENDERS["console"], "send", boom)
    _to_user(city, key="a")
    _to_user(city, key="b")
    result = dispatch_pass()
    assert result.retrying == 2


def test_a_pass_claims_at_most_a_batch(city: City) -> None:
    for i in range(5):
        _to_user(city, key=f"k{i}")
    assert dispatch_pass(limit=3).sent == 3
    assert dispatch_pass(limit=3).sent == 2


def test_the_command_sends_what_is_due_and_says_so(city: City) -> None:
    _to_user(city)
    out = StringIO()
    call_command("notify_dispatch", stdout=out)
    assert "sent 1" in out.getvalue()
    assert Notification.objects.get().status == Status.SENT


@pytest.mark.django_db(transaction=True)
def test_the_loop_runs_until_sigterm(city: City) -> None:
    _to_user(city)
    previous = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(1.0, os.kill, args=(os.getpid(), signal.SIGTERM))
    timer.start()
    out = StringIO()
    try:
        call_command("notify_dispatch", "--loop", "--interval", "0.2", stdout=out)
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
    text = out.getvalue()
    assert "every 0.2 s" in text and "sent 1" in text and text.rstrip().endswith("stopped")
    assert Notification.objects.get().status == Status.SENT


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_never_send_a_row_twice(city: City, monkeypatch) -> None:
    from django.db import connection, connections

    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SQLite serialises writers with IMMEDIATE transactions instead")
    from huxue.notify import channels

    sent: list[str] = []
    lock = threading.Lock()

    def record(message):
        with lock:
            sent.append(message.subject)
        return channels.Delivery(ok=True)

    monkeypatch.setattr(channels.SENDERS["console"], "send", record)
    for i in range(40):
        notify_enqueue(
            dedupe_key=f"k{i}", kind="x", subject=f"s{i}", body="b", user=city.users["volunteer"]
        )

    def worker() -> None:
        try:
            for _ in range(5):
                dispatch_pass(limit=7)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(sent) == sorted(f"s{i}" for i in range(40))
    assert Notification.objects.filter(status=Status.SENT).count() == 40
