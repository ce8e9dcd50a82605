"""Gap alerts: a post still short some minutes into its window alerts its station and school once.

``gap_scan`` is run by ``duty_watch`` every pass. For every window running now that is past the
city's ``gap_alert_minutes``, it compares who is on duty (accepted check-ins not yet checked out)
with what the shift requires per force group. A short post raises one ``GapAlert`` (one-to-one
with the shift: the unique constraint makes a second scan, or a second process, find it already
there) and, in the same transaction, queues the messages: to the enabled channels (group robots,
e-mail) of the police station and the school, and to the accounts of the school's leads and the
station's officers. Every message has a key named after the shift, so nothing is sent twice.
A post that fills up marks its alert resolved, without a message.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huxue.core import audit, rulesets
from huxue.duty.models import CheckIn, DutyRules, GapAlert
from huxue.notify.services import notify_enqueue, notify_enqueue_units
from huxue.orgs.models import Membership, User
from huxue.orgs.roles import Role
from huxue.people.forces import ForceGroup
from huxue.posts.models import Post
from huxue.roster.models import Shift

GROUP_LABELS = dict(ForceGroup.choices)


def on_duty_counts(shift_ids: list[int]) -> dict[int, dict[str, int]]:
    """Members on duty now per shift and force group: accepted check-ins not checked out."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not shift_ids:
        return counts
    rows = (
        CheckIn.objects.filter(
            shift_id__in=shift_ids, voided_at__isnull=True, checked_out_at__isnull=True
        )
        .values_list("shift_id", "group")
        .annotate(n=Count("id"))
        .order_by()
    )
    for shift_id, group, n in rows:
        counts[shift_id][group] = n
    return counts


def shortfall(requirements: dict[str, Any], on_duty: dict[str, int]) -> dict[str, int]:
    """How many are missing per force group (only the groups that are short)."""
    missing = {}
    for group, need in requirements.items():
        gap = int(need) - on_duty.get(group, 0)
        if gap > 0:
            missing[group] = gap
    return missing


def shift_url(shift: Shift) -> str:
    return settings.HUXUE_BASE_URL.rstrip("/") + reverse("duty:shift", args=[shift.pk])


def window_text(shift: Shift) -> str:
    return f"{shift.day:%Y-%m-%d} {shift.hours}"


def _message(shift: Shift, missing: dict[str, int], on_duty: dict[str, int]) -> tuple[str, str]:
    """Subject and body, in the site's language (the outbox has no reader's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Guard post short of members: %(post)s") % {"post": shift.post}
        lines = [
            _("%(post)s is short of members in the window %(window)s.")
            % {"post": shift.post, "window": window_text(shift)}
        ]
        for group in sorted(missing):
            lines.append(
                _("%(group)s: %(present)s of %(need)s on duty, %(missing)s missing.")
                % {
                    "group": GROUP_LABELS.get(group, group),
                    "present": on_duty.get(group, 0),
                    "need": int(shift.requirements.get(group, 0)),
                    "missing": missing[group],
                }
            )
        lines.append(_("Roll call and call-outs: %(url)s") % {"url": shift_url(shift)})
    return subject, "\n".join(lines)


def alert_recipients(shift: Shift) -> list[User]:
    """The school's security leads and the officers of its police station, active accounts only."""
    school = shift.post.school
    memberships = Membership.objects.filter(
        role=Role.SCHOOL_LEAD, unit_id=school.unit_id, user__is_active=True
    ) | Membership.objects.filter(
        role=Role.STATION, unit_id=school.station_id, user__is_active=True
    )
    users = {m.user_id: m.user for m in memberships.select_related("user")}
    return [users[pk] for pk in sorted(users)]


def _raise(
    shift: Shift, missing: dict[str, int], on_duty: dict[str, int], now: dt.datetime
) -> GapAlert | None:
    """Create the alert and queue its messages in one transaction; None if it already exists."""
    with transaction.atomic():
        alert, created = GapAlert.objects.get_or_create(
            shift=shift, defaults={"raised_at": now, "short": missing}
        )
        if not created:
            return None
        subject, body = _message(shift, missing, on_duty)
        payload = {"shift": shift.pk, "gap_alert": alert.pk, "url": shift_url(shift)}
        school = shift.post.school
        notify_enqueue_units(
            units=[school.station, school.unit],
            dedupe_key=f"gap:{shift.pk}",
            kind="gap_alert",
            subject=subject,
            body=body,
            payload=payload,
        )
        for user in alert_recipients(shift):
            notify_enqueue(
                user=user,
                dedupe_key=f"gap:{shift.pk}:user:{user.pk}",
                kind="gap_alert",
                subject=subject,
                body=body,
                payload=payload,
            )
    return alert


def gap_scan(*, now: dt.datetime | None = None) -> list[GapAlert]:
    """Raise an alert for every post still short past the city's minutes; resolve filled ones.

    Returns the alerts raised by this scan (none for a post already alerted this window).
    """
    now = now or timezone.now()
    running = list(
        Shift.objects.filter(
            cancelled_at__isnull=True,
            starts_at__lte=now,
            ends_at__gt=now,
            post__in=Post.objects.live(),
        )
        .select_related("post__school__unit__region", "post__school__station")
        .order_by("starts_at", "pk")
    )
    rules = rulesets.nearest_by_region(DutyRules, (s.post.school.unit.region for s in running))
    due = [
        shift
        for shift in running
        if shift.starts_at
        + dt.timedelta(minutes=rules[shift.post.school.unit.region_id].gap_alert_minutes)
        <= now
    ]
    counts = on_duty_counts([s.pk for s in due])
    existing = {a.shift_id: a for a in GapAlert.objects.filter(shift__in=due)}
    raised = []
    for shift in due:
        on_duty = counts.get(shift.pk, {})
        missing = shortfall(shift.requirements, on_duty)
        alert = existing.get(shift.pk)
        if missing:
            if alert is None:
                new = _raise(shift, missing, on_duty, now)
                if new is not None:
                    raised.append(new)
            elif alert.resolved_at is not None:
                # Short again after filling up: open again, but the alert was already sent.
                reopen = GapAlert.objects.filter(pk=alert.pk)
                _mark(alert, "duty.gapalert.reopen", reopen, resolved_at=None, now=now)
        elif alert is not None and alert.resolved_at is None:
            still_open = GapAlert.objects.filter(pk=alert.pk, resolved_at__isnull=True)
            _mark(alert, "duty.gapalert.resolve", still_open, resolved_at=now, now=now)
    return raised


def _mark(
    alert: GapAlert,
    action: str,
    rows: Any,
    *,
    resolved_at: dt.datetime | None,
    now: dt.datetime,
) -> None:
    """Resolve or reopen an alert, with its audit line, if the row is still as it was read."""
    with transaction.atomic():
        if rows.update(resolved_at=resolved_at):
            audit.record(
                action=action,
                obj=alert,
                detail={"shift": alert.shift_id, "at": now.isoformat()},
            )
