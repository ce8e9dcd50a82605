"""Gap alerts and call-outs: the writes when a post is short.

Gap alerts: a post still short some minutes into its window alerts its station and school once.
The same minutes before the window ends, no alert is raised (members check out as it closes).

``gap_scan`` is run by ``duty_watch`` every pass. For every window running now that is past the
city's ``gap_alert_minutes``, it compares who is on duty (accepted check-ins not yet checked out)
with what the shift requires per force group. A short post raises one ``GapAlert`` (one-to-one
with the shift: the unique constraint makes a second scan, or a second process, find it already
there) and, in the same transaction, queues the messages: to the enabled channels (group robots,
e-mail) of the police station and the school, and to the accounts of the school's leads and the
station's officers. Every message has a key named after the shift, so nothing is sent twice.
A post that fills up marks its alert resolved, without a message.

Call-outs: a lead asks a member from the pool to come to a short post now; the member answers.

Writes are keyword-only and run in one transaction with their audit line; the member and the lead
are told through the outbox (keys carry the call-out's id, so nothing is sent twice). Accepting
puts the member on the shift's roster (an ``Assignment`` from source "substitute") in the same
transaction, so their check-in at the post counts as rostered, not as a walk-in. A call-out still
waiting when its window ends expires.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huxue.core import audit, rulesets
from huxue.duty.alerts.selectors import (
    LIVE,
    alert_recipients,
    callout_url,
    is_over,
    may,
    on_duty_counts,
    shift_url,
    shortfall,
    window_text,
)
from huxue.duty.models import CallOut, DutyRules, GapAlert
from huxue.notify.services import notify_cancel, notify_enqueue, notify_enqueue_units
from huxue.people.forces import GROUP_LABELS
from huxue.people.models import Person
from huxue.posts.models import Post
from huxue.roster.models import Assignment, Shift
from huxue.roster.swaps import (
    PROBLEM_TEXT,
    assignment_place,
    candidates_for,
    substitute_problem,
)


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
            # A shift lies within its day: the bound lets the (post, day) index skip the past.
            day__in=[timezone.localdate(now) - dt.timedelta(days=1), timezone.localdate(now)],
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
    counts = on_duty_counts([s.pk for s in due], at=now)
    existing = {a.shift_id: a for a in GapAlert.objects.filter(shift__in=due)}
    raised = []
    for shift in due:
        on_duty = counts.get(shift.pk, {})
        missing = shortfall(shift.requirements, on_duty)
        alert = existing.get(shift.pk)
        minutes = dt.timedelta(minutes=rules[shift.post.school.unit.region_id].gap_alert_minutes)
        if missing and now >= shift.ends_at - minutes:
            # The window's last minutes: members checking out as it closes end their duty; the
            # post is not short, and an alert could bring no one in time.
            continue
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


def _problem(shift: Shift, person: Person, group: str, *, actor: Any = None) -> str | None:
    """Why this member may not be called to this shift for this group; None if they may.

    Availability is not asked: a call-out is the question whether they are free now.
    """
    found = candidates_for(shift=shift, actor=actor, people=[person.pk])
    if not found:
        return "not_in_pool"
    return substitute_problem(replace(found[0], available=True), group=group)


def _tell(
    user: Any, *, key: str, kind: str, subject: str, body: str, callout: CallOut, url: str
) -> None:
    if user is not None and user.is_active:
        notify_enqueue(
            user=user,
            dedupe_key=key,
            kind=kind,
            subject=subject,
            body=body,
            payload={"callout": callout.pk, "shift": callout.shift_id, "url": url},
        )


def callout_create(*, actor: Any, shift: Shift, person: Person, group: str = "") -> CallOut:
    """A lead asks a member of the pool to come to this shift now."""
    if not may(actor, shift, "callout"):
        raise Http404
    group = group or person.force_group
    if is_over(shift, timezone.now()):
        raise ValidationError(_("This shift is over or cancelled."), code="closed")
    if group != person.force_group:
        raise ValidationError(
            _("This member's force group is not the one chosen."), code="wrong_group"
        )
    if int(shift.requirements.get(group, 0)) <= 0:
        raise ValidationError(PROBLEM_TEXT["wrong_group"], code="wrong_group")
    problem = _problem(shift, person, group, actor=actor)
    if problem:
        raise ValidationError(PROBLEM_TEXT[problem], code=problem)
    already = _("This member has already been called to this shift.")
    if CallOut.objects.filter(shift=shift, person=person, status__in=LIVE).exists():
        raise ValidationError(already, code="duplicate")
    try:
        with transaction.atomic():
            callout = CallOut.objects.create(
                shift=shift, person=person, group=group, called_by=actor
            )
            url = callout_url(callout)
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("You are asked to stand in at %(post)s") % {"post": shift.post}
                body = "\n".join(
                    [
                        _("%(post)s is short of members in the window %(window)s.")
                        % {"post": shift.post, "window": window_text(shift)},
                        _("Can you come? Answer here: %(url)s") % {"url": url},
                    ]
                )
            _tell(
                person.user,
                key=f"callout:{callout.pk}",
                kind="callout",
                subject=subject,
                body=body,
                callout=callout,
                url=url,
            )
            audit.record(
                action="callout.create",
                actor=actor,
                obj=callout,
                detail={"shift": shift.pk, "person": person.pk, "group": group},
            )
    except IntegrityError:
        # A second click (or a second lead) got there first.
        raise ValidationError(already, code="duplicate") from None
    return callout


def _expire(callout: CallOut, now: dt.datetime) -> None:
    CallOut.objects.filter(pk=callout.pk, status=CallOut.Status.PENDING).update(
        status=CallOut.Status.EXPIRED, updated_at=now
    )


def callout_answer(*, actor: Any, callout: CallOut, accept: bool) -> CallOut:
    """The called member accepts (and is rostered on the shift) or declines."""
    now = timezone.now()
    expired = False
    with transaction.atomic():
        callout = (
            CallOut.objects.select_for_update(of=("self",))
            .select_related("shift__post__school__unit__region", "person__user", "called_by")
            .get(pk=callout.pk)
        )
        person = callout.person
        if person.user_id is None or person.user_id != getattr(actor, "pk", None):
            raise Http404
        wanted = CallOut.Status.ACCEPTED if accept else CallOut.Status.DECLINED
        if callout.status == wanted:
            return callout  # a second tap on the same answer
        if callout.status != CallOut.Status.PENDING:
            raise ValidationError(
                _("This call-out has already been answered or withdrawn."), code="answered"
            )
        shift = callout.shift
        if is_over(shift, now):
            _expire(callout, now)
            expired = True
        else:
            if accept:
                # Serialise changes to this member's shifts, as the roster services do.
                Person.objects.select_for_update().filter(pk=person.pk).first()
                assignment = Assignment.objects.filter(
                    shift=shift, person=person, dropped_at__isnull=True
                ).first()
                if assignment is None:
                    problem = _problem(shift, person, callout.group)
                    if problem:
                        raise ValidationError(PROBLEM_TEXT[problem], code=problem)
                    # The roster's own write: the member is told and reminded, and it is
                    # audited as a substitute's assignment.
                    assignment = assignment_place(
                        actor=actor,
                        shift=shift,
                        person=person,
                        source=Assignment.Source.SUBSTITUTE,
                        locked=True,
                        publish=True,
                    )
                callout.assignment = assignment
            callout.status = wanted
            callout.answered_at = now
            callout.save(update_fields=["status", "answered_at", "assignment", "updated_at"])
            with translation.override(settings.LANGUAGE_CODE):
                values = {"name": person.name, "post": shift.post, "window": window_text(shift)}
                if accept:
                    subject = _("%(name)s is coming to %(post)s") % values
                    body = _("%(name)s accepted your call-out for %(post)s, %(window)s.") % values
                else:
                    subject = _("%(name)s cannot come to %(post)s") % values
                    body = _("%(name)s declined your call-out for %(post)s, %(window)s.") % values
            _tell(
                callout.called_by,
                key=f"callout:{callout.pk}:answer",
                kind="callout.answer",
                subject=subject,
                body=body,
                callout=callout,
                url=shift_url(shift),
            )
            audit.record(
                action="callout.accept" if accept else "callout.decline",
                actor=actor,
                obj=callout,
                detail={"shift": shift.pk, "assignment": callout.assignment_id},
            )
    if expired:
        raise ValidationError(_("This call-out has expired: the window is over."), code="expired")
    return callout


def callout_cancel(*, actor: Any, callout: CallOut) -> CallOut:
    """A lead withdraws a call-out nobody has answered yet."""
    with transaction.atomic():
        callout = (
            CallOut.objects.select_for_update(of=("self",))
            .select_related("shift__post__school__unit", "person__user")
            .get(pk=callout.pk)
        )
        if not may(actor, callout.shift, "callout"):
            raise Http404
        if callout.status != CallOut.Status.PENDING:
            raise ValidationError(
                _("This call-out has already been answered or withdrawn."), code="answered"
            )
        callout.status = CallOut.Status.CANCELLED
        callout.save(update_fields=["status", "updated_at"])
        if not notify_cancel(dedupe_keys=[f"callout:{callout.pk}"]):
            # The request already went out: tell the member it is no longer needed.
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("You are no longer needed at %(post)s") % {"post": callout.shift.post}
                body = _("The call-out for %(post)s, %(window)s, was withdrawn. Thank you.") % {
                    "post": callout.shift.post,
                    "window": window_text(callout.shift),
                }
            _tell(
                callout.person.user,
                key=f"callout:{callout.pk}:cancelled",
                kind="callout",
                subject=subject,
                body=body,
                callout=callout,
                url=callout_url(callout),
            )
        audit.record(action="callout.cancel", actor=actor, obj=callout, detail={})
    return callout


def callouts_expire(*, now: dt.datetime | None = None) -> int:
    """Call-outs still waiting for an answer when their window ended; returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            CallOut.objects.select_for_update(of=("self",))
            .filter(
                Q(shift__ends_at__lte=now) | Q(shift__cancelled_at__isnull=False),
                status=CallOut.Status.PENDING,
            )
            .order_by("pk")
        )
        CallOut.objects.filter(pk__in=[c.pk for c in due]).update(
            status=CallOut.Status.EXPIRED, updated_at=now
        )
        for callout in due:
            audit.record(
                action="callout.expire",
                obj=callout,
                detail={"shift": callout.shift_id, "person": callout.person_id},
            )
    return len(due)
