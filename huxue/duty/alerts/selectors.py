"""Reads for the lead's shift page, gap alerts and call-outs.

Who may do what, on top of ``huxue.orgs.access`` (the lead pages are not for members, whose
"self" scope would otherwise reach their school's shifts): a shift is seen by those who may read
gap alerts there; roll call needs write on check-ins there, call-outs write on call-outs there.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from huxue.duty.models import CallOut, CheckIn, GapAlert
from huxue.orgs import access
from huxue.orgs.models import Membership, User
from huxue.orgs.roles import Role
from huxue.roster.models import Shift


def _counts(checkins: QuerySet[CheckIn], shift_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not shift_ids:
        return counts
    rows = (
        checkins.filter(shift_id__in=shift_ids, voided_at__isnull=True)
        .values_list("shift_id", "group")
        .annotate(n=Count("id"))
        .order_by()
    )
    for shift_id, group, n in rows:
        counts[shift_id][group] = n
    return counts


def on_duty_counts(shift_ids: list[int]) -> dict[int, dict[str, int]]:
    """Members on duty now per shift and force group: accepted check-ins not checked out."""
    return _counts(CheckIn.objects.filter(checked_out_at__isnull=True), shift_ids)


def came_counts(shift_ids: list[int]) -> dict[int, dict[str, int]]:
    """Members who came per shift and force group: accepted check-ins, gone home or not (what
    an ended window is judged by)."""
    return _counts(CheckIn.objects.all(), shift_ids)


def shortfall(requirements: dict[str, Any], on_duty: dict[str, int]) -> dict[str, int]:
    """How many are missing per force group (only the groups that are short)."""
    missing = {}
    for group, need in requirements.items():
        gap = int(need) - on_duty.get(group, 0)
        if gap > 0:
            missing[group] = gap
    return missing


def on_duty_elsewhere(shift: Shift, person_ids: list[int]) -> set[int]:
    """Of these members, those checked in (and not yet out) on another shift that overlaps this
    one: at another post at that time, whatever the roster says."""
    if not person_ids:
        return set()
    return set(
        CheckIn.objects.filter(
            person_id__in=person_ids,
            voided_at__isnull=True,
            checked_out_at__isnull=True,
            shift__starts_at__lt=shift.ends_at,
            shift__ends_at__gt=shift.starts_at,
        )
        .exclude(shift=shift)
        .values_list("person_id", flat=True)
    )


def shift_url(shift: Shift) -> str:
    return settings.HUXUE_BASE_URL.rstrip("/") + reverse("duty:shift", args=[shift.pk])


def window_text(shift: Shift) -> str:
    return f"{shift.day:%Y-%m-%d} {shift.hours}"


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


def shifts_to_call_for(user: Any) -> QuerySet[Shift]:
    """The shifts, not cancelled, where ``user`` may call out substitutes."""
    return shifts_for_lead(user, "callout").filter(cancelled_at__isnull=True)


def gap_alerts_visible_to(user: Any) -> QuerySet[GapAlert]:
    """The gap alerts ``user`` may read, the latest first."""
    return access.filter(
        user,
        "read",
        GapAlert.objects.select_related("shift__post__school__unit").order_by("-raised_at", "-pk"),
    )


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
