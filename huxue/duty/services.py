"""Writes for duty at the gate: check-in, check-out, roll call, voiding, closing stale check-ins.

Keyword-only, one transaction each. A refusal raises ``CheckInRefused`` (a ValidationError with a
reason code and the HTTP status it maps to) before anything is written. The database's unique
constraints (one open check-in per member, one check-in per member per window) hold even when two
requests race; the loser gets the same refusal as if it had come second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huxue.core import audit
from huxue.core.rulesets import ruleset_save
from huxue.duty.models import CheckIn, DutyRules
from huxue.duty.rules import (
    Verdict,
    Window,
    distance_m,
    duty_rules_for,
    effective_time,
    judge,
    radius_m,
)
from huxue.orgs.models import Region, Unit
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.roster.models import Shift

M = TypeVar("M", bound=models.Model)

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


def check_in_plan(
    *,
    actor: Any,
    person: Person,
    post: Post,
    method: str,
    device_at: dt.datetime | None = None,
    position: Position | None = None,
    now: dt.datetime | None = None,
) -> CheckInPlan:
    """Judge a check-in by the city's rules; raises ``CheckInRefused``, writes nothing."""
    now = now or timezone.now()
    if person.is_void:
        raise CheckInRefused("void")
    if post.is_void:
        raise CheckInRefused("post_void")
    if method == CheckIn.Method.GPS and position is None:
        raise CheckInRefused("position_needed")
    rules = _rules_for(post.school.unit.region)
    at, delayed = effective_time(now, device_at)
    if method == CheckIn.Method.ROLLCALL:
        at, delayed = now, False
    found = _window_and_assignment(post.pk, person.pk, at, early_minutes=rules.early_minutes)
    if found is None:
        raise CheckInRefused("no_window")
    shift, assignment_id = found
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
        rostered=assignment_id is not None,
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
        assignment_id=assignment_id,
        method=method,
        at=max(at, shift.starts_at - dt.timedelta(minutes=rules.early_minutes)),
        now=now,
        device_at=device_at,
        position=position,
        distance=distance,
        verdict=verdict,
    )


def _create(plan: CheckInPlan) -> CheckIn:
    person, position, verdict = plan.person, plan.position, plan.verdict
    return CheckIn.objects.create(
        person=person,
        post=plan.post,
        shift=plan.shift,
        assignment_id=plan.assignment_id,
        group=person.force_group,
        force_type=person.force_type,
        day=plan.shift.day,
        method=plan.method,
        at=plan.at,
        server_at=plan.now,
        device_at=plan.device_at,
        latitude=position.latitude if position else None,
        longitude=position.longitude if position else None,
        accuracy_m=position.accuracy_m if position else None,
        distance_m=plan.distance,
        is_late=verdict.late,
        is_outside=verdict.outside,
        is_walkin=verdict.walkin,
        is_delayed=verdict.delayed,
        recorded_by=plan.actor if plan.method == CheckIn.Method.ROLLCALL else None,
    )


def check_in_record(plan: CheckInPlan) -> CheckIn:
    """Write a judged check-in, in one transaction.

    The insert comes first: the unique constraints (one open check-in per member, one per member
    per window) say whether anything is in the way, so the usual case costs no read. When
    something is (rare), the insert is undone and ``_clear_the_way`` refuses, or closes a
    check-in left open at a window that is over, before trying once more."""
    try:
        with transaction.atomic():
            checkin = _create(plan)
    except IntegrityError:
        try:
            with transaction.atomic():
                _clear_the_way(plan.person, plan.shift, now=plan.now)
                checkin = _create(plan)
        except IntegrityError:
            # A concurrent request for the same member won the unique constraint: answer as
            # if this one had come second.
            existing = (
                CheckIn.objects.filter(person=plan.person, voided_at__isnull=True)
                .filter(shift=plan.shift)
                .first()
            )
            if existing is None:
                raise CheckInRefused("busy") from None
            error = CheckInRefused("already_here", time=_local(existing.at))
            error.extra = {"checkin": existing.pk}
            raise error from None
    if plan.method == CheckIn.Method.ROLLCALL:
        audit.record(
            action="duty.rollcall",
            actor=plan.actor,
            obj=checkin,
            detail={"person": plan.person.pk, "shift": plan.shift.pk},
        )
    return checkin


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


# -- reads on the check-in path ----------------------------------------------------------------
# In a peak window every member of a city checks in within minutes (bench/checkin.py measures
# it). The ORM's cost on this path is building SQL, not running it: about half a millisecond of
# CPU per query against a twentieth for the statement itself. So the reads every check-in makes
# are written once, here, in SQL that SQLite and PostgreSQL both run, and they fill narrow model
# instances (the fields listed; any other field loads on access, as with ``only()``). Writes stay
# in the ORM.


def _narrow(model: type[M], row: dict[str, Any]) -> M:
    names = [f.attname for f in model._meta.concrete_fields if f.attname in row]
    return model.from_db(DEFAULT_DB_ALIAS, names, [row[name] for name in names])


def _db_time(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _py_time(value: Any) -> Any:
    """A datetime column's value as the ORM returns it (SQLite gives naive UTC, or text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _py_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _one(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row: tuple[Any, ...] | None = cursor.fetchone()
        return row


_MEMBER_SQL = """
SELECT id, force_type FROM people_person
 WHERE user_id = %s AND voided_at IS NULL ORDER BY id LIMIT 1
"""

_POST_SQL = """
SELECT p.id, p.name, p.latitude, p.longitude, p.geofence_m, p.school_id,
       s.unit_id, u.name, u.region_id, r.code, r.path, r.parent_id
  FROM posts_post p
  JOIN posts_school s ON s.id = p.school_id
  JOIN orgs_unit u ON u.id = s.unit_id
  JOIN orgs_region r ON r.id = u.region_id
 WHERE p.voided_at IS NULL AND {match}
"""

# The window open for check-in at a moment is the post's earliest-starting shift that has not
# ended, if it starts soon enough (the caller checks, with the city's early minutes); the
# member's assignment to it comes along.
_WINDOW_SQL = """
SELECT s.id, s.day, s.start, s."end", s.starts_at, s.ends_at,
       (SELECT a.id FROM roster_assignment a
         WHERE a.shift_id = s.id AND a.person_id = %s AND a.dropped_at IS NULL
         ORDER BY a.id LIMIT 1)
  FROM roster_shift s
 WHERE s.post_id = %s AND s.cancelled_at IS NULL AND s.ends_at >= %s
 ORDER BY s.starts_at, s.id LIMIT 1
"""


def checkin_member_of(user: Any) -> Person | None:
    """The live member record of this login (as ``roster.selectors.person_of``), narrow: the
    fields a check-in uses."""
    if not getattr(user, "is_authenticated", False):
        return None
    row = _one(_MEMBER_SQL, [user.pk])
    if row is None:
        return None
    pk, force_type = row
    return _narrow(
        Person, {"id": pk, "user_id": user.pk, "force_type": force_type, "voided_at": None}
    )


def checkin_post(*, post_id: int | None = None, qr_token: str = "") -> Post | None:
    """The live post a member names by id or by its QR poster's token (as
    ``selectors.post_for_checkin``), narrow, with its school's unit and region."""
    if qr_token:
        row = _one(_POST_SQL.format(match="p.qr_token = %s"), [qr_token])
    elif post_id:
        row = _one(_POST_SQL.format(match="p.id = %s"), [post_id])
    else:
        return None
    if row is None:
        return None
    pk, name, lat, lng, radius, school_id, unit_id, unit_name, region_id, code, path, parent = row
    region = _narrow(Region, {"id": region_id, "code": code, "path": path, "parent_id": parent})
    unit = _narrow(Unit, {"id": unit_id, "name": unit_name, "region_id": region_id})
    unit.region = region
    school = _narrow(School, {"id": school_id, "unit_id": unit_id})
    school.unit = unit
    post = _narrow(
        Post,
        {
            "id": pk,
            "voided_at": None,
            "school_id": school_id,
            "name": name,
            "latitude": _py_decimal(lat),
            "longitude": _py_decimal(lng),
            "geofence_m": radius,
        },
    )
    post.school = school
    return post


_RULES_FIELDS = DutyRules._meta.concrete_fields


def _rules_for(region: Region) -> DutyRules:
    """``rules.duty_rules_for`` in one plain statement: the rules of the nearest region up the
    tree that has them; the defaults otherwise."""
    codes = [code for code in region.path.strip("/").split("/") if code]
    if not codes:
        return DutyRules(region=region)
    columns = ", ".join(f"r.{connection.ops.quote_name(f.column)}" for f in _RULES_FIELDS)
    marks = ", ".join(["%s"] * len(codes))
    # Only column names from the model and placeholders are formatted in; values are parameters.
    sql = (
        f"SELECT {columns}, g.code FROM duty_dutyrules r "  # noqa: S608
        f"JOIN orgs_region g ON g.id = r.region_id WHERE g.code IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, codes)
        found = {row[-1]: row[:-1] for row in cursor.fetchall()}
    for code in reversed(codes):
        if code in found:
            values = [
                _py_time(v) if isinstance(f, models.DateTimeField) else v
                for f, v in zip(_RULES_FIELDS, found[code], strict=True)
            ]
            return DutyRules.from_db(DEFAULT_DB_ALIAS, [f.attname for f in _RULES_FIELDS], values)
    return DutyRules(region=region)


def _window_and_assignment(
    post_id: int, person_id: int, at: dt.datetime, *, early_minutes: int
) -> tuple[Shift, int | None] | None:
    """``window_at`` and the member's live assignment to that shift, in one statement."""
    row = _one(_WINDOW_SQL, [person_id, post_id, _db_time(at)])
    if row is None:
        return None
    pk, day, start, end, starts_at, ends_at, assignment_id = row
    starts_at, ends_at = _py_time(starts_at), _py_time(ends_at)
    if starts_at > at + dt.timedelta(minutes=early_minutes):
        return None
    shift = _narrow(
        Shift,
        {
            "id": pk,
            "post_id": post_id,
            "day": day,
            "start": start,
            "end": end,
            "starts_at": starts_at,
            "ends_at": ends_at,
        },
    )
    return shift, assignment_id


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
    rules_cache: dict[int, DutyRules] = {}
    for checkin in candidates.iterator(chunk_size=500):
        region = checkin.post.school.unit.region
        rules = rules_cache.get(region.pk) or rules_cache.setdefault(
            region.pk, duty_rules_for(region)
        )
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
