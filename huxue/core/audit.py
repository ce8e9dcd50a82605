"""The audit trail: append a line, verify the chain.

Every line's hash covers its own fields and the previous line's hash, so editing, inserting or
deleting a line breaks every hash after it. Appends are serialised (PostgreSQL advisory lock;
SQLite's IMMEDIATE transactions already serialise writers), so the chain has no forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from huxue.core import context
from huxue.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x48555855  # "HUXU"


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "outcome": event.outcome,
        "ip": event.ip,
        "channel": event.channel,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(
    *,
    action: str,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    outcome: str = AuditEvent.Outcome.SUCCESS,
    detail: dict[str, Any] | None = None,
    actor_username: str = "",
) -> AuditEvent:
    """Append one line. Joins the caller's transaction, so an action and its trace commit together."""
    meta = context.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            at=timezone.now(),
            actor_id=actor.pk if authenticated else None,
            actor_username=(actor.get_username() if authenticated else actor_username)[:150],
            action=action,
            object_type=object_type[:64],
            object_id=str(object_id)[:64],
            object_repr=object_repr[:200],
            outcome=outcome,
            ip=meta.ip,
            channel=meta.channel,
            detail=json.loads(json.dumps(detail or {}, default=str)),
            prev_hash=head.last_hash,
        )
        event.hash = compute_hash(event)
        event.save()
        head.count += 1
        head.last_hash = event.hash
        head.save(update_fields=["count", "last_hash"])
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("id").iterator(chunk_size=2000)


def verify() -> VerifyResult:
    prev = GENESIS
    checked = 0
    for event in _events():
        if event.prev_hash != prev:
            return VerifyResult(
                False, checked, event.id, _("its link does not match the line before it")
            )
        if compute_hash(event) != event.hash:
            return VerifyResult(
                False, checked, event.id, _("the line's contents do not match its hash")
            )
        prev = event.hash
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    head_count, head_hash = (head.count, head.last_hash) if head else (0, GENESIS)
    if head_count != checked or head_hash != prev:
        return VerifyResult(
            False,
            checked,
            None,
            ngettext(
                "the chain's head expects %(expected)d line ending in %(expected_hash)s…; "
                "found %(found)d ending in %(found_hash)s… (lines cut off the end?)",
                "the chain's head expects %(expected)d lines ending in %(expected_hash)s…; "
                "found %(found)d ending in %(found_hash)s… (lines cut off the end?)",
                head_count,
            )
            % {
                "expected": head_count,
                "expected_hash": head_hash[:12],
                "found": checked,
                "found_hash": prev[:12],
            },
        )
    return VerifyResult(True, checked)
