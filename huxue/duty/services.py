"""Writes for duty at the gate: check-in, check-out, roll call, voiding, closing stale check-ins.

Keyword-only, one transaction each. A refusal raises ``CheckInRefused`` (a ValidationError with a
reason code and the HTTP status it maps to) before anything is written. The database's unique
constraints (one open check-in per member, one check-in per member per window) hold even when two
requests race; the loser gets the same refusal as if it had come second.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huxue.core import audit
from huxue.core.db import insert, new, planned_cursor, saved
from huxue.core.geo import distance_m
from huxue.core.rulesets import ruleset_save
from huxue.duty import gate
from huxue.duty.gate import GateView, checkin_by_key, gate_view
from huxue.duty.idempotency import KeyReused
from huxue.duty.models import CheckIn, DutyRules
from huxue.duty.rules import (
    RulesMemo,
    Verdict,
    Window,
    effective_time,
    judge,
    radius_m,
)
from huxue.orgs.models import Region
from huxue.people.models import Person
from huxue.posts.models import Post
from huxue.roster.models import Shift

REFUSALS = {
    "too_old": gettext_lazy(
        "This check-in waited too long on the phone to be accepted; ask your school lead to record "
        "your attendance."
    ),
    "too_early": gettext_lazy("Check-in for this window has not opened yet."),
    "window_over": gettext_lazy("This duty window is over."),
    "no_post": gettext_lazy(
        "This post does not exist, or its QR poster has been replaced by a new one."
    ),
    "no_window": gettext_lazy("There is no duty window at this post now."),
    "outside": gettext_lazy(
        "You are %(distance)s m from the post, outside its %(radius)s m area. Go to the gate and "
        "try again."
    ),
    "not_rostered": gettext_lazy(
        "You are not on the roster for this window, and this city accepts rostered members only."
    ),
    "void": gettext_lazy("This member's record has been voided."),
    "no_member": gettext_lazy("Your account is not linked to a member record."),
    "post_void": gettext_lazy("This post is no longer in use."),
    "position_needed": gettext_lazy(
        "Checking in by location needs your phone's position; allow location and try again."
    ),
    "already_here": gettext_lazy("You are already checked in for this window (since %(time)s)."),
    "already_done": gettext_lazy("You have already checked in and out for this window."),
    "open_elsewhere": gettext_lazy("You are still checked in at %(post)s; check out there first."),
    "not_open": gettext_lazy("This check-in is already closed."),
    "busy": gettext_lazy("Another check-in for you is being saved; try again in a moment."),
}

# Refusals that say "the state already is so" answer 409; the rest are unprocessable input.
CONFLICTS = frozenset({"already_here", "already_done", "open_elsewhere", "not_open", "busy"})


class CheckInRefused(ValidationError):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(str(REFUSALS[code]) % params if params else str(REFUSALS[code]), code=code)
        self.reason = code
        self.status = 409 if code in CONFLICTS else 422
        self.extra: dict[str, Any] = {}


@dataclass(frozen=True)
class Position:
    latitude: Decimal
    longitude: Decimal
    accuracy_m: float | None = None


def _local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%H:%M")


def window_at(post: Post, at: dt.datetime, *, rules: DutyRules) -> Shift | None:
    """The post's shift open for check-in at this moment (the earliest, if windows touch)."""
    return (
        Shift.objects.filter(
            post=post,
            cancelled_at__isnull=True,
            starts_at__lte=at + dt.timedelta(minutes=rules.early_minutes),
            ends_at__gte=at,
        )
        .order_by("starts_at")
        .first()
    )


def close_check_in(
    checkin: CheckIn,
    *,
    at: dt.datetime,
    method: str,
    now: dt.datetime,
    device_at: dt.datetime | None = None,
    position: Position | None = None,
) -> None:
    checkin.checked_out_at = max(at, checkin.at)
    checkin.checkout_server_at = now
    checkin.checkout_device_at = device_at
    checkin.checkout_method = method
    fields = ["checked_out_at", "checkout_server_at", "checkout_device_at", "checkout_method"]
    if position is not None:
        checkin.checkout_latitude = position.latitude
        checkin.checkout_longitude = position.longitude
        checkin.checkout_accuracy_m = position.accuracy_m
        checkin.checkout_distance_m = round(
            distance_m(
                float(position.latitude),
                float(position.longitude),
                float(checkin.post.latitude),
                float(checkin.post.longitude),
            ),
            1,
        )
        fields += [
            "checkout_latitude",
            "checkout_longitude",
            "checkout_accuracy_m",
            "checkout_distance_m",
        ]
    checkin.save(update_fields=fields)


def _clear_the_way(person: Person, shift: Shift, *, now: dt.datetime) -> None:
    """Refuse a second check-in for the same window; close an open one whose window is over."""
    for existing in CheckIn.objects.select_related("post__school__unit", "shift").filter(
        Q(shift=shift) | Q(checked_out_at__isnull=True), person=person, voided_at__isnull=True
    ):
        if existing.shift_id == shift.pk:
            if existing.is_open:
                error = CheckInRefused("already_here", time=_local(existing.at))
            else:
                error = CheckInRefused("already_done")
            error.extra = {"checkin": existing.pk}
            raise error
        if existing.shift.ends_at <= now:
            close_check_in(
                existing, at=existing.shift.ends_at, method=CheckIn.Checkout.AUTO, now=now
            )
        else:
            raise CheckInRefused("open_elsewhere", post=str(existing.post))


@dataclass(frozen=True)
class CheckInPlan:
    """A check-in judged and ready to be written. ``check_in_plan`` makes it with reads only, so
    a caller can make it before taking the database's write lock (the API does: on SQLite the
    lock is the whole database's) and hold the lock only for ``check_in_record``."""

    actor: Any
    person: Person
    post: Post
    shift: Shift
    assignment_id: int | None
    method: str
    at: dt.datetime
    now: dt.datetime
    device_at: dt.datetime | None
    position: Position | None
    distance: float | None
    verdict: Verdict


def check_in_moment(
    method: str, now: dt.datetime, device_at: dt.datetime | None
) -> tuple[dt.datetime, bool]:
    """When a check-in happened and whether it was sent later (a roll call is now)."""
    if method == CheckIn.Method.ROLLCALL:
        return now, False
    return effective_time(now, device_at)


def check_in_plan(
    *,
    actor: Any,
    person: Person,
    method: str,
    post: Post | None = None,
    post_id: int | None = None,
    qr_token: str = "",
    device_at: dt.datetime | None = None,
    position: Position | None = None,
    now: dt.datetime | None = None,
    view: GateView | None | Literal[False] = False,
) -> CheckInPlan:
    """Judge a check-in at a post (given, or named by id or QR token) by the city's rules; raises
    ``CheckInRefused``, writes nothing. One read (``gate.gate_view``), or none when the caller
    passes the ``view`` it read for this member at ``check_in_moment`` (None: no live post)."""
    now = now or timezone.now()
    if person.is_void:
        raise CheckInRefused("void")
    if method == CheckIn.Method.GPS and position is None:
        raise CheckInRefused("position_needed")
    at, delayed = check_in_moment(method, now, device_at)
    if view is False:
        view = gate_view(
            post_id=post.pk if post is not None else post_id,
            qr_token="" if post is not None else qr_token,
            person_id=person.pk,
            at=at,
        )
    if view is None:
        raise CheckInRefused("post_void" if post is not None else "no_post")
    return _judged(
        view,
        rostered=view.assignment_id is not None,
        actor=actor,
        person=person,
        method=method,
        at=at,
        now=now,
        delayed=delayed,
        device_at=device_at,
        position=position,
    )


def _judged(
    view: GateView,
    *,
    rostered: bool,
    actor: Any,
    person: Person,
    method: str,
    at: dt.datetime,
    now: dt.datetime,
    delayed: bool,
    device_at: dt.datetime | None,
    position: Position | None,
) -> CheckInPlan:
    """The check-in judged against this gate by the city's rules (``rostered``: whether the
    member has an assignment to the window, the view's); raises ``CheckInRefused``."""
    rules, shift = view.rules, view.shift
    # The earliest shift not over at that moment is the window; ``judge`` says whether it is
    # open yet.
    if shift is None:
        raise CheckInRefused("no_window")
    post = view.post
    radius = radius_m(rules, post.geofence_m)
    distance = None
    if position is not None:
        distance = round(
            distance_m(
                float(position.latitude),
                float(position.longitude),
                float(post.latitude),
                float(post.longitude),
            ),
            1,
        )
    verdict = judge(
        rules=rules,
        window=Window(shift.starts_at, shift.ends_at),
        at=at,
        now=now,
        delayed=delayed,
        rostered=rostered,
        distance=distance,
        accuracy=position.accuracy_m if position else None,
        radius=radius,
    )
    if verdict.refused:
        raise CheckInRefused(verdict.refused, distance=f"{distance or 0:.0f}", radius=radius)
    return CheckInPlan(
        actor=actor,
        person=person,
        post=post,
        shift=shift,
        assignment_id=view.assignment_id,
        method=method,
        at=max(at, shift.starts_at - dt.timedelta(minutes=rules.early_minutes)),
        now=now,
        device_at=device_at,
        position=position,
        distance=distance,
        verdict=verdict,
    )


def _values(plan: CheckInPlan, *, key: str, digest: str) -> dict[str, Any]:
    """The new check-in row's values: the member's own, then ``_written``."""
    return {
        **_members_own(plan.person, plan.assignment_id, walkin=plan.verdict.walkin),
        **_written(plan, key=key, digest=digest),
    }


def _members_own(person: Person, assignment_id: int | None, *, walkin: bool) -> dict[str, Any]:
    """The new check-in row's values that are the member's: their person, assignment, force
    type and group, whether a walk-in."""
    return {
        "person_id": person.pk,
        "assignment_id": assignment_id,
        "group": person.force_group,
        "force_type": person.force_type,
        "is_walkin": walkin,
    }


def _written(plan: CheckInPlan, *, key: str, digest: str) -> dict[str, Any]:
    """The new check-in row's values but the member's own (their person, force type and group,
    assignment, whether a walk-in)."""
    position, verdict = plan.position, plan.verdict
    rollcall = plan.method == CheckIn.Method.ROLLCALL
    return {
        "post_id": plan.post.pk,
        "shift_id": plan.shift.pk,
        "day": plan.shift.day,
        "method": plan.method,
        "at": plan.at,
        "server_at": plan.now,
        "device_at": plan.device_at,
        "latitude": position.latitude if position else None,
        "longitude": position.longitude if position else None,
        "accuracy_m": position.accuracy_m if position else None,
        "distance_m": plan.distance,
        "is_late": verdict.late,
        "is_outside": verdict.outside,
        "is_delayed": verdict.delayed,
        "recorded_by_id": plan.actor.pk if rollcall else None,
        "client_key": key,
        "request_hash": digest,
    }


def _keep_related(checkin: CheckIn, plan: CheckInPlan, person: Person) -> None:
    # The related rows are at hand: keep them on the check-in (its answer names the post).
    CheckIn.person.field.set_cached_value(checkin, person)
    CheckIn.post.field.set_cached_value(checkin, plan.post)
    CheckIn.shift.field.set_cached_value(checkin, plan.shift)
    if plan.method == CheckIn.Method.ROLLCALL:
        CheckIn.recorded_by.field.set_cached_value(checkin, plan.actor)


def _create(plan: CheckInPlan, *, key: str, digest: str) -> CheckIn:
    checkin = new(CheckIn, _values(plan, key=key, digest=digest))
    insert(checkin)
    _keep_related(checkin, plan, plan.person)
    return checkin


def check_in_by_token(
    *,
    token: str,
    method: str,
    post_id: int | None = None,
    qr_token: str = "",
    device_at: dt.datetime | None = None,
    position: Position | None = None,
    now: dt.datetime,
    key: str,
    digest: str,
) -> tuple[Person, CheckIn] | None:
    """A member's check-in with their API token in one statement (PostgreSQL, where each
    statement is a round trip to the server): judged against the gate this process last read
    for the post (``gate.known_gate``), written by ``gate.check_in_statement`` only when the
    token is a live member's who may check in and the gate is still the same. Returns the member
    and the check-in, or None when it was not written so (no gate known yet, a refusal, the gate
    changed, a retry, anything unusual): the caller then checks in the usual way, which reads
    first and says why. Writes nothing else."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        return None
    known = gate.known_gate(post_id=post_id, qr_token=qr_token)
    if known is None or (method == CheckIn.Method.GPS and position is None):
        return None
    stamp, view = known
    at, delayed = check_in_moment(method, now, device_at)
    try:  # as if rostered: the statement finds the assignment, or refuses when the city must
        plan = _judged(
            view,
            rostered=True,
            actor=None,
            person=new(Person, {}),  # known once written
            method=method,
            at=at,
            now=now,
            delayed=delayed,
            device_at=device_at,
            position=position,
        )
    except CheckInRefused:
        return None
    checkin = new(CheckIn, _written(plan, key=key, digest=digest))
    sql, params = gate.check_in_statement(
        checkin,
        key=token,
        post_id=post_id,
        qr_token=qr_token,
        at=at,
        stamp=stamp,
        rostered_only=view.rules.walkins == DutyRules.Mode.REFUSE,
        db=db,
    )
    try:
        with (
            transaction.atomic() if db.in_atomic_block else nullcontext(),
            planned_cursor(db) as cursor,
        ):
            cursor.execute(sql, params)
            row = cursor.fetchone()
    except IntegrityError:  # already checked in, a retry…: the usual way says which
        return None
    if row is None or row[-3] is None:
        return None
    member = gate.member_of(row)
    checkin_id, assignment_id, walkin = row[-3:]
    checkin.__dict__.update(_members_own(member, assignment_id, walkin=walkin))
    saved(checkin, checkin_id, db)
    _keep_related(checkin, plan, member)
    return member, checkin


def replay(found: CheckIn, digest: str) -> CheckIn:
    if found.request_hash != digest:
        raise KeyReused
    found.replayed = True  # type: ignore[attr-defined]
    return found


def check_in_record(plan: CheckInPlan, *, key: str = "", digest: str = "") -> CheckIn:
    """Write a judged check-in. With the client's key (and the digest of its request), a retry
    of a check-in already written returns that one, marked ``replayed``; the same key with
    another request raises ``KeyReused``.

    One INSERT, on its own (autocommit) or in a savepoint inside a caller's transaction: the
    unique constraints (the member's client key; one open check-in per member; one per member
    per window) say whether anything is in the way, so the usual case costs no read. When
    something is (rare): a retry answers with its first check-in; otherwise ``_clear_the_way``
    refuses, or closes a check-in left open at a window that is over, and the insert is tried
    once more."""
    rollcall = plan.method == CheckIn.Method.ROLLCALL
    try:
        if connection.in_atomic_block or rollcall:
            with transaction.atomic():
                checkin = _create(plan, key=key, digest=digest)
                if rollcall:
                    _audit_rollcall(plan, checkin)
        else:
            checkin = _create(plan, key=key, digest=digest)
        return checkin
    except IntegrityError:
        if (found := checkin_by_key(plan.person, key)) is not None:
            return replay(found, digest)
    try:
        with transaction.atomic():
            _clear_the_way(plan.person, plan.shift, now=plan.now)
            checkin = _create(plan, key=key, digest=digest)
            if rollcall:
                _audit_rollcall(plan, checkin)
            return checkin
    except IntegrityError:
        # A concurrent request for the same member won: a twin of this one (same key), or
        # another check-in for the window; answer as if this one had come second.
        if (found := checkin_by_key(plan.person, key)) is not None:
            return replay(found, digest)
        existing = (
            CheckIn.objects.filter(person=plan.person, voided_at__isnull=True)
            .filter(shift=plan.shift)
            .first()
        )
        if existing is None:
            raise CheckInRefused("busy") from None
        if existing.is_open:
            error = CheckInRefused("already_here", time=_local(existing.at))
        else:
            error = CheckInRefused("already_done")
        error.extra = {"checkin": existing.pk}
        raise error from None


def _audit_rollcall(plan: CheckInPlan, checkin: CheckIn) -> None:
    audit.record(
        action="duty.rollcall",
        actor=plan.actor,
        obj=checkin,
        detail={"person": plan.person.pk, "shift": plan.shift.pk},
    )


def check_in(
    *,
    actor: Any,
    person: Person,
    post: Post,
    method: str,
    device_at: dt.datetime | None = None,
    position: Position | None = None,
    now: dt.datetime | None = None,
) -> CheckIn:
    """A member checks in at a post (by its QR poster, by location, or a lead's roll call)."""
    if post.is_void:
        raise CheckInRefused("post_void")
    return check_in_record(
        check_in_plan(
            actor=actor,
            person=person,
            post=post,
            method=method,
            device_at=device_at,
            position=position,
            now=now,
        )
    )


def check_out(
    *,
    actor: Any,
    checkin: CheckIn,
    device_at: dt.datetime | None = None,
    position: Position | None = None,
    rollcall: bool = False,
    now: dt.datetime | None = None,
) -> CheckIn:
    """End a member's duty: by the member, or by a lead at roll call."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            CheckIn.objects.select_for_update().select_related("post", "shift").get(pk=checkin.pk)
        )
        if not locked.is_open:
            error = CheckInRefused("not_open")
            error.extra = {"checkin": locked.pk}
            raise error
        at, _delayed = effective_time(now, device_at)
        close_check_in(
            locked,
            at=min(at, now),
            method=CheckIn.Checkout.ROLLCALL if rollcall else CheckIn.Checkout.SELF,
            now=now,
            device_at=device_at,
            position=position,
        )
    if rollcall:
        audit.record(action="duty.rollcall.out", actor=actor, obj=locked, detail={})
    return locked


def checkin_void(*, actor: Any, checkin: CheckIn, reason: str) -> CheckIn:
    """Take a check-in out of the person-times, with a reason; the row stays for the record."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why this check-in is being voided."))
    with transaction.atomic():
        updated = CheckIn.objects.filter(pk=checkin.pk, voided_at__isnull=True).update(
            voided_at=timezone.now(),
            void_reason=reason[:200],
        )
        if not updated:
            raise ValidationError(_("This check-in has already been voided."))
        checkin.refresh_from_db()
        audit.record(
            action="duty.checkin.void", actor=actor, obj=checkin, detail={"reason": reason}
        )
    return checkin


def close_stale(*, now: dt.datetime | None = None) -> int:
    """Close check-ins left open past their window's end plus the city's grace; returns how many."""
    now = now or timezone.now()
    closed = 0
    candidates = (
        CheckIn.objects.filter(
            checked_out_at__isnull=True, voided_at__isnull=True, shift__ends_at__lt=now
        )
        .select_related("shift", "post__school__unit__region")
        .order_by("pk")
    )
    rules_of = RulesMemo()
    for checkin in candidates.iterator(chunk_size=500):
        rules = rules_of(checkin.post.school.unit.region)
        if checkin.shift.ends_at + dt.timedelta(minutes=rules.auto_checkout_minutes) > now:
            continue
        with transaction.atomic():
            if CheckIn.objects.filter(pk=checkin.pk, checked_out_at__isnull=True).update(
                checked_out_at=checkin.shift.ends_at,
                checkout_server_at=now,
                checkout_method=CheckIn.Checkout.AUTO,
            ):
                closed += 1
    return closed


def duty_rules_save(*, actor: Any, region: Region, values: dict[str, Any]) -> DutyRules:
    """Set a region's duty rules (they apply to it and the regions under it)."""
    saved: DutyRules = ruleset_save(
        model=DutyRules, actor=actor, region=region, values=values, action="duty.rules.save"
    )
    return saved
