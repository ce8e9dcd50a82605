"""Writes to schools and posts. Keyword-only, one transaction each, one audit line each."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huxue.core import audit
from huxue.core.validators import normalize_text
from huxue.orgs.models import Region, Unit
from huxue.orgs.services import unit_create
from huxue.people.forces import ForceGroup
from huxue.posts.models import DutyWindow, Post, School, StaffingRequirement, new_qr_token

Window = tuple[int, dt.time, dt.time]

# "07:00-08:00" or "7:00～8:00" (full-width already folded by normalize_text)
_WINDOW_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-~–—至到]\s*(\d{1,2}):(\d{2})$")
SCHOOL_DAYS = (0, 1, 2, 3, 4)


def parse_windows(text: str, *, weekdays: Iterable[int] = SCHOOL_DAYS) -> list[Window]:
    """'07:00-08:00, 15:30-17:00' → a window on each school weekday; raises ValidationError."""
    windows: list[Window] = []
    parts = [p for p in re.split(r"[,;，；、\s]+(?=\d)", normalize_text(text)) if p.strip()]
    if not parts:
        raise ValidationError(
            _("Enter at least one duty window, e.g. 07:00-08:00."), code="windows"
        )
    spans: list[tuple[dt.time, dt.time]] = []
    for part in parts:
        match = _WINDOW_RE.match(part.strip())
        if not match:
            raise ValidationError(
                _("“%(part)s” is not a time window; write it like 07:00-08:00."),
                code="windows",
                params={"part": part},
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            start, end = dt.time(h1, m1), dt.time(h2, m2)
        except ValueError:
            raise ValidationError(
                _("“%(part)s” is not a time window; write it like 07:00-08:00."),
                code="windows",
                params={"part": part},
            ) from None
        if end <= start:
            raise ValidationError(
                _("The window “%(part)s” must end after it starts."),
                code="windows",
                params={"part": part},
            )
        spans.append((start, end))
    spans.sort()
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
        if s2 < e1:
            raise ValidationError(_("Two duty windows overlap."), code="windows")
    for weekday in weekdays:
        windows.extend((weekday, start, end) for start, end in spans)
    return windows


def format_windows(windows: Iterable[DutyWindow]) -> str:
    seen: list[str] = []
    for w in windows:
        text = f"{w.start:%H:%M}-{w.end:%H:%M}"
        if text not in seen:
            seen.append(text)
    return ", ".join(seen)


def parse_coordinate(value: Any, *, low: int, high: int, field: str) -> Decimal:
    try:
        number = Decimal(normalize_text(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {field: [_("Enter a number in decimal degrees, e.g. 45.771234.")]}
        ) from None
    if not low <= number <= high:
        raise ValidationError({field: [_("This coordinate is out of range.")]})
    return number


def clean_requirements(raw: Mapping[str, Any]) -> dict[str, int]:
    result: dict[str, int] = {}
    for group in ForceGroup.values:
        value = raw.get(group)
        if value in (None, ""):
            continue
        try:
            count = int(normalize_text(value))
        except ValueError:
            raise ValidationError({group: [_("Enter a whole number of people.")]}) from None
        if not 0 <= count <= 50:
            raise ValidationError({group: [_("Enter between 0 and 50 people.")]})
        if count:
            result[group] = count
    if not result:
        raise ValidationError(_("A post needs at least one person of some force group."))
    return result


@transaction.atomic
def school_create(
    *,
    actor: Any,
    name: str,
    stage: str,
    station: Unit,
    region: Region,
    latitude: Decimal,
    longitude: Decimal,
    pupils: int = 0,
    address: str = "",
) -> School:
    name = normalize_text(name)
    if not name:
        raise ValidationError({"name": [_("Enter the school's name.")]})
    if stage not in School.Stage.values:
        raise ValidationError({"stage": [_("Choose a stage from the list.")]})
    if not region.path.startswith(station.region.path):
        raise ValidationError(
            {"region": [_("A school's region must lie within its police station's region.")]}
        )
    if station.kind != Unit.Kind.STATION:
        raise ValidationError({"station": [_("A school's 属地 unit must be a police station.")]})
    if Unit.objects.filter(parent=station, name=name).exists():
        raise ValidationError(
            {"name": [_("This police station already has a school of that name.")]}
        )
    unit = unit_create(kind=Unit.Kind.SCHOOL, name=name, region=region, parent=station, actor=actor)
    school = School.objects.create(
        unit=unit,
        stage=stage,
        pupils=pupils,
        station=station,
        address=normalize_text(address),
        latitude=latitude,
        longitude=longitude,
    )
    audit.record(action="school.create", actor=actor, obj=school)
    return school


@transaction.atomic
def school_update(*, actor: Any, school: School, **changes: Any) -> School:
    allowed = {"stage", "pupils", "address", "latitude", "longitude"}
    unknown = set(changes) - allowed - {"name"}
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)} here")
    if "name" in changes:
        school.unit.name = normalize_text(changes.pop("name"))
        school.unit.save(update_fields=["name", "updated_at"])
    for key, value in changes.items():
        setattr(school, key, value)
    school.save()
    audit.record(
        action="school.update", actor=actor, obj=school, detail={"changed": sorted(changes)}
    )
    return school


def _set_windows_and_requirements(
    post: Post, windows: list[Window], requirements: Mapping[str, int]
) -> None:
    post.windows.all().delete()
    DutyWindow.objects.bulk_create(
        [DutyWindow(post=post, weekday=d, start=s, end=e) for d, s, e in windows]
    )
    post.requirements.all().delete()
    StaffingRequirement.objects.bulk_create(
        [StaffingRequirement(post=post, group=g, minimum=n) for g, n in requirements.items() if n]
    )


@transaction.atomic
def post_create(
    *,
    actor: Any,
    school: School,
    name: str,
    latitude: Decimal,
    longitude: Decimal,
    windows: list[Window],
    requirements: Mapping[str, int],
    geofence_m: int = 150,
) -> Post:
    name = normalize_text(name)
    if not name:
        raise ValidationError({"name": [_("Name the gate, e.g. 南门 (south gate).")]})
    if school.posts.filter(name=name, voided_at__isnull=True).exists():
        raise ValidationError({"name": [_("This school already has a post at that gate.")]})
    post = Post.objects.create(
        school=school, name=name, latitude=latitude, longitude=longitude, geofence_m=geofence_m
    )
    _set_windows_and_requirements(post, windows, requirements)
    audit.record(action="post.create", actor=actor, obj=post)
    return post


@transaction.atomic
def post_update(
    *,
    actor: Any,
    post: Post,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    geofence_m: int | None = None,
    windows: list[Window] | None = None,
    requirements: Mapping[str, int] | None = None,
) -> Post:
    changed = []
    for field, value in (
        ("latitude", latitude),
        ("longitude", longitude),
        ("geofence_m", geofence_m),
    ):
        if value is not None:
            setattr(post, field, value)
            changed.append(field)
    post.save()
    if windows is not None or requirements is not None:
        _set_windows_and_requirements(
            post,
            windows
            if windows is not None
            else [(w.weekday, w.start, w.end) for w in post.windows.all()],
            requirements
            if requirements is not None
            else {r.group: r.minimum for r in post.requirements.all()},
        )
        changed += [
            k for k, v in (("windows", windows), ("requirements", requirements)) if v is not None
        ]
    audit.record(action="post.update", actor=actor, obj=post, detail={"changed": changed})
    return post


@transaction.atomic
def post_rotate_qr(*, actor: Any, post: Post) -> Post:
    """A new token: posters printed before stop working (e.g. after a photo of one leaked)."""
    post.qr_token = new_qr_token()
    post.qr_rotated_at = timezone.now()
    post.save(update_fields=["qr_token", "qr_rotated_at", "updated_at"])
    audit.record(action="post.rotate_qr", actor=actor, obj=post)
    return post


@transaction.atomic
def post_void(*, actor: Any, post: Post, reason: str) -> Post:
    reason = normalize_text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why this post is being voided.")]})
    post.voided_at = timezone.now()
    post.void_reason = reason[:200]
    post.save(update_fields=["voided_at", "void_reason", "updated_at"])
    audit.record(action="post.void", actor=actor, obj=post, detail={"reason": post.void_reason})
    return post
