"""Call-outs: a lead asks a member from the pool to come to a short post now; the member answers.

Writes are keyword-only and run in one transaction with their audit line; the member and the lead
are told through the outbox (keys carry the call-out's id, so nothing is sent twice). Accepting
puts the member on the shift's roster (an ``Assignment`` from source "substitute") in the same
transaction, so their check-in at the post counts as rostered, not as a walk-in. A call-out still
waiting when its window ends expires.

Who may do what, on top of ``huxue.orgs.access`` (the lead pages are not for members, whose
"self" scope would otherwise reach their school's shifts): a shift is seen by those who may read
gap alerts there; roll call needs write on check-ins there, call-outs write on call-outs there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huxue.core import audit
from huxue.duty.alerts import shift_url, window_text
from huxue.duty.models import CallOut
from huxue.notify.services import notify_cancel, notify_enqueue
from huxue.orgs import access
from huxue.people.models import Person
from huxue.roster.models import Assignment, Shift
from huxue.roster.swaps import (
    PROBLEM_TEXT,
    assignment_place,
    candidates_for,
    substitute_problem,
)

LIVE = (CallOut.Status.PENDING, CallOut.Status.ACCEPTED)

# What each thing a lead does on the shift page needs: (action, object type).
NEEDS = {
    "view": ("read", "gapalert"),
    "rollcall": ("write", "checkin"),
    "callout": ("write", "callout"),
}


def lead_scope(user: Any, need: str = "view") -> Q:
    """The shifts on which the user may do this (always within those they may watch)."""
    where = access.scope(user, "read", Shift, as_type="gapalert")
    if need != "view":
        action, kind = NEEDS[need]
        where &= access.scope(user, action, Shift, as_type=kind)
    return where


def shifts_for_lead(user: Any, need: str = "view") -> QuerySet[Shift]:
    return Shift.objects.filter(lead_scope(user, need)).select_related(
        "post__school__unit__region", "post__school__station"
    )


def shift_for_lead(user: Any, *, pk: int, need: str = "view") -> Shift:
    shift = shifts_for_lead(user, need).filter(pk=pk).first()
    if shift is None:
        raise Http404
    return shift


def may(user: Any, shift: Shift, need: str) -> bool:
    return Shift.objects.filter(lead_scope(user, need), pk=shift.pk).exists()


def callouts_visible_to(user: Any) -> QuerySet[CallOut]:
    """Your own call-outs (a member) and those on shifts you watch (leads, officers)."""
    own = Q(person__user=user) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    watched = Q(shift__in=Shift.objects.filter(lead_scope(user, "view")).values("pk"))
    return access.filter(
        user,
        "read",
        CallOut.objects.filter(own | watched).select_related(
            "shift__post__school__unit", "person", "called_by"
        ),
    )


def callout_of_member(user: Any, *, pk: int) -> CallOut:
    """A call-out as the called member sees it; anyone else (a lead too) gets 404."""
    return access.get_or_404(
        user,
        "read",
        CallOut.objects.filter(person__user=user).select_related(
            "shift__post__school__unit", "person__user", "assignment"
        ),
        pk=pk,
    )


def callout_url(callout: CallOut) -> str:
    return settings.HUXUE_BASE_URL.rstrip("/") + reverse("duty:callout", args=[callout.pk])


def is_over(shift: Shift, now: dt.datetime) -> bool:
    return shift.cancelled_at is not None or shift.ends_at <= now


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
