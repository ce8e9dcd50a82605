"""Send what is due from the outbox: claim, send, mark.

A pass first marks its rows "sending" (with a claim token and the time) in one short transaction,
then sends outside any transaction, then marks each row sent, or pending again with a back-off,
or failed after the last attempt. On PostgreSQL the claim reads with ``FOR UPDATE SKIP LOCKED``,
so two dispatchers never claim the same row; SQLite's IMMEDIATE transactions serialise them.

The trade-off, chosen on purpose: at most one send per attempt, at most ``MAX_ATTEMPTS`` sends in
all. If a dispatcher dies after the platform accepted a message but before the row was marked, the
claim goes stale; after ``CLAIM_TIMEOUT`` it counts as a failed attempt and the message is sent
again (a rare duplicate), but never in a storm: each stale claim spends one attempt, and a row out
of attempts is marked failed. Never retrying a stale claim would lose messages instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from huxue.notify.channels import Delivery, Message, sender_for
from huxue.notify.models import Notification

logger = logging.getLogger("huxue.notify")
Status = Notification.Status


@dataclass
class PassResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    reclaimed: int = 0

    def __str__(self) -> str:
        return _(
            "claimed %(claimed)d, sent %(sent)d, retrying %(retrying)d, failed %(failed)d, "
            "cancelled %(cancelled)d, stale claims %(reclaimed)d"
        ) % {
            "claimed": self.claimed,
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "reclaimed": self.reclaimed,
        }


def retry_delay(attempts: int) -> dt.timedelta:
    """Back-off after the n-th failed attempt: base, 2×base, 4×base…, at most a day."""
    seconds = settings.HUXUE_NOTIFY_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, 86400))


def reclaim_stale(*, now: dt.datetime) -> int:
    """Rows claimed longer ago than the claim timeout: their dispatcher died mid-send."""
    cutoff = now - dt.timedelta(seconds=settings.HUXUE_NOTIFY_CLAIM_TIMEOUT)
    error = "the dispatcher stopped while sending (claim expired)"
    count = 0
    with transaction.atomic():
        stale = Notification.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff)
        if connection.features.has_select_for_update_skip_locked:
            stale = stale.select_for_update(skip_locked=True)
        for row in stale.only("pk", "attempts"):
            exhausted = row.attempts >= settings.HUXUE_NOTIFY_MAX_ATTEMPTS
            Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(
                status=Status.FAILED if exhausted else Status.PENDING,
                due_at=now if exhausted else now + retry_delay(row.attempts),
                claim_token="",
                last_error=error,
            )
            count += 1
    return count


def claim_due(*, now: dt.datetime, limit: int) -> tuple[str, list[Notification]]:
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = Notification.objects.filter(status=Status.PENDING, due_at__lte=now).order_by(
            "due_at", "pk"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if ids:
            Notification.objects.filter(pk__in=ids, status=Status.PENDING).update(
                status=Status.SENDING,
                claimed_at=now,
                claim_token=token,
                attempts=F("attempts") + 1,
            )
    rows = (
        Notification.objects.filter(pk__in=ids, claim_token=token, status=Status.SENDING)
        .select_related("user", "channel")
        .order_by("due_at", "pk")
    )
    return token, list(rows)


Route = tuple[str, Message]


def in_app_link(payload: object) -> str:
    """The page a message is about, as a path of this site, from its payload's "url" (producers
    write it absolute, with HUXUE_BASE_URL, for e-mail and robots); "" when there is none."""
    url = payload.get("url") if isinstance(payload, dict) else None
    if not isinstance(url, str):
        return ""
    base = settings.HUXUE_BASE_URL.rstrip("/")
    if base and url.startswith(base + "/"):
        url = url[len(base) :]
    return url if url.startswith("/") and not url.startswith("//") else ""


def resolve(notification: Notification) -> list[Route] | str:
    """Where a row goes — (sender kind, message), in the order they are tried — or why it goes
    nowhere. This is the one rule of who reads what:

    - A message to a unit's channel goes to that group's robot or mailbox, and to no inbox: the
      people who must act on it are addressed by its producer as well (a gap alert goes to the
      accounts of the school's leads and the station's officers besides their groups), and most
      of a group's members are not users of the app.
    - A message to a person goes to their inbox in the app, always ("inapp", first, so a retry
      never sends the outside copy twice), and also out through the first of
      HUXUE_NOTIFY_CHANNELS that reaches them, if any does.
    """
    subject, body = notification.subject, notification.body
    channel = notification.channel
    if channel is not None:
        if not channel.enabled:
            return "the channel is disabled"
        message = Message(subject, body, address=channel.address, secret=channel.secret)
        return [(channel.kind, message)]
    user = notification.user
    if user is None or not user.is_active:
        return "the user is inactive"
    inbox = Message(
        subject,
        body,
        user_id=user.pk,
        notification_id=notification.pk,
        link=in_app_link(notification.payload),
    )
    routes: list[Route] = [("inapp", inbox)]
    for kind in settings.HUXUE_NOTIFY_CHANNELS:
        if kind == "email" and user.email:
            routes.append(("email", Message(subject, body, address=user.email)))
            break
        if kind == "console":
            routes.append(("console", Message(subject, body, address=user.get_username())))
            break
    return routes


def _send(kind: str, message: Message) -> Delivery:
    try:
        return sender_for(kind).send(message)
    except Exception as exc:  # a bug in one sender must not stop the loop
        logger.exception("sender %s raised", kind)
        return Delivery(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])


def dispatch_pass(*, now: dt.datetime | None = None, limit: int = 200) -> PassResult:
    now = now or timezone.now()
    result = PassResult(reclaimed=reclaim_stale(now=now))
    token, rows = claim_due(now=now, limit=limit)
    result.claimed = len(rows)
    for row in rows:
        mine = Notification.objects.filter(pk=row.pk, status=Status.SENDING, claim_token=token)
        routes = resolve(row)
        if isinstance(routes, str):
            # Nothing was sent: give the attempt back and record why.
            mine.update(
                status=Status.CANCELLED,
                attempts=F("attempts") - 1,
                claim_token="",
                last_error=routes,
            )
            result.cancelled += 1
            continue
        # Every way in order; the first that fails stops the row, to be retried as a whole.
        delivery = Delivery(ok=True)
        for kind, message in routes:
            delivery = _send(kind, message)
            if not delivery.ok:
                break
        # The pass's clock (tests pass one in), or the wall clock once it has moved past it.
        finished = max(timezone.now(), now)
        if delivery.ok:
            via = ",".join(kind for kind, _message in routes)
            mine.update(
                status=Status.SENT, sent_at=finished, sent_via=via, claim_token="", last_error=""
            )
            result.sent += 1
        elif row.attempts >= settings.HUXUE_NOTIFY_MAX_ATTEMPTS:
            mine.update(status=Status.FAILED, claim_token="", last_error=delivery.error)
            result.failed += 1
            logger.warning("notification %s failed for good: %s", row.pk, delivery.error)
        else:
            mine.update(
                status=Status.PENDING,
                due_at=finished + retry_delay(row.attempts),
                claim_token="",
                last_error=delivery.error,
            )
            result.retrying += 1
    return result
