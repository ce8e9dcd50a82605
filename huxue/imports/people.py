"""People import: validate every row in Python, then write the good ones in bulk.

Each row goes through ``person_clean``, so its errors read exactly like the form's. Existing people
are matched by the ID blind index, fetched in chunks; the writes are one bulk insert and one bulk
update inside the caller's transaction, so a file of ten thousand rows takes seconds, not minutes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from huxue.core.validators import normalize_id_number, normalize_text
from huxue.imports import reader
from huxue.imports.columns import FORCE_TYPES, TRAINING, VETTING, join, names_school
from huxue.imports.outcome import Outcome, Progress
from huxue.orgs import access
from huxue.orgs.models import Unit
from huxue.orgs.selectors import units_accepting
from huxue.people.forces import VOLUNTEER_TYPES
from huxue.people.models import Consent, Person
from huxue.people.services import (
    PersonInput,
    consents_bulk_record,
    id_index_of,
    people_bulk_write,
    person_clean,
    person_differs,
)
from huxue.posts.selectors import schools_visible_to

CHUNK = 500
T = TypeVar("T")


@dataclass
class _Row:
    number: int
    data: PersonInput
    id_index: str
    consent_version: str


def _by_name(items: Iterable[tuple[str, T]]) -> dict[str, list[T]]:
    table: dict[str, list[T]] = defaultdict(list)
    for name, item in items:
        table[normalize_text(name)].append(item)
    return table


def _chunks(items: list[T], size: int = CHUNK) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_people(
    *, actor: Any, outcome: Outcome, target_unit: Unit | None, progress: Progress
) -> None:
    """Fills `outcome`; writes within the caller's transaction. Scope is checked row by row.

    A unit column headed 学校 or 所属学校 names schools: its cells are matched against the live
    schools among the units the actor may add people to, and nothing else."""
    school_column = names_school(outcome.sheet.headers.get("unit"))
    accepting = units_accepting(actor, object_type="person").select_related("parent")
    if school_column:
        accepting = accepting.filter(kind=Unit.Kind.SCHOOL, school__voided_at__isnull=True)
    units = _by_name((u.name, u) for u in accepting)
    schools = _by_name((s.unit.name, s.pk) for s in schools_visible_to(actor))
    tables = {
        "force_type": FORCE_TYPES.lookup(),
        "vetting_status": VETTING.lookup(),
        "training_status": TRAINING.lookup(),
    }
    rows: list[_Row] = []
    first_row_of: dict[str, int] = {}
    progress.start(outcome.sheet.estimated_rows)
    done = 0
    for number, values in outcome.sheet.records():
        outcome.total += 1
        row = _clean_row(
            number,
            values,
            outcome,
            units,
            schools,
            tables,
            target_unit,
            first_row_of,
            school_column=school_column,
        )
        if row is not None:
            rows.append(row)
        done += 1
        if done % CHUNK == 0:
            progress.advance(CHUNK)
    progress.advance(done % CHUNK)
    _write(actor=actor, rows=rows, outcome=outcome)


def _clean_row(
    number: int,
    values: dict[str, Any],
    outcome: Outcome,
    units: dict[str, list[Unit]],
    schools: dict[str, list[int]],
    tables: dict[str, dict[str, str]],
    target_unit: Unit | None,
    first_row_of: dict[str, int],
    *,
    school_column: bool = False,
) -> _Row | None:
    # Problems found before the service sees the row; they replace its message for the same column.
    early: dict[str, str] = {}
    raw: dict[str, Any] = {
        "name": reader.text(values.get("name")),
        "phone": reader.text(values.get("phone")),
        "id_number": reader.text(values.get("id_number")),
        "vetted_on": reader.date(values.get("vetted_on")),
        "trained_on": reader.date(values.get("trained_on")),
    }
    for key, table in tables.items():
        raw[key] = reader.choice(values.get(key), table)
    for key in ("armband_issued", "vest_issued"):
        flag = reader.boolean(values.get(key))
        if flag is None:
            early[key] = _("Write yes or no (是 or 否).")
        raw[key] = bool(flag)

    unit = target_unit
    unit_name = normalize_text(reader.text(values.get("unit")))
    if unit_name:
        found_units = units.get(unit_name, [])
        if len(found_units) == 1:
            unit = found_units[0]
        elif found_units and school_column:
            early["unit"] = _(
                "Several schools you may add people to are named “%(name)s”, in %(places)s; choose the school at upload and leave this cell empty."
            ) % {"name": unit_name, "places": _places(found_units)}
        elif found_units:
            early["unit"] = _(
                "Several units you manage are named “%(name)s”, in %(places)s; choose the unit at upload and leave this cell empty."
            ) % {"name": unit_name, "places": _places(found_units)}
        elif school_column:
            # The same words whether the school is out of the importer's scope or does not
            # exist: the import never confirms another school's existence.
            early["unit"] = _(
                "You cannot add people to a school named “%(name)s”, or there is no such school."
            ) % {"name": unit_name}
        else:
            early["unit"] = _(
                "You cannot add people to a unit named “%(name)s”, or there is no such unit."
            ) % {"name": unit_name}

    school_name = normalize_text(reader.text(values.get("child_school")))
    if school_name:
        found_schools = schools.get(school_name, [])
        if len(found_schools) == 1:
            raw["child_school_id"] = found_schools[0]
        elif found_schools:
            early["child_school"] = _(
                "Several schools are named “%(name)s”; the child's school cannot be told apart."
            ) % {"name": school_name}
        else:
            early["child_school"] = _("There is no school named “%(name)s” that you can see.") % {
                "name": school_name
            }

    if reader.lost_digits(values.get("id_number")):
        early["id_number"] = _(
            "Excel stored this ID number as a number and dropped its last digits: format the column as text and type the number again."
        )

    consent_version = normalize_text(reader.text(values.get("consent_version")))
    if len(consent_version) > 32:
        early["consent_version"] = _("A consent text version has at most 32 characters.")

    data: PersonInput | None = None
    errors: dict[str, list[str]] = {}
    try:
        data = person_clean(raw, unit=unit)
    except ValidationError as exc:
        errors = exc.message_dict
    # A second row with an ID already seen is refused even when the first was refused itself:
    # the file says two things about one person, and only its author can say which is right.
    id_index = ""
    if "id_number" not in early and "id_number" not in errors:
        id_index = id_index_of(data.id_number if data else normalize_id_number(raw["id_number"]))
        first = first_row_of.setdefault(id_index, number)
        if first != number:
            early["id_number"] = _("This ID number is already on row %(row)d of this file.") % {
                "row": first
            }
    if early or errors or data is None:
        errors = {k: v for k, v in errors.items() if k not in early}
        outcome.reject_all(number, {**{k: [v] for k, v in early.items()}, **errors})
        return None
    if data.force_type not in VOLUNTEER_TYPES:
        consent_version = ""  # consent records are kept for volunteers only
    return _Row(number=number, data=data, id_index=id_index, consent_version=consent_version)


def _places(units: list[Unit]) -> str:
    """Where same-named units are, to tell them apart: their districts (新兴区、桃山区), with the
    unit above each where two share a district."""
    districts = [u.region.name for u in units]
    if len(set(districts)) == len(districts):
        return join(districts)
    return join([f"{u.region.name} {u.parent.name}" if u.parent else u.region.name for u in units])


def _write(*, actor: Any, rows: list[_Row], outcome: Outcome) -> None:
    existing: dict[str, Person] = {}
    writable: set[int] = set()
    scope = access.scope(actor, "write", Person)
    for chunk in _chunks([r.id_index for r in rows]):
        found = {
            p.id_index: p for p in Person.objects.filter(id_index__in=chunk, voided_at__isnull=True)
        }
        existing.update(found)
        pks = [p.pk for p in found.values()]
        if pks:
            writable.update(Person.objects.filter(scope, pk__in=pks).values_list("pk", flat=True))

    creates: list[PersonInput] = []
    consent_for_new: list[str] = []
    updates: list[tuple[Person, PersonInput]] = []
    consent_for_old: list[tuple[Person, str]] = []
    for row in rows:
        person = existing.get(row.id_index)
        if person is None:
            creates.append(row.data)
            consent_for_new.append(row.consent_version)
            continue
        if person.pk not in writable:
            # The form's words: whose record it is stays unsaid.
            outcome.reject(
                row.number,
                "id_number",
                _("A person with this resident ID number is already registered."),
            )
            continue
        if person_differs(person, row.data):
            updates.append((person, row.data))
            outcome.updated += 1
        else:
            outcome.unchanged += 1
        if row.consent_version:
            consent_for_old.append((person, row.consent_version))

    created = people_bulk_write(creates=creates, updates=updates)
    outcome.created = len(created)

    consents = [(p, v) for p, v in zip(created, consent_for_new, strict=True) if v]
    consents += _not_yet_consented(consent_for_old)
    if consents:
        consents_bulk_record(actor=actor, items=consents, method=Consent.Method.IMPORT)


def _not_yet_consented(items: list[tuple[Person, str]]) -> list[tuple[Person, str]]:
    """Drop the (person, version) pairs already on file and not withdrawn."""
    on_file: set[tuple[int, str]] = set()
    for chunk in _chunks([p.pk for p, _v in items]):
        on_file.update(
            Consent.objects.filter(person_id__in=chunk, withdrawn_at__isnull=True).values_list(
                "person_id", "text_version"
            )
        )
    return [(p, v) for p, v in items if (p.pk, v[:32]) not in on_file]
