"""Writes for duty at the gate: check-in, check-out, roll call, voiding, closing stale check-ins.

A check-in takes three steps: ``gate.gate_read`` (one query: the window, its post, school and
rules, the member's assignment to it and whether the actor may check in at all),
``rules.judge`` (a pure function: refused, or accepted with its flags), and one INSERT. A refusal
raises ``CheckInRefused`` (a ValidationError with a reason code and the HTTP status it maps to)
before anything is written. The database's unique constraints (one open check-in per member, one
per member per window, one per member and client key) hold when two requests race; the loser
gets the answer it would have got coming second.

Retries: the client's key (the ``Idempotency-Key`` header) and a digest of its request are
written on the row they made: a check-in's ``client_key``, a check-out's ``checkout_key``. A
retry finds its first answer there, marked ``replayed``; the same key with another request is
refused (``KeyReused``). Nothing else is stored, so a check-in stays one INSERT. A refusal is not
kept: the client may try again once the reason is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huxue.calendar.days_off import DayOff, post_day_off
from huxue.core import audit, rulesets
from huxue.core.geo import distance_m
from huxue.core.rulesets import ruleset_save
from huxue.duty.checkin.gate import Gate, gate_read
from huxue.duty.checkin.rules import Window, effective_time, is_short_duty, judge, radius_m
from huxue.duty.models import CheckIn, DutyRules
from huxue.orgs import access
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
    # With the calendar's reason in its place when the day is today (huxue.calendar.days_off).
    "no_duty_day": gettext_lazy("There is no duty at this post on %(day)s."),
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
    def __init__(self, code: str, *, message: str = "", **params: Any) -> None:
        if not message:
            message = str(REFUSALS[code]) % params if params else str(REFUSALS[code])
        super().__init__(message, code=code)
        self.reason = code
        self.status = 409 if code in CONFLICTS else 422
        self.extra: dict[str, Any] = {}


class KeyReused(Exception):
    """The same Idempotency-Key came with a different request."""


def request_hash(endpoint: str, body: dict[str, Any]) -> str:
    """A digest of what a request asked for, kept beside its key."""
    canonical = json.dumps([endpoint, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Position:
    latitude: Decimal
    longitude: Decimal
    accuracy_m: float | None = None


def _local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%H:%M")


def _metres_to_post(position: Position, post: Post) -> float:
    return round(
        distance_m(
            float(position.latitude),
            float(position.longitude),
            float(post.latitude),
            float(post.longitude),
        ),
        1,
    )


def still_on_duty_elsewhere(
    open_checkin: CheckIn | None, *, shift_id: int | None, now: dt.datetime
) -> bool:
    """Whether a member's open check-in stands in the way of checking in for another window:
    it does while its own window runs (check out there first); one whose window is over is
    closed by the next check-in. The check-in and the member's pages ask the same."""
    return (
        open_checkin is not None
        and open_checkin.shift_id != shift_id
        and open_checkin.shift.ends_at > now
    )


def close_check_in(
    checkin: CheckIn,
    *,
    at: dt.datetime,
    method: str,
    now: dt.datetime,
    device_at: dt.datetime | None = None,
    position: Position | None = None,
    key: str = "",
    digest: str = "",
) -> None:
    checkin.checked_out_at = max(at, checkin.at)
    checkin.checkout_server_at = now
    checkin.checkout_device_at = device_at
    checkin.checkout_method = method
    checkin.checkout_key = key
    checkin.checkout_hash = digest
    # Closed by the system at the window's end, it is no one's hasty check-out.
    checkin.is_short = method != CheckIn.Checkout.AUTO and is_short_duty(
        checkin.at, checkin.checked_out_at
    )
    fields = [
        "checked_out_at",
        "checkout_server_at",
        "checkout_device_at",
        "checkout_method",
        "checkout_key",
        "checkout_hash",
        "is_short",
    ]
    if position is not None:
        checkin.checkout_latitude = position.latitude
        checkin.checkout_longitude = position.longitude
        checkin.checkout_accuracy_m = position.accuracy_m
        checkin.checkout_distance_m = _metres_to_post(position, checkin.post)
        fields += [
            "checkout_latitude",
            "checkout_longitude",
            "checkout_accuracy_m",
            "checkout_distance_m",
        ]
    checkin.save(update_fields=fields)


def _auto_close(checkin: CheckIn, *, now: dt.datetime) -> None:
    """Close a check-in left open at a window that is over, at the window's end, with its audit
    line (in the caller's transaction)."""
    close_check_in(checkin, at=checkin.shift.ends_at, method=CheckIn.Checkout.AUTO, now=now)
    audit.record(action="duty.checkin.auto_close", obj=checkin, detail={"shift": checkin.shift_id})


def _refuse_as_taken(existing: CheckIn) -> CheckInRefused:
    if existing.is_open:
        error = CheckInRefused("already_here", time=_local(existing.at))
    else:
        error = CheckInRefused("already_done")
    error.extra = {"checkin": existing.pk}
    return error


def _clear_the_way(person: Person, shift_id: int, *, now: dt.datetime) -> None:
    """Refuse a second check-in for the same window or one while on duty elsewhere; close an
    open one whose window is over. In the caller's transaction."""
    for existing in CheckIn.objects.select_related("post__school__unit", "shift").filter(
        Q(shift_id=shift_id) | Q(checked_out_at__isnull=True), person=person, voided_at__isnull=True
    ):
        if existing.shift_id == shift_id:
            raise _refuse_as_taken(existing)
        if still_on_duty_elsewhere(existing, shift_id=shift_id, now=now):
            raise CheckInRefused("open_elsewhere", post=str(existing.post))
        _auto_close(existing, now=now)


def check_in_moment(
    method: str, now: dt.datetime, device_at: dt.datetime | None
) -> tuple[dt.datetime, bool]:
    """When a check-in happened and whether it was sent later (a roll call is now)."""
    if method == CheckIn.Method.ROLLCALL:
        return now, False
    return effective_time(now, device_at)


def _first_answer(person: Person, key: str, digest: str) -> CheckIn | None:
    """The check-in this member made with this client key, if any, marked ``replayed``;
    ``KeyReused`` when it was made for another request."""
    if not key:
        return None
    found = (
        CheckIn.objects.filter(person=person, client_key=key)
        .select_related("post__school__unit", "shift")
        .first()
    )
    if found is None:
        return None
    if found.request_hash != digest:
        raise KeyReused
    found.replayed = True  # type: ignore[attr-defined]
    return found


def _day_off(off: DayOff, *, now: dt.datetime) -> CheckInRefused:
    """No duty at the post that day: the calendar's reason, in words for today."""
    if off.day == timezone.localdate(now):
        return CheckInRefused("no_duty_day", message=off.at_post())
    return CheckInRefused("no_duty_day", day=off.day.isoformat())


def _no_gate(
    actor: Any, *, post_id: int | None, qr_token: str, day: dt.date, now: dt.datetime
) -> CheckInRefused:
    """Why there is no gate: the actor may not check in at all (403), the post is not there
    or not in use, the day has no duty there (a weekend, a holiday, a closure…), or the post
    has no window now."""
    if actor is not None and not access.allowed(actor, "write", CheckIn):
        raise PermissionDenied
    if qr_token:
        named = Post.objects.filter(qr_token=qr_token)
    elif post_id is not None:
        named = Post.objects.filter(pk=post_id)
    else:
        return CheckInRefused("no_post")
    live = named.live().select_related("school__unit__region").first()
    if live is not None:
        off = post_day_off(live, day)
        return _day_off(off, now=now) if off is not None else CheckInRefused("no_window")
    if not qr_token and named.exists():
        return CheckInRefused("post_void")
    return CheckInRefused("no_post")


def _new_checkin(
    gate: Gate,
    *,
    actor: Any,
    person: Person,
    method: str,
    at: dt.datetime,
    now: dt.datetime,
    delayed: bool,
    device_at: dt.datetime | None,
    position: Position | None,
    key: str,
    digest: str,
) -> CheckIn:
    """The check-in judged against its gate by the city's rules, not yet written; raises
    ``CheckInRefused``."""
    shift, rules, post = gate.shift, gate.rules, gate.post
    radius = radius_m(rules, post.geofence_m)
    distance = _metres_to_post(position, post) if position is not None else None
    verdict = judge(
        rules=rules,
        window=Window(shift.starts_at, shift.ends_at),
        at=at,
        now=now,
        delayed=delayed,
        rostered=gate.assignment_id is not None,
        distance=distance,
        accuracy=position.accuracy_m if position else None,
        radius=radius,
    )
    if verdict.refused:
        raise CheckInRefused(verdict.refused, distance=f"{distance or 0:.0f}", radius=radius)
    rollcall = method == CheckIn.Method.ROLLCALL
    return CheckIn(
        person=person,
        post=post,
        shift=shift,
        assignment_id=gate.assignment_id,
        group=person.force_group,
        force_type=person.force_type,
        day=shift.day,
        method=method,
        at=max(at, shift.starts_at - dt.timedelta(minutes=rules.early_minutes)),
        server_at=now,
        device_at=device_at,
        latitude=position.latitude if position else None,
        longitude=position.longitude if position else None,
        accuracy_m=position.accuracy_m if position else None,
        distance_m=distance,
        is_late=verdict.late,
        is_outside=verdict.outside,
        is_walkin=verdict.walkin,
        is_delayed=verdict.delayed,
        recorded_by=actor if rollcall else None,
        client_key=key,
        request_hash=digest,
    )


def _savepoint_if_nested() -> AbstractContextManager[Any]:
    # In a caller's transaction a failed INSERT must not end it: a savepoint. In autocommit the
    # INSERT is a transaction of its own.
    return transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()


def _insert(checkin: CheckIn) -> None:
    checkin.save(force_insert=True)
    if checkin.method == CheckIn.Method.ROLLCALL:
        audit.record(
            action="duty.rollcall",
            actor=checkin.recorded_by,
            obj=checkin,
            detail={"person": checkin.person_id, "shift": checkin.shift_id},
        )


def _write(checkin: CheckIn, *, now: dt.datetime) -> CheckIn:
    """Write a judged check-in: one INSERT when nothing is in the way (the unique constraints
    say so). Otherwise a retry gets its first answer; a check-in left open at a window that is
    over is closed and the INSERT tried again; anything else is refused."""
    person, key, digest = checkin.person, checkin.client_key, checkin.request_hash
    rollcall = checkin.method == CheckIn.Method.ROLLCALL  # with its audit line: a transaction
    try:
        with transaction.atomic() if rollcall else _savepoint_if_nested():
            _insert(checkin)
        return checkin
    except IntegrityError:
        if (first := _first_answer(person, key, digest)) is not None:
            return first
    try:
        with transaction.atomic():
            _clear_the_way(person, checkin.shift_id, now=now)
            _insert(checkin)
            return checkin
    except IntegrityError:
        # A concurrent request for the same member won: a twin of this one (same key), or
        # another check-in for the window; answer as if this one had come second.
        if (first := _first_answer(person, key, digest)) is not None:
            return first
        existing = CheckIn.objects.filter(
            person=person, shift_id=checkin.shift_id, voided_at__isnull=True
        ).first()
        if existing is None:
            raise CheckInRefused("busy") from None
        raise _refuse_as_taken(existing) from None


def check_in(
    *,
    actor: Any,
    person: Person,
    method: str,
    post: Post | None = None,
    post_id: int | None = None,
    qr_token: str = "",
    shift: Shift | None = None,
    device_at: dt.datetime | None = None,
    position: Position | None = None,
    key: str = "",
    digest: str = "",
    now: dt.datetime | None = None,
) -> CheckIn:
    """A member checks in: at a post (given, or named by id or QR token) for its window at the
    moment, or on a given shift (a lead's roll call). ``actor`` is who does it (the member, or
    the lead). With the client's ``key`` and the ``digest`` of its request, a retry returns the
    first check-in, marked ``replayed``. Raises ``CheckInRefused``, ``KeyReused``, or
    ``PermissionDenied`` when no role of the actor may write check-ins."""
    now = now or timezone.now()
    if post is not None or shift is not None:
        post_id = post.pk if post is not None else shift.post_id  # type: ignore[union-attr]
    try:
        if person.is_void:
            raise CheckInRefused("void")
        if method == CheckIn.Method.GPS and position is None:
            raise CheckInRefused("position_needed")
        at, delayed = check_in_moment(method, now, device_at)
        gate = gate_read(
            actor=actor,
            member=person,
            at=at,
            post_id=post_id,
            qr_token=qr_token,
            shift_id=shift.pk if shift is not None else None,
        )
        # The day of duty asked about: the shift's (a roll call), or the day of the check-in.
        day = shift.day if shift is not None else timezone.localdate(at)
        if gate is None:
            raise _no_gate(actor, post_id=post_id, qr_token=qr_token, day=day, now=now)
        if not gate.actor_may_check_in:
            raise PermissionDenied
        # The post's window is on another day (none left today), or the school has been closed
        # since the shift was made: ask the calendar whether the day has duty at all.
        if gate.school_closed or gate.shift.day != day:
            off = post_day_off(gate.post, day, rostered=gate.shift.day == day or None)
            if off is not None:
                raise _day_off(off, now=now)
        checkin = _new_checkin(
            gate,
            actor=actor,
            person=person,
            method=method,
            at=at,
            now=now,
            delayed=delayed,
            device_at=device_at,
            position=position,
            key=key,
            digest=digest,
        )
    except CheckInRefused:
        # A retry whose first attempt went through is refused now (already checked in, the
        # window over…): its answer is the first one.
        if (first := _first_answer(person, key, digest)) is not None:
            return first
        raise
    return _write(checkin, now=now)


def check_out(
    *,
    actor: Any,
    checkin: CheckIn,
    device_at: dt.datetime | None = None,
    position: Position | None = None,
    rollcall: bool = False,
    key: str = "",
    digest: str = "",
    now: dt.datetime | None = None,
) -> CheckIn:
    """End a member's duty: by the member, or by a lead at roll call (audited in the same
    transaction). With the client's ``key``, a retry of a check-out already made returns it,
    marked ``replayed``; the same key with another request raises ``KeyReused``."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            CheckIn.objects.select_for_update(of=("self",))
            .select_related("post__school__unit", "shift")
            .get(pk=checkin.pk)
        )
        if not locked.is_open:
            if key and locked.checkout_key == key:
                if locked.checkout_hash != digest:
                    raise KeyReused
                locked.replayed = True  # type: ignore[attr-defined]
                return locked
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
            key=key,
            digest=digest,
        )
        if rollcall:
            audit.record(action="duty.rollcall.out", actor=actor, obj=locked, detail={})
    return locked


def rollcall_mark(*, actor: Any, shift: Shift, person: Person, present: bool) -> CheckIn:
    """A lead marks a member present on this shift (a roll-call check-in, recorded against
    this shift and judged by its window) or gone from it (their open check-in for this shift
    closed). The caller has checked that the lead may take roll call here."""
    if present:
        return check_in(actor=actor, person=person, shift=shift, method=CheckIn.Method.ROLLCALL)
    open_one = CheckIn.objects.filter(
        shift=shift, person=person, voided_at__isnull=True, checked_out_at__isnull=True
    ).first()
    if open_one is None:
        raise CheckInRefused("not_open")
    return check_out(actor=actor, checkin=open_one, rollcall=True)


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
    rows = list(candidates)
    rules = rulesets.nearest_by_region(DutyRules, (c.post.school.unit.region for c in rows))
    for checkin in rows:
        region = checkin.post.school.unit.region_id
        if checkin.shift.ends_at + dt.timedelta(minutes=rules[region].auto_checkout_minutes) > now:
            continue
        with transaction.atomic():
            if CheckIn.objects.filter(pk=checkin.pk, checked_out_at__isnull=True).update(
                checked_out_at=checkin.shift.ends_at,
                checkout_server_at=now,
                checkout_method=CheckIn.Checkout.AUTO,
            ):
                audit.record(
                    action="duty.checkin.auto_close",
                    obj=checkin,
                    detail={"shift": checkin.shift_id},
                )
                closed += 1
    return closed


def duty_rules_save(*, actor: Any, region: Region, values: dict[str, Any]) -> DutyRules:
    """Set a region's duty rules (they apply to it and the regions under it)."""
    saved: DutyRules = ruleset_save(
        model=DutyRules, actor=actor, region=region, values=values, action="duty.rules.save"
    )
    return saved
