"""The reads every check-in makes, as few round trips as the rules allow.

In a peak window a whole city checks in within minutes, and on this path the cost of a query is
mostly its round trip and the ORM's building of it, not the database's work (bench/checkin.py
measures the endpoint against a bare INSERT). The reads, each one SQL statement that SQLite and
PostgreSQL both run (prepared on PostgreSQL, see ``huxue.core.db``):

- ``member_for_token``: the API token, its user, the user's live member record and whether any of
  the user's roles may write check-ins (the authentication of the endpoint);
- ``gate_view``: the post (by id or QR token) with its school's unit and region, the city's duty
  rules (the nearest region up the tree that has them), the post's earliest shift not yet over and
  the member's live assignment to it;
- ``member_at_gate``: both at once, for a member checking in with their token: the API's
  check-in reads once, then writes once;
- ``check_in_statement`` (PostgreSQL, where every statement is a round trip to the server): the
  read of ``member_at_gate`` and the INSERT of the check-in in one statement, for a post whose
  gate this process has read before (``known_gate``). The check-in is judged in Python against
  that gate, as always; the statement writes it only if the gate's rows, read again in the same
  statement, are the same row versions (``_GATE_STAMP``: any change to the post, its school, its
  unit or region, the rules or the window is a miss: nothing is written and the caller reads and
  judges afresh).

It fills narrow model instances (the columns read; any other field loads on access).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from huxue.core.db import build, insert_select, planned_cursor
from huxue.duty.models import CheckIn, DutyRules
from huxue.orgs import roles
from huxue.orgs.models import Region, Unit, User
from huxue.people.forces import GROUP_OF
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.roster.models import Shift

V = TypeVar("V")

# The roles that may write check-ins (a member their own; leads at roll call).
CHECKIN_WRITERS = sorted(r for r in roles.PERMISSIONS if roles.allows(r, "checkin", "write"))


_PERSON_COLUMNS = ("id", "name", "force_type", "unit_id", "user_id")
_USER_COLUMNS = ("id", "username", "display_name", "is_active", "is_staff", "is_superuser")


def _sql_text(value: str) -> str:
    # A constant of the code's own (a role, a force type, a group), written into a statement.
    if not (value.isidentifier() and value.islower()):
        raise ValueError(f"unexpected constant: {value!r}")
    return f"'{value}'"


def _roles_sql() -> str:
    return ", ".join(_sql_text(r) for r in CHECKIN_WRITERS)


# The member behind a token: their person and user columns, then whether they may check in.
_MAY_CHECK_IN = (
    "EXISTS (SELECT 1 FROM orgs_membership m WHERE m.user_id = mu.id AND m.role IN ({roles}))"
)
_MEMBER_FROM = (
    "FROM authtoken_token mt JOIN orgs_user mu ON mu.id = mt.user_id "
    "JOIN people_person mp ON mp.user_id = mu.id"
)
_MEMBER_WHERE = "WHERE mt.key = %s AND mu.is_active AND mp.voided_at IS NULL ORDER BY mp.id LIMIT 1"
_MEMBER_WIDTH = len(_PERSON_COLUMNS) + len(_USER_COLUMNS) + 1


def _member_select_columns() -> list[str]:
    quote = connection.ops.quote_name
    return [
        *(f"mp.{quote(n)}" for n in _PERSON_COLUMNS),
        *(f"mu.{quote(n)}" for n in _USER_COLUMNS),
        _MAY_CHECK_IN.format(roles=_roles_sql()),
    ]


def _member_select() -> str:
    return ", ".join(_member_select_columns())


def member_of(row: tuple[Any, ...] | list[Any]) -> Person:
    """The member of a row that begins with the columns ``member_for_token`` reads: the person
    with their user, and ``may_check_in``."""
    n = len(_PERSON_COLUMNS)
    person = build(Person, {**dict(zip(_PERSON_COLUMNS, row[:n], strict=True)), "voided_at": None})
    user = build(User, dict(zip(_USER_COLUMNS, row[n : n + len(_USER_COLUMNS)], strict=True)))
    user.is_active = bool(user.is_active)
    Person.user.field.set_cached_value(person, user)
    person.may_check_in = bool(row[_MEMBER_WIDTH - 1])  # type: ignore[attr-defined]
    return person


def member_for_token(key: str) -> Person | None:
    """The live member record behind an API token whose user is active, with the user loaded
    and ``may_check_in`` set; None when the token is not a member's. One statement."""
    with planned_cursor() as cursor:
        cursor.execute(_MEMBER_SQL, [key])
        row = cursor.fetchone()
    return None if row is None else member_of(row)


def checkin_by_key(person: Person, key: str) -> CheckIn | None:
    """The check-in this member made with this client key, if any (a retry's first answer)."""
    if not key:
        return None
    return (
        CheckIn.objects.filter(person=person, client_key=key)
        .select_related("post__school__unit", "shift")
        .first()
    )


@dataclass(frozen=True)
class GateView:
    post: Post
    rules: DutyRules
    shift: Shift | None  # the post's earliest shift not over at the moment asked about
    assignment_id: int | None  # the member's live assignment to it


def _py_time(value: Any) -> Any:
    """A datetime column's value as the ORM returns it (SQLite gives naive UTC, or text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _py_value(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        return _py_time(value)
    if isinstance(field, models.DateField) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if isinstance(field, models.TimeField) and isinstance(value, str):
        return dt.time.fromisoformat(value)
    if isinstance(field, models.DecimalField):
        return Decimal(str(value))
    if isinstance(field, models.BooleanField):
        return bool(value)
    return value


_POST_COLUMNS = ("id", "name", "latitude", "longitude", "geofence_m", "school_id")
_SHIFT_COLUMNS = ("id", "day", "start", "end", "starts_at", "ends_at")
# The rules' own columns (not when they were written: two fewer timestamps to parse per read).
_RULES_FIELDS = [
    f for f in DutyRules._meta.concrete_fields if f.attname not in ("created_at", "updated_at")
]


def _columns(alias: str, names: list[str]) -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(n)}" for n in names)


def _gate_columns() -> str:
    rules = _columns("dr", [f.column for f in _RULES_FIELDS])
    return (
        f"{_columns('p', list(_POST_COLUMNS))}, s.unit_id, u.name, u.region_id, "
        f"g.code, g.path, g.parent_id, {rules}, {_columns('sh', list(_SHIFT_COLUMNS))}"
    )


# The live post, its school's unit and region, the nearest rules up the tree and the post's
# earliest shift not over at a moment (the first parameter); {match} names the post.
_GATE_FROM = (
    "FROM posts_post p "
    "JOIN posts_school s ON s.id = p.school_id "
    "JOIN orgs_unit u ON u.id = s.unit_id "
    "JOIN orgs_region g ON g.id = u.region_id "
    "LEFT JOIN duty_dutyrules dr ON dr.id = ("
    " SELECT d2.id FROM duty_dutyrules d2 JOIN orgs_region g2 ON g2.id = d2.region_id"
    " WHERE g.path LIKE g2.path || '%%' ORDER BY length(g2.path) DESC LIMIT 1) "
    "LEFT JOIN roster_shift sh ON sh.id = ("
    " SELECT s2.id FROM roster_shift s2 WHERE s2.post_id = p.id"
    " AND s2.cancelled_at IS NULL AND s2.ends_at >= %s ORDER BY s2.starts_at, s2.id LIMIT 1) "
    "WHERE p.voided_at IS NULL AND {match}"
)
_GATE_WIDTH = len(_POST_COLUMNS) + 6 + len(_RULES_FIELDS) + len(_SHIFT_COLUMNS)


def _assignment(shift: str, person: str) -> str:
    return (
        f"(SELECT a.id FROM roster_assignment a WHERE a.shift_id = {shift} "  # noqa: S608
        f"AND a.person_id = {person} AND a.dropped_at IS NULL ORDER BY a.id LIMIT 1)"
    )


# Only column names from the models and the code's own constants are formatted into these
# statements; every value is a parameter.


def _gate_sql(match: str) -> str:
    """Parameters: the member's person id, the moment, the post's id or QR token."""
    return (
        f"SELECT {_gate_columns()}, {_assignment('sh.id', '%s')} "  # noqa: S608
        + _GATE_FROM.format(match=match)
    )


# The versions of the gate's rows (PostgreSQL): each row's xmin (the transaction that wrote this
# version) and ctid (where the version lies). Every UPDATE writes a new version, at a new place
# even within one transaction, and a place is reused only once its version is dead; so an equal
# stamp means the same versions of the same rows (a post, school, unit, region, rules or window
# changed, added or removed makes another stamp), and it costs the statement no reading of
# their values.
_GATE_STAMP = (
    "ROW("
    + ", ".join(f"{alias}.xmin, {alias}.ctid" for alias in ("p", "s", "u", "g", "dr", "sh"))
    + ")::text"
)


def _member_and_gate(match: str) -> str:
    """The member behind the token (``mp``, ``mu``) and the gate (``gv``: its columns, its window
    ``sh_id`` and, on PostgreSQL, its ``gate_stamp``), as ``member_at_gate`` and
    ``check_in_statement`` both read them. Parameters: the moment, the post's id or QR token,
    the API token."""
    stamp = f", {_GATE_STAMP} AS gate_stamp" if connection.vendor == "postgresql" else ""
    return (
        f"{_MEMBER_FROM} LEFT JOIN (SELECT {_gate_columns()}, sh.id AS sh_id{stamp} "
        f"{_GATE_FROM.format(match=match)}) gv ON 1 = 1 {_MEMBER_WHERE}"
    )


def _member_gate_sql(match: str) -> str:
    """Its row: the member's columns, their assignment to the gate's window, then the gate's
    (``gv.*``). Parameters: the moment, the post's id or QR token, the API token."""
    return (
        f"SELECT {_member_select()}, {_assignment('gv.sh_id', 'mp.id')}, gv.*"  # noqa: S608
        f" {_member_and_gate(match)}"
    )


_MEMBER_SQL = f"SELECT {_member_select()} {_MEMBER_FROM} {_MEMBER_WHERE}"  # noqa: S608
_MATCH = {"id": "p.id = %s", "qr": "p.qr_token = %s"}
_GATE = {by: _gate_sql(match) for by, match in _MATCH.items()}
_MEMBER_GATE = {by: _member_gate_sql(match) for by, match in _MATCH.items()}


def _named(post_id: int | None, qr_token: str) -> tuple[str, str | int] | None:
    """How the post is named: by its QR token or its id (None: not at all)."""
    if qr_token:
        return "qr", qr_token
    return ("id", post_id) if post_id else None


def gate_view(
    *, post_id: int | None = None, qr_token: str = "", person_id: int, at: dt.datetime
) -> GateView | None:
    """The live post named by id or QR token, its rules, its shift at ``at`` and the member's
    assignment to it (see the module's docstring); None when there is no such live post."""
    if (named := _named(post_id, qr_token)) is None:
        return None
    by, match = named
    with planned_cursor() as cursor:
        at_db = connection.ops.adapt_datetimefield_value(at)
        cursor.execute(_GATE[by], [person_id, at_db, match])
        row = cursor.fetchone()
    return None if row is None else _view(tuple(row[:_GATE_WIDTH]), row[-1])


def member_at_gate(
    key: str, *, post_id: int | None = None, qr_token: str = "", at: dt.datetime
) -> tuple[Person, GateView | None] | None:
    """``member_for_token(key)`` and that member's ``gate_view`` in one statement; None when
    the token is not a live member's (authenticate it the usual way), a None view when the
    post is not live."""
    if (named := _named(post_id, qr_token)) is None:
        return None
    by, match = named
    with planned_cursor() as cursor:
        cursor.execute(_MEMBER_GATE[by], [connection.ops.adapt_datetimefield_value(at), match, key])
        row = cursor.fetchone()
    if row is None:
        return None
    place = tuple(row[_MEMBER_WIDTH + 1 : _MEMBER_WIDTH + 1 + _GATE_WIDTH])
    view = None
    if place[0] is not None:
        view = _view(place, row[_MEMBER_WIDTH])
        if len(row) > _MEMBER_WIDTH + _GATE_WIDTH + 2:  # with the gate's stamp
            _remember(_KNOWN, named, (row[-1], replace(view, assignment_id=None)))
    return member_of(row), view


# The gate last read for each post, by how the post was named, with its stamp (PostgreSQL):
# ``check_in_statement`` writes a check-in judged against it in one statement, which writes only
# if the gate's rows are still the same versions.
_KNOWN: dict[tuple[str, str | int], tuple[str, GateView]] = {}


def known_gate(*, post_id: int | None = None, qr_token: str = "") -> tuple[str, GateView] | None:
    """The gate last read for this post by ``member_at_gate`` (without a member's assignment) and
    its stamp; None when there is none (or not on PostgreSQL)."""
    if (named := _named(post_id, qr_token)) is None:
        return None
    return _KNOWN.get(named)


# The check-in statement: the member behind the token and the gate as ``member_at_gate`` reads
# them (``mv``: the member's columns ``m0``…, their assignment to the gate's window and the gate's
# stamp), then the INSERT of the check-in from them (``ins``), made only when the member may
# check in and the gate's rows are the ones the check-in was judged against. The member's own values
# (their person, force type and group, their assignment, whether they are a walk-in) come from
# the read.
_GROUP_SQL = (
    "CASE mv.m2 "
    + " ".join(f"WHEN {_sql_text(t)} THEN {_sql_text(g)}" for t, g in GROUP_OF.items())
    + " END"
)
CHECKIN_EXPRS = {
    "person_id": "mv.m0",
    "assignment_id": "mv.gate_assignment",
    "group": _GROUP_SQL,
    "force_type": "mv.m2",
    "is_walkin": "(mv.gate_assignment IS NULL)",
}


def _member_view_sql(match: str) -> str:
    members = ", ".join(f"{col} AS m{i}" for i, col in enumerate(_member_select_columns()))
    return (
        f"SELECT {members}, {_assignment('gv.sh_id', 'mp.id')} AS gate_assignment, "  # noqa: S608
        f"gv.gate_stamp {_member_and_gate(match)}"
    )


_STATEMENTS: dict[tuple[str, str], str] = {}


def check_in_statement(
    checkin: CheckIn,
    *,
    key: str,
    post_id: int | None = None,
    qr_token: str = "",
    at: dt.datetime,
    stamp: str,
    rostered_only: bool,
    db: BaseDatabaseWrapper,
) -> tuple[str, list[Any]]:
    """The statement (PostgreSQL) that writes ``checkin`` (judged against the gate of
    ``known_gate``) for the member behind the API token ``key``; its row: the member's columns as
    ``member_for_token`` reads them, the gate's assignment and stamp, then the new row's id,
    assignment and walk-in flag (None when nothing was written)."""
    named = _named(post_id, qr_token)
    if named is None:
        raise ValueError("no post named")
    by, match = named
    where = f"mv.m{_MEMBER_WIDTH - 1} AND mv.gate_stamp = %s"
    if rostered_only:
        where += " AND mv.gate_assignment IS NOT NULL"
    insert_sql, values = insert_select(
        checkin,
        exprs=CHECKIN_EXPRS,
        source="mv",
        where=where,
        returning=("assignment_id", "is_walkin"),
        db=db,
    )
    if (sql := _STATEMENTS.get((by, insert_sql))) is None:
        sql = _STATEMENTS[(by, insert_sql)] = (
            f"WITH mv AS ({_member_view_sql(_MATCH[by])}), ins AS ({insert_sql}) "  # noqa: S608
            "SELECT mv.*, ins.* FROM mv LEFT JOIN ins ON TRUE"
        )
    return sql, [db.ops.adapt_datetimefield_value(at), match, key, *values, stamp]


def _view(place: tuple[Any, ...], assignment_id: int | None) -> GateView:
    if (built := _BUILT.get(place)) is None:
        built = _remember(_BUILT, place, _build(place))
    post, rules, shift = built
    return GateView(post=post, rules=rules, shift=shift, assignment_id=assignment_id)


# Instances built from a row of the gate's read, keyed by the row's values (all of them, so a
# change to the post, its school, the rules or the shift is a new key): every member checking in
# at a post in one window reads the same row, and building the six instances is most of the
# read's own cost. They are shared, so read-only: nothing on the check-in path changes them.
_BUILT: dict[tuple[Any, ...], tuple[Post, DutyRules, Shift | None]] = {}
_REMEMBERED_MAX = 1024  # entries per memo: a city's posts, twice over


def _remember(memo: dict[Any, V], key: Any, value: V) -> V:
    """Keep a value in a bounded memo (emptied when full: it fills again from the next reads)."""
    if len(memo) >= _REMEMBERED_MAX:
        memo.clear()
    memo[key] = value
    return value


def _build(values: tuple[Any, ...]) -> tuple[Post, DutyRules, Shift | None]:
    post_row = dict(zip(_POST_COLUMNS, values[:6], strict=True))
    unit_id, unit_name, region_id, code, path, parent_id = values[6:12]
    rules_values = values[12 : 12 + len(_RULES_FIELDS)]
    shift_values = values[12 + len(_RULES_FIELDS) : 12 + len(_RULES_FIELDS) + 6]

    region = build(Region, {"id": region_id, "code": code, "path": path, "parent_id": parent_id})
    unit = build(Unit, {"id": unit_id, "name": unit_name, "region_id": region_id})
    unit.region = region
    school = build(School, {"id": post_row["school_id"], "unit_id": unit_id})
    school.unit = unit
    post_fields = {f.attname: f for f in Post._meta.concrete_fields}
    post = build(
        Post,
        {
            **{k: _py_value(post_fields[k], v) for k, v in post_row.items()},
            "voided_at": None,
        },
    )
    post.school = school
    if rules_values[0] is None:
        rules = DutyRules(region=region)
    else:
        rules = build(
            DutyRules,
            {f.attname: _py_value(f, v) for f, v in zip(_RULES_FIELDS, rules_values, strict=True)},
        )
    shift = None
    if shift_values[0] is not None:
        shift_fields = {f.attname: f for f in Shift._meta.concrete_fields}
        shift = build(
            Shift,
            {
                **{
                    name: _py_value(shift_fields[name], v)
                    for name, v in zip(_SHIFT_COLUMNS, shift_values, strict=True)
                },
                "post_id": post.pk,
            },
        )
        shift.post = post
    return post, rules, shift
