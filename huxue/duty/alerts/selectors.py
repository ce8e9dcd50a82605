"""Reads for the lead's shift page, gap alerts and call-outs.

Who may do what, on top of ``huxue.orgs.access`` (the lead pages are not for members, whose
"self" scope would otherwise reach their school's shifts): a shift is seen by those who may read
gap alerts there; roll call needs write on check-ins there, call-outs write on call-outs there.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from huxue.core.validators import mask_name
from huxue.duty.models import CallOut, CheckIn, GapAlert
from huxue.notify.models import Notification
from huxue.orgs import access
from huxue.orgs.models import Membership, User
from huxue.orgs.roles import Role
from huxue.people.forces import GROUP_LABELS
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


def on_duty_counts(
    shift_ids: list[int], *, at: dt.datetime | None = None
) -> dict[int, dict[str, int]]:
    """Members on duty per shift and force group: accepted check-ins not checked out. At a moment
    ``at`` (a scan replayed for a past time): those the server had received by then and not yet
    checked out; for the present moment that is the same thing."""
    if at is None:
        return _counts(CheckIn.objects.filter(checked_out_at__isnull=True), shift_ids)
    on_duty = CheckIn.objects.filter(server_at__lte=at).filter(
        Q(checked_out_at__isnull=True) | Q(checked_out_at__gt=at)
    )
    return _counts(on_duty, shift_ids)


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


# --- the gap-alert list (缺岗提醒) ----------------------------------------------------------

OPEN, RESOLVED = "open", "resolved"


@dataclass(frozen=True)
class AlertFilters:
    """What the list is narrowed to; every field optional. ``district`` is a region code (its
    subtree), ``station`` a police station's unit id, ``post`` a post's id, ``start``/``end``
    the days of the windows alerted (inclusive), ``state`` open or resolved."""

    district: str = ""
    station: int | None = None
    post: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    state: str = ""


def gap_alerts_allowed(user: Any) -> bool:
    return access.allowed(user, "read", GapAlert)


def gap_alerts_listed(user: Any, *, filters: AlertFilters | None = None) -> QuerySet[GapAlert]:
    """The gap alerts ``user`` may read, narrowed by ``filters``, the latest raised first; 404 for
    a user who may read none (a duty member)."""
    if not gap_alerts_allowed(user):
        raise Http404
    f = filters or AlertFilters()
    alerts = gap_alerts_visible_to(user).select_related(
        "shift__post__school__unit__region", "shift__post__school__station"
    )
    if f.district:
        # Region paths are the codes from the root ("/230900/230902/"): a code names its subtree.
        alerts = alerts.filter(shift__post__school__unit__region__path__contains=f"/{f.district}/")
    if f.station:
        alerts = alerts.filter(shift__post__school__station_id=f.station)
    if f.post:
        alerts = alerts.filter(shift__post_id=f.post)
    if f.start:
        alerts = alerts.filter(shift__day__gte=f.start)
    if f.end:
        alerts = alerts.filter(shift__day__lte=f.end)
    if f.state == OPEN:
        alerts = alerts.filter(resolved_at__isnull=True)
    elif f.state == RESOLVED:
        alerts = alerts.filter(resolved_at__isnull=False)
    return alerts


@dataclass(frozen=True)
class Told:
    """One message sent (or waiting to go) about an alert: to a person's account or a group."""

    recipient: str  # a masked name, or "unit · channel"
    via: str  # the channel's kind in words; "" for a person's account
    status: str
    status_label: str
    sent_at: dt.datetime | None


@dataclass(frozen=True)
class Came:
    """A member who checked in at the post after the alert was raised."""

    name: str  # masked
    group_label: str
    at: dt.datetime
    substitute: bool  # came because a lead called them out


@dataclass(frozen=True)
class Asked:
    """A member a lead called out to the post, and their answer."""

    name: str  # masked
    status: str
    status_label: str


@dataclass
class AlertRow:
    alert: GapAlert
    short: list[tuple[str, int]]  # (force group in words, how many missing) when raised
    told: list[Told] = field(default_factory=list)
    came: list[Came] = field(default_factory=list)
    asked: list[Asked] = field(default_factory=list)

    @property
    def shift(self) -> Shift:
        return self.alert.shift

    @property
    def is_open(self) -> bool:
        return self.alert.resolved_at is None


def _gap_key_prefix(shift_id: int) -> str:
    # The keys gap alerts are queued under (huxue.duty.alerts.services._raise).
    return f"gap:{shift_id}:"


def gap_alert_rows(alerts: list[GapAlert]) -> list[AlertRow]:
    """Who was told, who came and who was called out, for these alerts (already read through
    ``gap_alerts_listed``): three queries whatever their number. Names are masked."""
    if not alerts:
        return []
    shift_ids = [a.shift_id for a in alerts]
    rows = {
        a.shift_id: AlertRow(
            alert=a,
            short=[
                (str(GROUP_LABELS.get(group, group)), int(n))
                for group, n in sorted((a.short or {}).items())
                if int(n) > 0
            ],
        )
        for a in alerts
    }

    told_where = Q(pk__in=[])
    for shift_id in shift_ids:
        told_where |= Q(dedupe_key__startswith=_gap_key_prefix(shift_id))
    notifications = list(
        Notification.objects.filter(told_where, kind="gap_alert")
        .select_related("user", "channel__unit")
        .order_by("channel_id", "pk")
    )
    # An account told is named by its post (the school's security lead, the station's officer),
    # not by the person: the same words whoever holds the account.
    posts_of: dict[int, dict[int, str]] = defaultdict(dict)
    for m in Membership.objects.filter(
        user_id__in={n.user_id for n in notifications if n.user_id},
        role__in=(Role.SCHOOL_LEAD, Role.STATION),
    ).select_related("unit"):
        if m.unit_id is not None and m.unit is not None:
            posts_of[m.user_id][m.unit_id] = f"{m.unit.name} · {m.get_role_display()}"
    units_of = {
        a.shift_id: (a.shift.post.school.unit_id, a.shift.post.school.station_id) for a in alerts
    }
    for n in notifications:
        shift_id = int(n.dedupe_key.split(":")[1])
        if n.channel is not None:
            recipient = f"{n.channel.unit.name} · {n.channel.name}"
            via = str(n.channel.get_kind_display())
        else:
            held = posts_of.get(n.user_id or 0, {})
            named = [held[u] for u in units_of[shift_id] if u in held]
            recipient, via = (named[0] if named else mask_name(str(n.user))), ""
        rows[shift_id].told.append(
            Told(
                recipient=recipient,
                via=via,
                status=n.status,
                status_label=str(n.get_status_display()),
                sent_at=n.sent_at,
            )
        )

    callouts = (
        CallOut.objects.filter(shift_id__in=shift_ids)
        .select_related("person")
        .order_by("created_at", "pk")
    )
    called: dict[int, set[int]] = defaultdict(set)
    for callout in callouts:
        rows[callout.shift_id].asked.append(
            Asked(
                name=mask_name(callout.person.name),
                status=callout.status,
                status_label=str(callout.get_status_display()),
            )
        )
        if callout.status == CallOut.Status.ACCEPTED:
            called[callout.shift_id].add(callout.person_id)

    earliest = min(a.raised_at for a in alerts)
    checkins = (
        CheckIn.objects.filter(shift_id__in=shift_ids, voided_at__isnull=True, at__gte=earliest)
        .select_related("person")
        .order_by("at", "pk")
    )
    for c in checkins:
        row = rows[c.shift_id]
        resolved = row.alert.resolved_at
        if c.at < row.alert.raised_at or (resolved is not None and c.at > resolved):
            continue
        row.came.append(
            Came(
                name=mask_name(c.person.name),
                group_label=str(GROUP_LABELS.get(c.group, c.group)),
                at=c.at,
                substitute=c.person_id in called[c.shift_id],
            )
        )
    return [rows[a.shift_id] for a in alerts]
