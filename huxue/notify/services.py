"""Writes to notify: group channels (with an audit line) and the outbox (idempotent by key).

Producers call ``notify_enqueue`` inside their own transaction, so the message is stored if and
only if the change it reports is (a transactional outbox); ``notify_dispatch`` sends it later.
Outbox rows are not audited: they are system work, thousands a week, and the row itself keeps
its history (attempts, last error, sent at).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from huxue.core import audit
from huxue.core.validators import normalize_text
from huxue.notify.models import Channel, InboxMessage, Notification
from huxue.orgs import access
from huxue.orgs.models import Unit, User

WEBHOOK_KINDS = frozenset({Channel.Kind.WECOM, Channel.Kind.DINGTALK, Channel.Kind.FEISHU})


def channel_clean(*, kind: str, name: str, address: str) -> tuple[str, str]:
    """Validate a channel's fields; returns the normalised (name, address)."""
    errors: dict[str, list[str]] = {}
    name = normalize_text(name)
    address = (address or "").strip()
    if not name:
        errors.setdefault("name", []).append(_("Enter a name for the channel."))
    if kind not in Channel.Kind.values:
        errors.setdefault("kind", []).append(_("Choose a kind of channel."))
    elif kind == Channel.Kind.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            errors.setdefault("address", []).append(_("Enter a valid e-mail address."))
    else:
        parts = urlsplit(address)
        if parts.scheme not in {"https", "http"} or not parts.netloc:
            errors.setdefault("address", []).append(
                _("Enter the robot's webhook URL, starting with https://.")
            )
    if errors:
        raise ValidationError(errors)
    return name, address


def channel_create(
    *,
    actor: User | None,
    unit: Unit,
    kind: str,
    name: str,
    address: str,
    secret: str = "",
    enabled: bool = True,
) -> Channel:
    if actor is not None:
        access.require(actor, "write", unit)
    name, address = channel_clean(kind=kind, name=name, address=address)
    with transaction.atomic():
        channel = Channel.objects.create(
            unit=unit,
            kind=kind,
            name=name,
            address=address,
            secret=secret.strip(),
            enabled=enabled,
        )
        audit.record(
            action="notify.channel.create",
            actor=actor,
            obj=channel,
            detail={"unit": unit.pk, "kind": kind, "signed": bool(secret)},
        )
    return channel


def channel_update(
    *,
    actor: User | None,
    channel: Channel,
    name: str,
    address: str,
    enabled: bool,
    secret: str | None = None,
) -> Channel:
    """Change a channel; ``secret=None`` keeps the stored secret, "" removes it."""
    if actor is not None:
        access.require(actor, "write", channel.unit)
    name, address = channel_clean(kind=channel.kind, name=name, address=address)
    changed = [
        field
        for field, value in (("name", name), ("address", address), ("enabled", enabled))
        if getattr(channel, field) != value
    ]
    if secret is not None and secret.strip() != channel.secret:
        changed.append("secret")
    with transaction.atomic():
        channel.name, channel.address, channel.enabled = name, address, enabled
        if secret is not None:
            channel.secret = secret.strip()
        channel.save(update_fields=[*changed, "updated_at"])
        # Field names only: the address and the secret are credentials.
        audit.record(
            action="notify.channel.update", actor=actor, obj=channel, detail={"changed": changed}
        )
    return channel


def notify_enqueue(
    *,
    dedupe_key: str,
    kind: str,
    subject: str,
    body: str,
    user: User | None = None,
    channel: Channel | None = None,
    due_at: dt.datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> tuple[Notification, bool]:
    """Store one message for one recipient; (the row, whether it is new).

    Idempotent on ``dedupe_key``: a second call with the same key changes nothing and returns the
    first row, whatever its status — so a loop that restarts and enqueues again sends nothing twice.
    """
    if (user is None) == (channel is None):
        raise ValueError("a notification goes to exactly one user or one channel")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("dedupe_key must be 1 to 200 characters")
    # get_or_create retries the read when a concurrent insert wins the unique key.
    return Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "kind": kind,
            "user": user,
            "channel": channel,
            "subject": subject[:200],
            "body": body,
            "payload": payload or {},
            "due_at": due_at or timezone.now(),
        },
    )


def notify_enqueue_units(
    *,
    units: Iterable[Unit],
    dedupe_key: str,
    kind: str,
    subject: str,
    body: str,
    due_at: dt.datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> list[Notification]:
    """Store the message once for every enabled channel of these units (e.g. a station and a
    school, for a gap alert); each row's key is ``{dedupe_key}:channel:{id}``. Returns new rows."""
    created: list[Notification] = []
    channels = Channel.objects.filter(unit__in=list(units), enabled=True).order_by("pk")
    with transaction.atomic():
        for channel in channels:
            notification, new = notify_enqueue(
                dedupe_key=f"{dedupe_key}:channel:{channel.pk}",
                kind=kind,
                subject=subject,
                body=body,
                channel=channel,
                due_at=due_at,
                payload=payload,
            )
            if new:
                created.append(notification)
    return created


def notify_cancel(*, dedupe_keys: Iterable[str] = (), key_prefix: str = "") -> int:
    """Cancel messages not yet sent (e.g. the reminders of a shift that was removed).

    Either exact keys or a prefix ("reminder:shift:123:"); returns how many were cancelled. A
    message already being sent is not stopped.
    """
    keys = list(dedupe_keys)
    if not keys and not key_prefix:
        return 0
    pending = Notification.objects.filter(status=Notification.Status.PENDING)
    pending = (
        pending.filter(dedupe_key__startswith=key_prefix)
        if key_prefix
        else pending.filter(dedupe_key__in=keys)
    )
    return pending.update(status=Notification.Status.CANCELLED, last_error="cancelled")


# The inbox. Marking one's own messages read changes nothing anyone else sees or counts, so it
# leaves no audit line (as reading them does not); only the addressee can do it.


@transaction.atomic
def inbox_mark_read(*, user: User, message: InboxMessage) -> bool:
    """Mark one of the user's messages read; whether it was unread. The first reading's time is
    kept: opening it again changes nothing. Someone else's message is "not found"."""
    if message.user_id != user.pk:
        raise Http404
    now = timezone.now()
    marked = InboxMessage.objects.filter(pk=message.pk, user=user, read_at__isnull=True).update(
        read_at=now
    )
    if marked:
        message.read_at = now
    return bool(marked)


@transaction.atomic
def inbox_mark_all_read(*, user: User) -> int:
    """Mark every unread message of the user read; how many were unread."""
    return InboxMessage.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
