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

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, Model

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
def planned_cursor() -> Iterator[CursorWrapper]:
    """A cursor (Django's wrapper: errors translated, queries logged and counted) whose
    statements PostgreSQL prepares on the connection's first run of each."""
    db = _db()
    if not preparing(db):
        with db.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
        ServerBindingCursor,
    )

    db.ensure_connection()
    raw = ServerBindingCursor(db.connection)
    wrapped = _LoggedCursor(raw, db) if db.queries_logged else db.make_cursor(raw)
    with wrapped as cursor:
        yield cursor


class _LoggedCursor(CursorDebugWrapper):
    """Logs a planned statement with its values in (psycopg keeps no text of a prepared one,
    where Django's debug cursor looks for it)."""

    def execute(self, sql: str, params: Any = None) -> Any:
        shown = self.db.ops.compose_sql(sql, params) if params else sql
        with self.debug_sql(shown, params):
            return CursorWrapper.execute(self, sql, params)


_INSERTS: dict[tuple[str, type[Model]], tuple[str, list[Field[Any, Any]]]] = {}


def _insert_sql(db: BaseDatabaseWrapper, model: type[Model]) -> tuple[str, list[Field[Any, Any]]]:
    key = (db.vendor, model)
    if key not in _INSERTS:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if f is not meta.pk]
        quote = db.ops.quote_name
        # Only the model's table and column names are formatted in; every value is a parameter.
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        if db.features.can_return_columns_from_insert:
            sql += f" RETURNING {quote(meta.pk.column)}"
        _INSERTS[key] = (sql, fields)
    return _INSERTS[key]


def insert(obj: M) -> M:
    """Write a new instance with one prepared INSERT, as ``obj.save()`` would write it (every
    concrete field but the auto primary key, through ``pre_save`` and ``get_db_prep_save``), and
    set its primary key. Database errors are Django's (``IntegrityError``…), as from ``save``. It
    sends no ``pre_save``/``post_save`` signals: for models on a hot path that have none."""
    db = _db()
    sql, fields = _insert_sql(db, type(obj))
    params = [f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields]
    with planned_cursor() as cursor:
        cursor.execute(sql, params)
        if db.features.can_return_columns_from_insert:
            row = cursor.fetchone()
            pk = row[0] if row is not None else None
        else:
            pk = cursor.lastrowid
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = db.alias
    return obj
