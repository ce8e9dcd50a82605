"""Answers kept for client retries (the ``Idempotency-Key`` header) of writes other than the
check-in itself (check-out): a check-in carries its key on its own row (``CheckIn.client_key``,
see ``services.check_in_record``), which saves the hottest path a second INSERT.

``once`` runs a write and stores its answer in the same transaction, keyed by (user, key). A retry
with the same key and body gets the stored answer; the same key with another body is refused (422);
two identical requests racing leave one write, because the second's insert of the key fails on the
unique constraint, its transaction (and its write) roll back, and it answers with the first's.

The stored answer is looked up only when the write fails, not before it: a first attempt (nearly
every request) costs no extra query. A retry's write fails too — refused because the first one's
effect is there (a check-out already made), or, if it could be written again, rolled back with its
duplicate key — and the lookup then finds the first answer. Either way nothing of the retry's write survives.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from huxue.duty.models import IdempotencyRecord

KEY_MAX = 64
T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


class KeyReused(Exception):
    """The same key came with a different request."""


def request_hash(endpoint: str, body: dict[str, Any]) -> str:
    canonical = json.dumps([endpoint, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stored(user: Any, key: str, digest: str) -> Answer | None:
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    if record.request_hash != digest:
        raise KeyReused
    return Answer(record.status, record.response, replayed=True)


def once(
    *,
    user: Any,
    key: str,
    endpoint: str,
    body: dict[str, Any],
    work: Callable[[T], Answer],
    prepare: Callable[[], T],
) -> Answer:
    """Run ``work`` at most once for this (user, key); failures are not kept, so a refused
    request may be tried again with the same key once the reason is gone.

    ``prepare`` runs first, outside the transaction: the reads and checks that write nothing, so
    that the transaction (on SQLite, the database's write lock) lasts only for the write.
    ``work`` gets what it returned and runs inside the transaction with the stored answer. A
    failure of either is answered with the stored answer when this key has one."""
    digest = request_hash(endpoint, body)
    try:
        prepared = prepare()
        with transaction.atomic():
            answer = work(prepared)
            IdempotencyRecord.objects.create(
                user=user,
                key=key,
                endpoint=endpoint,
                request_hash=digest,
                status=answer.status,
                response=answer.body,
                created_at=timezone.now(),
            )
            return answer
    except Exception:
        # Whatever failed (the key's unique constraint, or a refusal because an earlier or a
        # concurrent twin of this request got there first), our write rolled back with it; if
        # this key was used before, that answer (or 422 for another body) is the answer.
        found = _stored(user, key, digest)
        if found is not None:
            return found
        raise


def prune(*, older_than_days: int = 30) -> int:
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
