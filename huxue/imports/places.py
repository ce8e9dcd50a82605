"""Schools and posts import: a city has hundreds, not thousands, so each row goes through the
ordinary services (school_create, post_update …) in its own savepoint: a row is in or out."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from huxue.core.validators import normalize_text
from huxue.imports import reader
from huxue.imports.columns import STAGES
from huxue.imports.outcome import Outcome, Progress
from huxue.orgs import access
from huxue.orgs.models import Region, Unit
from huxue.orgs.selectors import units_accepting
from huxue.people.forces import ForceGroup
from huxue.posts.models import Post, School
from huxue.posts.services import (
    clean_requirements,
    parse_coordinate,
    parse_windows,
    post_create,
    post_update,
    school_create,
    school_update,
)


class _OutOfScope(Exception):
    """Rolls back a row whose result would land outside the importing user's area."""


def _out_of_scope_message() -> str:
    return _("The record would be outside the area you manage, so it was not saved.")


def _coordinate(
    value: Any, *, field: str, low: int, high: int, errors: dict[str, list[str]]
) -> Decimal | None:
    try:
        return parse_coordinate(reader.text(value), low=low, high=high, field=field)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.message_dict[field])
        return None


# ---- schools -------------------------------------------------------------------------------


def import_schools(*, actor: Any, outcome: Outcome, progress: Progress) -> None:
    stations: dict[str, list[Unit]] = defaultdict(list)
    for unit in units_accepting(actor, object_type="school", kind=Unit.Kind.STATION):
        stations[normalize_text(unit.name)].append(unit)
    stages = STAGES.lookup()
    seen: dict[tuple[int, str], int] = {}
    progress.start(outcome.sheet.estimated_rows)
    for number, values in outcome.sheet.records():
        outcome.total += 1
        _school_row(actor, outcome, number, values, stations, stages, seen)
        progress.advance(1)


def _school_row(
    actor: Any,
    outcome: Outcome,
    number: int,
    values: dict[str, Any],
    stations: dict[str, list[Unit]],
    stages: dict[str, str],
    seen: dict[tuple[int, str], int],
) -> None:
    errors: dict[str, list[str]] = {}

    def fail(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    name = normalize_text(reader.text(values.get("name")))
    if not name:
        fail("name", _("Enter the school's name."))
    elif len(name) > 100:
        fail("name", _("A school's name has at most 100 characters."))
    stage = reader.choice(values.get("stage"), stages)
    if stage not in School.Stage.values:
        fail("stage", _("Choose a stage from the list."))
    pupils = 0
    try:
        pupils = reader.integer(values.get("pupils")) or 0
        if pupils < 0:
            raise ValueError("negative")
    except ValueError:
        fail("pupils", _("Enter a whole number of pupils."))
    station = None
    station_name = normalize_text(reader.text(values.get("station")))
    found = stations.get(station_name, [])
    if not station_name:
        fail("station", _("Name the school's police station."))
    elif len(found) == 1:
        station = found[0]
    elif found:
        fail("station", _("Several police stations are named “%(name)s”.") % {"name": station_name})
    else:
        fail(
            "station",
            _(
                "You cannot add schools under a police station named “%(name)s”, or there is no such station."
            )
            % {"name": station_name},
        )
    region = station.region if station else None
    code = normalize_text(reader.text(values.get("region_code")))
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None:
            fail("region_code", _("There is no region with the code “%(code)s”.") % {"code": code})
    address = normalize_text(reader.text(values.get("address")))
    if len(address) > 200:
        fail("address", _("An address has at most 200 characters."))
    latitude = _coordinate(
        values.get("latitude"), field="latitude", low=-90, high=90, errors=errors
    )
    longitude = _coordinate(
        values.get("longitude"), field="longitude", low=-180, high=180, errors=errors
    )
    if station and name:
        first = seen.setdefault((station.pk, name), number)
        if first != number:
            fail("name", _("This school is already on row %(row)d of this file.") % {"row": first})
    if errors or station is None or region is None or latitude is None or longitude is None:
        outcome.reject_all(number, errors)
        return

    existing = School.objects.filter(
        unit__parent=station, unit__name=name, voided_at__isnull=True
    ).first()
    if existing is not None and not access.can(actor, "write", existing):
        outcome.reject(number, "name", _("This police station already has a school of that name."))
        return
    try:
        with transaction.atomic():
            if existing is None:
                school = school_create(
                    actor=actor,
                    name=name,
                    stage=stage,
                    station=station,
                    region=region,
                    latitude=latitude,
                    longitude=longitude,
                    pupils=pupils,
                    address=address,
                )
                if not access.can(actor, "write", school):
                    raise _OutOfScope
                outcome.created += 1
                return
            changes = {
                "stage": stage,
                "pupils": pupils,
                "address": address,
                "latitude": latitude,
                "longitude": longitude,
            }
            if all(getattr(existing, k) == v for k, v in changes.items()):
                outcome.unchanged += 1
                return
            school_update(actor=actor, school=existing, **changes)
            outcome.updated += 1
    except ValidationError as exc:
        outcome.reject_validation(number, exc, default_key="name")
    except _OutOfScope:
        outcome.reject(number, "station", _out_of_scope_message())


# ---- posts ---------------------------------------------------------------------------------

GROUPS = list(ForceGroup.values)


def import_posts(*, actor: Any, outcome: Outcome, progress: Progress) -> None:
    schools: dict[str, list[School]] = defaultdict(list)
    accepting = units_accepting(actor, object_type="post", kind=Unit.Kind.SCHOOL)
    for school in School.objects.filter(unit__in=accepting, voided_at__isnull=True).select_related(
        "unit"
    ):
        schools[normalize_text(school.unit.name)].append(school)
    seen: dict[tuple[int, str], int] = {}
    progress.start(outcome.sheet.estimated_rows)
    for number, values in outcome.sheet.records():
        outcome.total += 1
        _post_row(actor, outcome, number, values, schools, seen)
        progress.advance(1)


def _post_row(
    actor: Any,
    outcome: Outcome,
    number: int,
    values: dict[str, Any],
    schools: dict[str, list[School]],
    seen: dict[tuple[int, str], int],
) -> None:
    errors: dict[str, list[str]] = {}

    def fail(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    school = None
    school_name = normalize_text(reader.text(values.get("school")))
    found = schools.get(school_name, [])
    if not school_name:
        fail("school", _("Name the school."))
    elif len(found) == 1:
        school = found[0]
    elif found:
        fail("school", _("Several schools are named “%(name)s”.") % {"name": school_name})
    else:
        fail(
            "school",
            _("There is no school named “%(name)s” where you may manage guard posts.")
            % {"name": school_name},
        )
    gate = normalize_text(reader.text(values.get("gate")))
    if not gate:
        fail("gate", _("Name the gate, e.g. 南门 (south gate)."))
    elif len(gate) > 64:
        fail("gate", _("A gate name has at most 64 characters."))
    latitude = longitude = None
    if reader.text(values.get("latitude")).strip():
        latitude = _coordinate(
            values.get("latitude"), field="latitude", low=-90, high=90, errors=errors
        )
    if reader.text(values.get("longitude")).strip():
        longitude = _coordinate(
            values.get("longitude"), field="longitude", low=-180, high=180, errors=errors
        )
    geofence: int | None = None
    try:
        geofence = reader.integer(values.get("geofence_m"))
        if geofence is not None and not 20 <= geofence <= 2000:
            raise ValueError("range")
    except ValueError:
        fail("geofence_m", _("Enter a radius between 20 and 2000 metres."))
    windows = []
    try:
        windows = parse_windows(reader.text(values.get("windows")))
    except ValidationError as exc:
        errors.setdefault("windows", []).extend(exc.messages)
    requirements: dict[str, int] = {}
    try:
        requirements = clean_requirements({g: reader.text(values.get(g)) for g in GROUPS})
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
        else:
            errors.setdefault(
                ForceGroup.VOLUNTEER if ForceGroup.VOLUNTEER in outcome.sheet.index else "", []
            ).extend(exc.messages)
    if school and gate:
        first = seen.setdefault((school.pk, gate), number)
        if first != number:
            fail("gate", _("This post is already on row %(row)d of this file.") % {"row": first})
    if errors or school is None:
        outcome.reject_all(number, errors)
        return

    existing = (
        school.posts.filter(name=gate, voided_at__isnull=True)
        .prefetch_related("windows", "requirements")
        .first()
    )
    try:
        with transaction.atomic():
            if existing is None:
                post = post_create(
                    actor=actor,
                    school=school,
                    name=gate,
                    latitude=latitude if latitude is not None else school.latitude,
                    longitude=longitude if longitude is not None else school.longitude,
                    windows=windows,
                    requirements=requirements,
                    geofence_m=geofence if geofence is not None else 150,
                )
                if not access.can(actor, "write", post):
                    raise _OutOfScope
                outcome.created += 1
                return
            if _post_unchanged(existing, latitude, longitude, geofence, windows, requirements):
                outcome.unchanged += 1
                return
            post_update(
                actor=actor,
                post=existing,
                latitude=latitude,
                longitude=longitude,
                geofence_m=geofence,
                windows=windows,
                requirements=requirements,
            )
            outcome.updated += 1
    except ValidationError as exc:
        outcome.reject_validation(number, exc, default_key="gate", rename={"name": "gate"})
    except _OutOfScope:
        outcome.reject(number, "school", _out_of_scope_message())


def _post_unchanged(
    post: Post,
    latitude: Decimal | None,
    longitude: Decimal | None,
    geofence: int | None,
    windows: list[Any],
    requirements: dict[str, int],
) -> bool:
    return (
        (latitude is None or post.latitude == latitude)
        and (longitude is None or post.longitude == longitude)
        and (geofence is None or post.geofence_m == geofence)
        and {(w.weekday, w.start, w.end) for w in post.windows.all()} == set(windows)
        and {r.group: r.minimum for r in post.requirements.all()} == requirements
    )
