"""Cursors for the few statements on a hot path that PostgreSQL should plan once per connection.

Django's psycopg cursors bind parameters on the client, so PostgreSQL parses and plans every
statement anew. For the reads a check-in makes (several joins, each found by an index), planning
takes several times as long as running them (``bench/checkin.py`` measures the endpoint). A
``planned_cursor`` binds on the server and psycopg prepares each statement the first time a
connection runs it; later runs skip parsing and, once PostgreSQL settles on a generic plan,
planning too. Everything else keeps Django's client-side cursors, so no other query changes.

``HUXUE_PG_PREPARED=0`` turns preparing off (``prepare_threshold`` None: the statements still run,
planned each time), for a transaction-mode connection pooler that cannot keep prepared statements.
On SQLite a planned cursor is Django's usual cursor: SQLite caches compiled statements itself.

``insert`` writes a new row the same way, for the check-in itself: the ORM builds its INSERT anew
for every ``save`` (most of the cost of a one-row write), this builds it once per model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import NOT_PROVIDED, Field, Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=Model)


def _db() -> BaseDatabaseWrapper:
    # The default connection itself, looked up once: every attribute read through
    # ``django.db.connection`` goes through a thread-local proxy.
    return connections[DEFAULT_DB_ALIAS]


def preparing(db: BaseDatabaseWrapper | None = None) -> bool:
    """Whether the connection prepares the statements of planned cursors."""
    db = db or _db()
    return (
        db.vendor == "postgresql"
        and db.settings_dict["OPTIONS"].get("prepare_threshold") is not None
    )


@contextmanager
def planned_cursor(db: BaseDatabaseWrapper | None = None) -> Iterator[CursorWrapper]:
    """A cursor (Django's wrapper: errors translated, queries logged and counted) whose
    statements PostgreSQL prepares on the connection's first run of each. One such cursor is
    kept per connection and used again (it holds no state between statements)."""
    db = db or _db()
    if not preparing(db):
        with db.cursor() as cursor:
            yield cursor
        return
    db.ensure_connection()
    if db.queries_logged:
        with _LoggedCursor(_server_binding_cursor(db), db) as cursor:
            yield cursor
        return
    kept: tuple[Any, CursorWrapper] | None = getattr(db, "_huxue_planned", None)
    if kept is None or kept[0] is not db.connection or kept[1].closed:
        kept = (db.connection, db.make_cursor(_server_binding_cursor(db)))
        db._huxue_planned = kept  # type: ignore[attr-defined]
    yield kept[1]


def _server_binding_cursor(db: BaseDatabaseWrapper) -> Any:
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
        ServerBindingCursor,
    )

    return ServerBindingCursor(db.connection)


class _LoggedCursor(CursorDebugWrapper):
    """Logs a planned statement with its values in (psycopg keeps no text of a prepared one,
    where Django's debug cursor looks for it)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        shown = self.db.ops.compose_sql(sql, params) if params else sql
        with self.debug_sql(shown, params):
            return CursorWrapper.execute(self, sql, params)


# Django's own field classes whose value, when already of its Python type, goes to the database
# as it is (their get_db_prep_save only converts other types); any other field class, subclasses
# included (an encrypted field, say), goes through get_db_prep_save.
_AS_IS = {
    models.BooleanField: (bool,),
    models.CharField: (str,),
    models.TextField: (str,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.FloatField: (float, int),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
}


def _kinds(field: Field[Any, Any]) -> tuple[type, ...]:
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    return _AS_IS.get(type(target), ())


def _aware(value: Any) -> bool:
    return type(value) is dt.datetime and value.utcoffset() is not None


def _finite(value: Any) -> bool:
    return type(value) is Decimal and value.is_finite()


# On PostgreSQL, Django's adapters also return these unchanged (psycopg sends them as they are):
# a date, an aware datetime (a naive one would be made aware, with a warning), a finite decimal
# (any other would be refused). Django's own field classes only, as above.
_AS_IS_ON_POSTGRESQL: dict[type[Field[Any, Any]], Callable[[Any], bool]] = {
    models.DateField: lambda value: type(value) is dt.date,
    models.DateTimeField: _aware,
    models.DecimalField: _finite,
}


@dataclass(frozen=True)
class _Column:
    field: Field[Any, Any]
    attname: str
    own_pre_save: bool  # auto_now and the like: its pre_save makes the value
    may_omit: bool  # nullable without a database default: left out when empty
    kinds: tuple[type, ...]  # values of these types (and None) go as they are
    on_postgresql: Callable[[Any], bool] | None  # and on PostgreSQL, values it says

    def as_is(self, value: Any, *, postgresql: bool = False) -> bool:
        """Whether the value goes to the database as it is (no ``get_db_prep_save``)."""
        if self.kinds:
            return value is None or type(value) in self.kinds
        if postgresql and self.on_postgresql is not None:
            return value is None or self.on_postgresql(value)
        return False


_COLUMNS: dict[type[Model], list[_Column]] = {}
_INSERTS: dict[tuple[str, type[Model], tuple[int, ...]], str] = {}


def _columns_of(model: type[Model]) -> list[_Column]:
    if model not in _COLUMNS:
        meta = model._meta
        _COLUMNS[model] = [
            _Column(
                field=f,
                attname=f.attname,
                own_pre_save=type(f).pre_save is not Field.pre_save,
                may_omit=f.null and f.db_default is NOT_PROVIDED,
                kinds=_kinds(f),
                on_postgresql=_AS_IS_ON_POSTGRESQL.get(type(f)),
            )
            for f in meta.concrete_fields
            if f is not meta.pk
        ]
    return _COLUMNS[model]


def _insert_sql(db: BaseDatabaseWrapper, model: type[Model], fields: list[Field[Any, Any]]) -> str:
    quote = db.ops.quote_name
    meta = model._meta
    # Only the model's table and column names are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if db.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return sql


def _row(
    obj: Model, db: BaseDatabaseWrapper, exprs: dict[str, str] | None = None
) -> tuple[tuple[int, ...], list[Any]]:
    """Which columns a new row of ``obj`` writes (by position) and their parameters; a column
    named in ``exprs`` is written and takes no parameter."""
    kept: list[int] = []
    params: list[Any] = []
    postgresql = db.vendor == "postgresql"
    for i, c in enumerate(_columns_of(type(obj))):
        if exprs and c.attname in exprs:
            kept.append(i)
            continue
        value = c.field.pre_save(obj, True) if c.own_pre_save else getattr(obj, c.attname)
        if value is None and c.may_omit:
            continue
        kept.append(i)
        if not c.as_is(value, postgresql=postgresql):
            value = c.field.get_db_prep_save(value, db)
        params.append(value)
    return tuple(kept), params


def insert(obj: M, db: BaseDatabaseWrapper | None = None) -> M:
    """Write a new instance with one prepared INSERT, as ``obj.save()`` would write it (every
    concrete field but the auto primary key, through ``pre_save`` and ``get_db_prep_save``), and
    set its primary key. Nullable columns left empty (and without a database default) are left
    out of the statement, so a row is a few parameters lighter; there are a handful of such
    statements per model. A plain value of one of Django's own simple fields (a bool for a
    BooleanField, a str for a CharField…) goes as it is: ``get_db_prep_save`` would return it
    unchanged. Database errors are Django's (``IntegrityError``…), as from ``save``. It sends
    no ``pre_save``/``post_save`` signals: for models on a hot path that have none."""
    db = db or _db()
    model = type(obj)
    kept, params = _row(obj, db)
    key = (db.vendor, model, kept)
    if (sql := _INSERTS.get(key)) is None:
        columns = _columns_of(model)
        sql = _INSERTS[key] = _insert_sql(db, model, [columns[i].field for i in kept])
    with planned_cursor(db) as cursor:
        cursor.execute(sql, params)
        if db.features.can_return_columns_from_insert:
            row = cursor.fetchone()
            pk = row[0] if row is not None else None
        else:
            pk = cursor.lastrowid
    saved(obj, pk, db)
    return obj


def saved(obj: Model, pk: Any, db: BaseDatabaseWrapper | None = None) -> None:
    """Mark a new instance as the stored row ``pk``, as ``save`` leaves it."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = (db or _db()).alias


_INSERT_SELECTS: dict[tuple[Any, ...], str] = {}


def insert_select(
    obj: Model,
    *,
    exprs: dict[str, str],
    source: str,
    where: str,
    returning: tuple[str, ...] = (),
    db: BaseDatabaseWrapper | None = None,
) -> tuple[str, list[Any]]:
    """The statement ``INSERT INTO <obj's table> (…) SELECT … FROM <source> WHERE <where>
    RETURNING <pk>, <returning…>`` and its parameters: a new row of ``obj`` as ``insert`` writes
    it, except that the columns named in ``exprs`` (by attribute name) take the value of an SQL
    expression over ``source``. For a statement that writes a row only when a read in the same
    statement finds what the row needs (``huxue.duty.gate.check_in_statement``). ``exprs``,
    ``source``, ``where`` and ``returning`` are the code's own SQL, never input; the values
    are parameters, in the order they appear (the SELECT's list)."""
    db = db or _db()
    model = type(obj)
    kept, params = _row(obj, db, exprs)
    key = (db.vendor, model, kept, tuple(exprs.items()), source, where, returning)
    if (sql := _INSERT_SELECTS.get(key)) is None:
        quote = db.ops.quote_name
        columns = [_columns_of(model)[i] for i in kept]
        values = [exprs.get(c.attname, "%s") for c in columns]
        back = [quote(model._meta.pk.column), *(quote(n) for n in returning)]
        sql = _INSERT_SELECTS[key] = (
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(c.field.column) for c in columns)}) "
            f"SELECT {', '.join(values)} FROM {source} WHERE {where} RETURNING {', '.join(back)}"
        )
    return sql, params


# -- instances without Model.__init__ -------------------------------------------------------
#
# ``Model.__init__`` walks every field of the model for each instance it makes, and sends the
# pre_init and post_init signals. On the check-in path a handful of instances are made from
# a few known columns, and that walk is a noticeable part of the request. ``build`` and ``new``
# make the same instances by filling ``__dict__`` (where Django keeps field values; a field
# missing from it is deferred and loaded on first access, as with ``.only()``). Models with
# init signal receivers (image fields, generic relations) get ``__init__`` as usual.


def _plain(model: type[Model]) -> bool:
    return not (pre_init.has_listeners(model) or post_init.has_listeners(model))


def build(model: type[M], values: dict[str, Any], *, db: str = DEFAULT_DB_ALIAS) -> M:
    """An instance of a stored row from some of its columns (by attribute name, ``unit_id``
    for a foreign key), as ``model.from_db`` would make it: the other fields are deferred."""
    if not _plain(model):
        names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
        return model.from_db(db, names, [values[n] for n in names])
    obj = model.__new__(model)
    obj.__dict__.update(values)
    state = obj._state = ModelState()
    state.adding = False
    state.db = db
    return obj


_DEFAULTS: dict[type[Model], tuple[dict[str, Any], list[Field[Any, Any]], frozenset[str]]] = {}


def new(model: type[M], values: dict[str, Any]) -> M:
    """A new, unsaved instance, as ``model(**values)`` makes it: every field not given gets
    its default. ``values`` are by attribute name (``post_id``, not ``post``)."""
    if not _plain(model):
        return model(**values)
    if model not in _DEFAULTS:
        constant, computed = {}, []
        for f in model._meta.concrete_fields:
            # Only a default that is a callable is made anew for each instance (a field
            # without one has NOT_PROVIDED, itself callable, and its empty value).
            if f.has_default() and callable(f.default):
                computed.append(f)
            else:
                constant[f.attname] = f.get_default()
        _DEFAULTS[model] = (constant, computed, frozenset(constant) | {f.attname for f in computed})
    constant, computed, names = _DEFAULTS[model]
    if not values.keys() <= names:
        raise TypeError(f"{model.__name__} has no field {sorted(values.keys() - names)}")
    obj = model.__new__(model)
    obj.__dict__.update(constant)
    for f in computed:
        if f.attname not in values:
            obj.__dict__[f.attname] = f.get_default()
    obj.__dict__.update(values)
    obj._state = ModelState()
    return obj
