"""Channels are validated, audited and encrypted; the outbox keeps one row per key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from huxue.core.models import AuditEvent
from huxue.notify.models import Channel, Notification
from huxue.notify.services import (
    channel_create,
    channel_update,
    notify_cancel,
    notify_enqueue,
    notify_enqueue_units,
)
from huxue.notify.tests.factories import make_channel
from huxue.testing import City


def _raw(column: str, channel: Channel) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM notify_channel WHERE id = %s", [channel.pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_the_secret_and_the_address_are_stored_encrypted(city: City) -> None:
    channel = make_channel(
        city.station_a,
        kind=Channel.Kind.DINGTALK,
        address="https://oapi.dingtalk.com/robot/send?access_token=TOKEN-XYZ",
        secret="SEC-PLAINTEXT-42",
    )
    raw_secret, raw_address = _raw("secret", channel), _raw("address", channel)
    assert "SEC-PLAINTEXT-42" not in raw_secret
    assert "TOKEN-XYZ" not in raw_address
    reloaded = Channel.objects.get(pk=channel.pk)
    assert reloaded.secret == "SEC-PLAINTEXT-42"
    assert reloaded.address.endswith("access_token=TOKEN-XYZ")


def test_creating_a_channel_writes_one_audit_line_without_the_secret(city: City) -> None:
    channel = make_channel(city.station_a, secret="SEC-PLAINTEXT-42")
    event = AuditEvent.objects.get(action="notify.channel.create")
    assert event.object_id == str(channel.pk)
    assert "SEC-PLAINTEXT-42" not in str(event.detail)
    assert "TEST" not in str(event.detail)


@pytest.mark.parametrize(
    "kind,address,field",
    [
        (Channel.Kind.WECOM, "qyapi.weixin.qq.com/send", "address"),
        (Channel.Kind.FEISHU, "ftp://example.org/hook", "address"),
        (Channel.Kind.EMAIL, "not-an-address", "address"),
        ("sms", "https://example.org", "kind"),
    ],
)
def test_it_refuses_a_channel_that_cannot_be_reached(city: City, kind, address, field) -> None:
    with pytest.raises(ValidationError) as caught:
        channel_create(actor=None, unit=city.school_a1.unit, kind=kind, name="群", address=address)
    assert field in caught.value.message_dict
    assert not Channel.objects.exists()


def test_a_user_without_the_right_to_write_the_unit_cannot_create_a_channel(city: City) -> None:
    with pytest.raises(Http404):
        channel_create(
            actor=city.users["school_lead"],
            unit=city.school_a1.unit,
            kind=Channel.Kind.WECOM,
            name="群",
            address="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K",
        )


def test_the_system_administrator_creates_and_updates_a_channel(city: City) -> None:
    sysadmin = city.users["sysadmin"]
    channel = channel_create(
        actor=sysadmin,
        unit=city.school_a1.unit,
        kind=Channel.Kind.FEISHU,
        name="校园安全群",
        address="https://open.feishu.cn/open-apis/bot/v2/hook/abc",
        secret="one",
    )
    channel_update(
        actor=sysadmin,
        channel=channel,
        name="校园安全群",
        address=channel.address,
        enabled=False,
        secret=None,
    )
    channel.refresh_from_db()
    assert channel.enabled is False and channel.secret == "one"  # None keeps the secret
    event = AuditEvent.objects.get(action="notify.channel.update")
    assert event.detail == {"changed": ["enabled"]}

    channel_update(
        actor=sysadmin,
        channel=channel,
        name="校园安全群",
        address=channel.address,
        enabled=False,
        secret="",
    )
    channel.refresh_from_db()
    assert channel.secret == ""


def test_enqueueing_the_same_key_twice_leaves_one_row(city: City) -> None:
    user = city.users["volunteer"]
    first, created = notify_enqueue(
        dedupe_key="reminder:shift:1:person:1",
        kind="shift.reminder",
        subject="明天护学岗",
        body="07:00 南门",
        user=user,
    )
    again, created_again = notify_enqueue(
        dedupe_key="reminder:shift:1:person:1",
        kind="shift.reminder",
        subject="a different text",
        body="changed",
        user=user,
    )
    assert created and not created_again
    assert again.pk == first.pk and again.subject == "明天护学岗"
    assert Notification.objects.count() == 1


def test_a_notification_needs_exactly_one_recipient(city: City) -> None:
    channel = make_channel(city.station_a)
    with pytest.raises(ValueError, match="exactly one"):
        notify_enqueue(dedupe_key="k", kind="x", subject="s", body="b")
    with pytest.raises(ValueError, match="exactly one"):
        notify_enqueue(
            dedupe_key="k",
            kind="x",
            subject="s",
            body="b",
            user=city.users["volunteer"],
            channel=channel,
        )


def test_a_message_to_units_goes_once_to_each_enabled_channel(city: City) -> None:
    station = make_channel(city.station_a, name="所群")
    school = make_channel(city.school_a1.unit, name="校群", kind=Channel.Kind.FEISHU)
    make_channel(city.school_a1.unit, name="旧群", enabled=False)
    make_channel(city.school_b1.unit, name="别的学校")
    due = timezone.now() + dt.timedelta(minutes=5)

    def alert() -> list[Notification]:
        return notify_enqueue_units(
            units=[city.station_a, city.school_a1.unit],
            dedupe_key="gap:post:1:2026-11-30:07:00",
            kind="gap.alert",
            subject="南门无人到岗",
            body="07:10 仍无人签到",
            due_at=due,
        )

    created = alert()
    assert {n.channel_id for n in created} == {station.pk, school.pk}
    assert alert() == []
    assert Notification.objects.count() == 2
    assert set(Notification.objects.values_list("dedupe_key", flat=True)) == {
        f"gap:post:1:2026-11-30:07:00:channel:{station.pk}",
        f"gap:post:1:2026-11-30:07:00:channel:{school.pk}",
    }


def test_cancelling_by_prefix_stops_only_pending_messages(city: City) -> None:
    user = city.users["volunteer"]
    for key in [
        "reminder:shift:7:person:1",
        "reminder:shift:7:person:2",
        "reminder:shift:8:person:1",
    ]:
        notify_enqueue(dedupe_key=key, kind="shift.reminder", subject="s", body="b", user=user)
    Notification.objects.filter(dedupe_key="reminder:shift:7:person:2").update(status="sent")

    assert notify_cancel(key_prefix="reminder:shift:7:") == 1
    statuses = dict(Notification.objects.values_list("dedupe_key", "status"))
    assert statuses == {
        "reminder:shift:7:person:1": "cancelled",
        "reminder:shift:7:person:2": "sent",
        "reminder:shift:8:person:1": "pending",
    }
    assert notify_cancel(dedupe_keys=["reminder:shift:8:person:1"]) == 1
    assert notify_cancel() == 0
