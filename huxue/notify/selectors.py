"""Reads of notify. Channels are placed under a unit and follow the unit rules of the role table:
whoever may read a unit sees its channels (names and kinds); whoever may write units manages them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.db.models import QuerySet

from huxue.notify.models import Channel, Notification
from huxue.orgs import access
from huxue.orgs.models import Unit


def channels_visible_to(user: Any) -> QuerySet[Channel]:
    return Channel.objects.filter(access.scope(user, "read", Channel, as_type="unit"))


def channels_managed_by(user: Any) -> QuerySet[Channel]:
    return Channel.objects.filter(access.scope(user, "write", Channel, as_type="unit"))


def channels_of_units(units: list[Unit]) -> QuerySet[Channel]:
    """For producers: where a unit's group messages go (enabled channels only)."""
    return Channel.objects.filter(unit__in=units, enabled=True).order_by("pk")


def notification_by_key(dedupe_key: str) -> Notification | None:
    return Notification.objects.filter(dedupe_key=dedupe_key).first()


def mask_address(address: str) -> str:
    """A channel's address for display: the host or the mailbox's domain, never the key."""
    if "@" in address and "://" not in address:
        return "…@" + address.rsplit("@", 1)[1]
    return f"{urlsplit(address).netloc}/…"
