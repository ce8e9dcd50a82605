"""Reads of notify. Channels are placed under a unit and follow the unit rules of the role table:
whoever may read a unit sees its channels (names and kinds); whoever may write units manages them.

The inbox is not placed in the org tree: a message is read by its addressee and by no one else,
whatever their roles (an administrator's "all" scope included), so its reads filter by the owner
alone, here, rather than through ``access``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.db.models import QuerySet
from django.http import Http404

from huxue.notify.models import Channel, InboxMessage, Notification
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


def _owner(user: Any) -> Any:
    """The signed-in, active account whose inbox is asked for; None for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user


def inbox_of(user: Any) -> QuerySet[InboxMessage]:
    """The user's own messages, newest first."""
    owner = _owner(user)
    if owner is None:
        return InboxMessage.objects.none()
    return InboxMessage.objects.filter(user=owner).order_by("-delivered_at", "-pk")


def inbox_unread_count(user: Any) -> int:
    """How many of the user's messages are unread: one query (0 and none for anonymous users)."""
    owner = _owner(user)
    if owner is None:
        return 0
    return InboxMessage.objects.filter(user=owner, read_at__isnull=True).count()


def inbox_message_for(user: Any, pk: Any) -> InboxMessage:
    """One of the user's own messages; 404 for anyone else's, as for one that does not exist."""
    try:
        return inbox_of(user).get(pk=pk)
    except (InboxMessage.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
