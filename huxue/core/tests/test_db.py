"""Planned cursors (prepared on PostgreSQL) and the one-statement insert of huxue.core.db."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from huxue.core.db import insert, planned_cursor, preparing
from huxue.duty.models import CheckIn, IdempotencyRecord
from huxue.testing import City, local_at, make_shift

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@on_postgresql
@pytest.mark.django_db
def test_a_planned_statement_is_prepared_once_per_connection() -> None:
    assert preparing()
    sql = "SELECT %s::int + 40 AS planned_probe"
    for n in (1, 2, 3):
        with planned_cursor() as cursor:
            cursor.execute(sql, [n])
            assert cursor.fetchone() == (n + 40,)
    found = [s for s in prepared_statements() if "planned_probe" in s]
    assert len(found) == 1 and "$1" in found[0]


@on_postgresql
@pytest.mark.django_db
def test_preparing_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    assert not preparing()
    with planned_cursor() as cursor:
        cursor.execute("SELECT %s::int AS unplanned_probe", [1])
        assert cursor.fetchone() == (1,)
    assert not [s for s in prepared_statements() if "unplanned_probe" in s]


@pytest.mark.django_db
def test_planned_statements_are_logged_and_counted_with_their_values() -> None:
    with CaptureQueriesContext(connection) as queries, planned_cursor() as cursor:
        cursor.execute("SELECT %s AS logged_probe", ["zhang"])
    assert len(queries) == 1
    assert "logged_probe" in queries[0]["sql"] and "zhang" in queries[0]["sql"]


def _checkin(city: City, **extra: object) -> CheckIn:
    shift = extra.pop("shift", None) or make_shift(city.post_a1)
    extra.setdefault("client_key", "k-1")
    now = local_at(shift.day, 6, 58)
    return CheckIn(
        person=city.person_a1,
        post=city.post_a1,
        shift=shift,
        group=city.person_a1.force_group,
        force_type=city.person_a1.force_type,
        day=shift.day,
        method=CheckIn.Method.GPS,
        at=now,
        server_at=now,
        latitude=Decimal("45.771234"),
        longitude=Decimal("131.003456"),
        accuracy_m=12.5,
        distance_m=3.2,
        is_late=True,
        request_hash="h",
        **extra,
    )


def _stored(pk: int) -> dict[str, object]:
    row = CheckIn.objects.filter(pk=pk).values().get()
    row.pop("id")
    return row


def test_insert_writes_what_save_writes(city: City) -> None:
    saved = _checkin(city)
    saved.save()
    inserted = insert(_checkin(city, shift=saved.shift, client_key="k-2", voided_at=saved.at))
    assert inserted.pk and inserted.pk != saved.pk
    assert not inserted._state.adding and inserted._state.db == "default"
    a, b = _stored(saved.pk), _stored(inserted.pk)
    assert b.pop("client_key") == "k-2" and a.pop("client_key") == "k-1"
    assert b.pop("voided_at") == saved.at and a.pop("voided_at") is None
    assert a == b
    assert b["latitude"] == Decimal("45.771234") and b["is_late"] is True


def test_a_refused_insert_raises_djangos_error_and_leaves_the_transaction_usable(
    city: City,
) -> None:
    first = insert(_checkin(city))
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic():
            insert(_checkin(city, shift=first.shift))  # the same member and key
        assert CheckIn.objects.count() == 1


def test_build_makes_what_from_db_makes_with_the_rest_deferred(city: City) -> None:
    from huxue.core.db import build
    from huxue.people.models import Person

    person = city.person_a1
    built = build(Person, {"id": person.pk, "name": person.name, "unit_id": person.unit_id})
    assert not built._state.adding and built._state.db == "default"
    assert built.get_deferred_fields() >= {"force_type", "user_id"}
    assert built == person and built.name == person.name
    with CaptureQueriesContext(connection) as queries:
        assert built.force_type == person.force_type  # loaded on access
    assert len(queries) == 1


def test_new_makes_what_the_constructor_makes(city: City) -> None:
    from huxue.core.db import new

    shift = make_shift(city.post_a1)
    values = {
        "person_id": city.person_a1.pk,
        "post_id": city.post_a1.pk,
        "shift_id": shift.pk,
        "day": shift.day,
        "at": shift.starts_at,
        "server_at": shift.starts_at,
        "client_key": "k",
    }
    fast, slow = new(CheckIn, values), CheckIn(**values)
    assert fast._state.adding and fast.pk is None
    fields = [f.attname for f in CheckIn._meta.concrete_fields]
    assert {n: getattr(fast, n) for n in fields} == {n: getattr(slow, n) for n in fields}
    with pytest.raises(TypeError, match="no field"):
        new(CheckIn, {**values, "psot_id": 1})
    # A callable default is made for each instance: two new rows never share a dict.
    first, second = new(IdempotencyRecord, {}), new(IdempotencyRecord, {})
    assert first.response == {} and first.response is not second.response


def test_only_plain_values_of_djangos_own_fields_skip_preparing() -> None:
    from huxue.core.db import _columns_of
    from huxue.people.models import Person

    def as_is(model: type, name: str, value: object, *, postgresql: bool = False) -> bool:
        (column,) = [c for c in _columns_of(model) if c.field.name == name]
        return column.as_is(value, postgresql=postgresql)

    assert as_is(CheckIn, "is_late", True) and as_is(CheckIn, "client_key", "k")
    assert as_is(CheckIn, "person", 7) and as_is(CheckIn, "assignment", None)
    assert as_is(CheckIn, "accuracy_m", 3.5) and as_is(CheckIn, "accuracy_m", 3)
    assert not as_is(CheckIn, "is_late", 1)  # not a bool: prepared
    assert not as_is(CheckIn, "at", None) and not as_is(CheckIn, "latitude", Decimal(1))
    assert not as_is(Person, "phone", "13800000000")  # encrypted: prepared
    # On PostgreSQL, dates, aware datetimes and finite decimals go as they are too.
    aware = dt.datetime(2026, 12, 7, 7, tzinfo=dt.UTC)
    naive = aware.replace(tzinfo=None)
    assert as_is(CheckIn, "day", dt.date(2026, 12, 7), postgresql=True)
    assert as_is(CheckIn, "at", aware, postgresql=True) and as_is(
        CheckIn, "at", None, postgresql=True
    )
    assert as_is(CheckIn, "latitude", Decimal("39.9"), postgresql=True)
    assert not as_is(CheckIn, "at", aware) and not as_is(CheckIn, "day", dt.date(2026, 12, 7))
    assert not as_is(CheckIn, "at", naive, postgresql=True)  # made aware, with a warning
    assert not as_is(CheckIn, "day", aware, postgresql=True)  # a datetime: made a date
    assert not as_is(CheckIn, "latitude", Decimal("NaN"), postgresql=True)  # refused
    assert not as_is(CheckIn, "latitude", 39.9, postgresql=True)  # a float: made a decimal
    # …because there Django's own preparing gives them back unchanged.
    from types import SimpleNamespace

    from django.db.backends.postgresql.operations import DatabaseOperations

    postgresql = SimpleNamespace(ops=DatabaseOperations(None))
    for name, value in (("day", dt.date(2026, 12, 7)), ("at", aware), ("latitude", Decimal("1.5"))):
        field = CheckIn._meta.get_field(name)
        assert field.get_db_prep_save(value, postgresql) == value
        assert type(field.get_db_prep_save(value, postgresql)) is type(value)


def test_insert_select_writes_the_row_insert_writes_with_columns_from_a_read(city: City) -> None:
    from huxue.core.db import insert_select

    shift = make_shift(city.post_a1)
    voided = local_at(shift.day, 9)  # voided rows: the same member may have two for a window
    first = insert(_checkin(city, shift=shift, voided_at=voided))
    person = city.person_a1
    # The member's own columns come from a read of their person row, in the same statement.
    row = _checkin(city, shift=shift, client_key="k-2", voided_at=voided)
    row.person_id, row.force_type = None, ""
    sql, params = insert_select(
        row,
        exprs={"person_id": "src.id", "force_type": "src.force_type"},
        source="people_person src",
        where="src.id = %s",
        returning=("force_type",),
    )
    with planned_cursor() as cursor:
        cursor.execute(sql, [*params, person.pk])
        pk, force_type = cursor.fetchone()
    assert force_type == person.force_type
    a, b = _stored(first.pk), _stored(pk)
    assert (a.pop("client_key"), b.pop("client_key")) == ("k-1", "k-2")
    assert a == b
    # Nothing is written when the read finds nothing.
    with planned_cursor() as cursor:
        cursor.execute(sql, [*params, -1])
        assert cursor.fetchone() is None
    assert CheckIn.objects.count() == 2
