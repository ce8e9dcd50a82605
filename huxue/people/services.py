"""Writes to people. Keyword-only, one transaction each, one audit line each.

Input from forms, the API and Excel imports all passes through ``person_clean``, so the three
agree on what a valid person is and on the words of every error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huxue.core import audit, crypto
from huxue.core.validators import normalize_text, validate_id_number, validate_phone
from huxue.orgs.models import Unit
from huxue.people.forces import ForceType
from huxue.people.models import Consent, Person

ID_CONTEXT = "people.person.id_index"
PHONE_CONTEXT = "people.person.phone_index"


def id_index_of(id_number: str) -> str:
    return crypto.blind_index(id_number, context=ID_CONTEXT)


def phone_index_of(phone: str) -> str:
    return crypto.blind_index(phone, context=PHONE_CONTEXT)


@dataclass
class PersonInput:
    """A person's fields after normalisation and validation; plaintext, never logged."""

    name: str
    force_type: str
    phone: str
    id_number: str
    unit: Unit
    vetting_status: str = Person.Vetting.PENDING
    vetted_on: dt.date | None = None
    training_status: str = Person.Training.NONE
    trained_on: dt.date | None = None
    armband_issued: bool = False
    vest_issued: bool = False
    child_school_id: int | None = None


UPDATABLE = [f.name for f in fields(PersonInput) if f.name not in {"unit", "child_school_id"}]


def person_clean(raw: Mapping[str, Any], *, unit: Unit | None) -> PersonInput:
    """Validate one person's raw values; raises ValidationError with a message per field."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    name = normalize_text(raw.get("name"))
    if not name:
        fail("name", _("Enter the person's name."))
    elif len(name) > 50:
        fail("name", _("A name has at most 50 characters."))
    force_type = normalize_text(raw.get("force_type"))
    if force_type not in ForceType.values:
        fail("force_type", _("Choose a force type from the list."))
    phone = id_number = ""
    try:
        phone = validate_phone(raw.get("phone") or "")
    except ValidationError as exc:
        fail("phone", exc.messages[0])
    try:
        id_number = validate_id_number(raw.get("id_number") or "")
    except ValidationError as exc:
        fail("id_number", exc.messages[0])
    vetting = normalize_text(raw.get("vetting_status")) or Person.Vetting.PENDING
    if vetting not in Person.Vetting.values:
        fail("vetting_status", _("Choose a background-check status from the list."))
    training = normalize_text(raw.get("training_status")) or Person.Training.NONE
    if training not in Person.Training.values:
        fail("training_status", _("Choose a training status from the list."))
    vetted_on = _date(raw.get("vetted_on"), "vetted_on", fail)
    trained_on = _date(raw.get("trained_on"), "trained_on", fail)
    if vetting == Person.Vetting.PASSED and vetted_on is None and "vetted_on" not in errors:
        fail("vetted_on", _("Enter the date the background check was passed."))
    if unit is None:
        fail("unit", _("Choose the unit this person belongs to."))
    if errors or unit is None:
        raise ValidationError(errors)
    return PersonInput(
        name=name,
        force_type=force_type,
        phone=phone,
        id_number=id_number,
        unit=unit,
        vetting_status=vetting,
        vetted_on=vetted_on,
        training_status=training,
        trained_on=trained_on,
        armband_issued=bool(raw.get("armband_issued")),
        vest_issued=bool(raw.get("vest_issued")),
        child_school_id=raw.get("child_school_id") or None,
    )


def _date(value: Any, field: str, fail: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = normalize_text(value).replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(field, _("Write dates as YYYY-MM-DD, e.g. 2024-03-01."))
        return None


def _apply(person: Person, data: PersonInput) -> None:
    for name in UPDATABLE:
        setattr(person, name, getattr(data, name))
    person.unit = data.unit
    person.child_school_id = data.child_school_id
    person.id_index = id_index_of(data.id_number)
    person.phone_index = phone_index_of(data.phone)


def _refuse_void(person: Person) -> None:
    if person.is_void:
        raise ValidationError(
            _("This record has been voided and can no longer be changed."), code="voided"
        )


def _duplicate_error() -> ValidationError:
    return ValidationError(
        {"id_number": [_("A person with this resident ID number is already registered.")]},
        code="duplicate",
    )


@transaction.atomic
def person_create(*, actor: Any, data: PersonInput) -> Person:
    if Person.objects.filter(id_index=id_index_of(data.id_number), voided_at__isnull=True).exists():
        raise _duplicate_error()
    person = Person()
    _apply(person, data)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise _duplicate_error() from None
    audit.record(action="person.create", actor=actor, obj=person)
    return person


@transaction.atomic
def person_update(*, actor: Any, person: Person, data: PersonInput) -> Person:
    _refuse_void(person)
    clash = Person.objects.filter(id_index=id_index_of(data.id_number), voided_at__isnull=True)
    if clash.exclude(pk=person.pk).exists():
        raise _duplicate_error()
    before = {
        name: getattr(person, name)
        for name in ("name", "force_type", "unit_id", "vetting_status", "training_status")
    }
    _apply(person, data)
    person.save()
    changed = [k for k, v in before.items() if getattr(person, k) != v]
    audit.record(action="person.update", actor=actor, obj=person, detail={"changed": changed})
    return person


@transaction.atomic
def person_void(*, actor: Any, person: Person, reason: str) -> Person:
    _refuse_void(person)
    reason = normalize_text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why this record is being voided.")]})
    person.voided_at = timezone.now()
    person.void_reason = reason[:200]
    person.save(update_fields=["voided_at", "void_reason", "updated_at"])
    audit.record(
        action="person.void", actor=actor, obj=person, detail={"reason": person.void_reason}
    )
    return person


@transaction.atomic
def person_link_user(*, actor: Any, person: Person, user: Any) -> Person:
    """Give a member their own login (a member sees their own record and, later, their shifts)."""
    if Person.objects.filter(user=user).exclude(pk=person.pk).exists():
        raise ValidationError(_("This login already belongs to another member."))
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    audit.record(action="person.link_user", actor=actor, obj=person, detail={"user": user.pk})
    return person


REVEALABLE = {"id_number", "phone"}


@transaction.atomic
def person_reveal(*, actor: Any, person: Person, field: str, reason: str) -> str:
    """Return one masked value in full. The caller has checked the "reveal" permission."""
    if field not in REVEALABLE:
        raise ValidationError(_("Only the ID number or the phone number can be revealed."))
    reason = normalize_text(reason)
    if len(reason) < 4:
        raise ValidationError(
            {"reason": [_("Give a reason of at least 4 characters for seeing this in full.")]}
        )
    audit.record(
        action="person.reveal",
        actor=actor,
        obj=person,
        detail={"field": field, "reason": reason[:300]},
    )
    value: str = getattr(person, field)
    return value


@transaction.atomic
def consent_record(
    *, actor: Any, person: Person, text_version: str, method: str, at: dt.datetime | None = None
) -> Consent:
    _refuse_void(person)
    text_version = normalize_text(text_version)
    if not text_version:
        raise ValidationError({"text_version": [_("Name the version of the consent text.")]})
    consent = Consent.objects.create(
        person=person,
        text_version=text_version[:32],
        consented_at=at or timezone.now(),
        method=method,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        action="consent.record", actor=actor, obj=person, detail={"version": consent.text_version}
    )
    return consent


# ---- bulk writes for imports ------------------------------------------------------------------
# An import writes thousands of rows in one transaction and one audit line for the whole file
# (huxue.imports), so these write no line of their own. They reuse _apply, so the blind indexes
# are derived exactly as for a single save. Callers check scope and duplicates first.

BULK_FIELDS = [*UPDATABLE, "unit", "child_school", "id_index", "phone_index", "updated_at"]


def person_differs(person: Person, data: PersonInput) -> bool:
    """Whether saving `data` would change `person` (compares plaintext, not ciphertext)."""
    return (
        any(getattr(person, name) != getattr(data, name) for name in UPDATABLE)
        or person.unit_id != data.unit.pk
        or person.child_school_id != data.child_school_id
    )


@transaction.atomic
def people_bulk_write(
    *, creates: list[PersonInput], updates: list[tuple[Person, PersonInput]], batch_size: int = 500
) -> list[Person]:
    """Insert `creates` and overwrite each person in `updates`; returns the new people with pks."""
    now = timezone.now()
    created = []
    for data in creates:
        person = Person(created_at=now, updated_at=now)
        _apply(person, data)
        created.append(person)
    _insert_rows(created)
    changed = []
    for person, data in updates:
        _apply(person, data)
        person.updated_at = now  # a direct UPDATE skips auto_now
        changed.append(person)
    _update_rows(changed, BULK_FIELDS)
    return created


def _insert_rows(people: list[Person]) -> None:
    """INSERT with executemany, then read the new ids back by blind index (unique among live rows).

    bulk_create spends most of its time compiling each value in Python (about 0.3 ms a row here);
    this path prepares values with the same get_db_prep_save and is several times faster.
    """
    if not people:
        return
    alias = router.db_for_write(Person)
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = [f for f in Person._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(Person._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608  (names from the model, values as parameters)
    params = [
        [f.get_db_prep_save(getattr(p, f.attname), connection) for f in fields] for p in people
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    by_index = {p.id_index: p for p in people}
    indexes = list(by_index)
    for start in range(0, len(indexes), 500):
        chunk = indexes[start : start + 500]
        for id_index, pk in (
            Person.objects.using(alias)
            .filter(id_index__in=chunk, voided_at__isnull=True)
            .values_list("id_index", "pk")
        ):
            person = by_index[id_index]
            person.pk = pk
            person._state.adding = False
            person._state.db = alias


def _update_rows(people: list[Person], names: list[str]) -> None:
    """One parameterised UPDATE per person, sent with executemany.

    QuerySet.bulk_update builds a CASE/WHEN expression per field and row in Python, some 20 ms a
    row here, so ten thousand updates took minutes. Values go through each field's own
    get_db_prep_save, so EncryptedTextField still encrypts and dates still adapt.
    """
    if not people:
        return
    connection = connections[router.db_for_write(Person)]
    quote = connection.ops.quote_name
    fields = [f for f in Person._meta.concrete_fields if f.name in names]
    pk = next(f for f in Person._meta.concrete_fields if f.primary_key)
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(Person._meta.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s"  # noqa: S608  (names from the model, values as parameters)
    params = [
        [f.get_db_prep_save(getattr(p, f.attname), connection) for f in fields] + [p.pk]
        for p in people
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@transaction.atomic
def consents_bulk_record(
    *, actor: Any, items: list[tuple[Person, str]], method: str
) -> list[Consent]:
    """One consent per (person, text version); the caller has skipped versions already on file."""
    now = timezone.now()
    recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    consents = [
        Consent(
            person=person,
            text_version=normalize_text(version)[:32],
            consented_at=now,
            method=method,
            recorded_by=recorded_by,
        )
        for person, version in items
    ]
    return Consent.objects.bulk_create(consents, batch_size=500)
