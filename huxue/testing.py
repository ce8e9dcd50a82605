"""Builders for tests: a small city with two stations, three schools and one user per role.

Used by the root conftest.py (which builds the city once per test session); kept in the package so
benchmarks and app tests can build the same.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection

from huxue.calendar.models import Term
from huxue.core.validators import id_check_char
from huxue.orgs.models import Region, Unit, User
from huxue.orgs.roles import Role
from huxue.orgs.services import membership_grant, region_create, unit_create, user_create
from huxue.people.forces import ForceGroup, ForceType
from huxue.people.models import Person
from huxue.people.services import PersonInput, person_create, person_link_user
from huxue.posts.models import Post, School
from huxue.posts.services import parse_windows, post_create, school_create
from huxue.roster.models import Shift

PASSWORD = "Huxue-test-2026"

# Rostering tests run at a fixed moment before a plain school week in a term.
ROSTER_NOW = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
ROSTER_MONDAY = dt.date(2026, 12, 7)


def make_id_number(rng: random.Random, *, area: str = "230902", year: int | None = None) -> str:
    year = year or rng.randint(1965, 2002)
    first17 = (
        f"{area}{year:04d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    )
    return first17 + id_check_char(first17)


def make_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"


@dataclass
class City:
    city: Region
    xinxing: Region
    taoshan: Region
    bureau: Unit
    station_a: Unit
    station_b: Unit
    education: Unit
    school_a1: School
    school_a2: School
    school_b1: School
    post_a1: Post
    post_b1: Post
    person_a1: Person
    person_b1: Person
    users: dict[str, User] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(7))


def make_user(
    username: str,
    role: str | None = None,
    *,
    unit: Unit | None = None,
    region: Region | None = None,
) -> User:
    user = user_create(username=username, password=PASSWORD, display_name=username)
    if role:
        membership_grant(user=user, role=role, unit=unit, region=region)
    return user


def make_person(
    city: City | random.Random,
    *,
    unit: Unit,
    name: str = "张三",
    force_type: str = ForceType.COMMUNITY,
    **extra: Any,
) -> Person:
    rng = city if isinstance(city, random.Random) else city.rng
    data = PersonInput(
        name=name,
        force_type=force_type,
        phone=make_phone(rng),
        id_number=make_id_number(rng),
        unit=unit,
        **extra,
    )
    return person_create(actor=None, data=data)


def make_ready_member(
    city: City, name: str, force_type: str = ForceType.PARENT, *, unit: Unit | None = None
) -> Person:
    """A member who may stand duty: vetted and trained in September 2026, free on school days
    07:00–08:00 and 15:00–17:00; of 市第六小学 unless another unit is given."""
    from huxue.roster.services import availability_set

    person = make_person(
        city,
        unit=unit or city.school_a1.unit,
        name=name,
        force_type=force_type,
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
    )
    availability_set(
        actor=None,
        person=person,
        windows=[(d, dt.time(7), dt.time(8)) for d in range(5)]
        + [(d, dt.time(15), dt.time(17)) for d in range(5)],
    )
    return person


def make_city() -> City:
    rng = random.Random(7)
    city = region_create(code="230900", name="七台河市")
    xinxing = region_create(code="230902", name="新兴区", parent=city)
    taoshan = region_create(code="230903", name="桃山区", parent=city)
    bureau = unit_create(kind=Unit.Kind.BUREAU, name="七台河市公安局", region=city)
    station_a = unit_create(
        kind=Unit.Kind.STATION, name="新兴派出所", region=xinxing, parent=bureau
    )
    station_b = unit_create(
        kind=Unit.Kind.STATION, name="桃山派出所", region=taoshan, parent=bureau
    )
    education = unit_create(kind=Unit.Kind.EDUCATION, name="七台河市教育局", region=city)

    def school(name: str, station: Unit, region: Region) -> School:
        return school_create(
            actor=None,
            name=name,
            stage=School.Stage.PRIMARY,
            station=station,
            region=region,
            latitude=Decimal("45.771000"),
            longitude=Decimal("131.003000"),
            pupils=800,
        )

    school_a1 = school("市第六小学", station_a, xinxing)
    school_a2 = school("新兴小学", station_a, xinxing)
    school_b1 = school("桃山小学", station_b, taoshan)

    def post(s: School, name: str) -> Post:
        return post_create(
            actor=None,
            school=s,
            name=name,
            latitude=s.latitude,
            longitude=s.longitude,
            windows=parse_windows("07:00-08:00, 15:30-17:00"),
            requirements={ForceGroup.POLICE: 1, ForceGroup.GUARD: 1, ForceGroup.VOLUNTEER: 2},
        )

    built = City(
        city=city,
        xinxing=xinxing,
        taoshan=taoshan,
        bureau=bureau,
        station_a=station_a,
        station_b=station_b,
        education=education,
        school_a1=school_a1,
        school_a2=school_a2,
        school_b1=school_b1,
        post_a1=post(school_a1, "南门"),
        post_b1=post(school_b1, "正门"),
        person_a1=make_person(rng, unit=school_a1.unit, name="李红"),
        person_b1=make_person(rng, unit=school_b1.unit, name="王刚"),
        rng=rng,
    )
    users = built.users
    users["city_admin"] = make_user("city_admin", Role.BUREAU, unit=bureau)
    users["station_officer"] = make_user("station_officer", Role.STATION, unit=station_a)
    users["education"] = make_user("education", Role.EDUCATION, unit=education)
    users["school_lead"] = make_user("school_lead", Role.SCHOOL_LEAD, unit=school_a1.unit)
    users["other_lead"] = make_user("other_lead", Role.SCHOOL_LEAD, unit=school_b1.unit)
    users["inspector"] = make_user("inspector", Role.INSPECTOR, unit=education, region=xinxing)
    users["volunteer"] = make_user("volunteer", Role.MEMBER, unit=school_a1.unit)
    users["sysadmin"] = make_user("sysadmin", Role.SYSADMIN, region=city)
    users["secadmin"] = make_user("secadmin", Role.SECADMIN, region=city)
    users["auditor"] = make_user("auditor", Role.AUDITOR, region=city)
    users["stranger"] = make_user("stranger")
    person_link_user(actor=None, person=built.person_a1, user=users["volunteer"])
    return built


def make_term(city: City) -> Term:
    """The autumn term that holds ROSTER_MONDAY's week."""
    return Term.objects.create(
        unit=city.bureau,
        region=city.city,
        name="2026-2027学年第一学期",
        start=dt.date(2026, 9, 1),
        end=dt.date(2027, 1, 15),
    )


def local_at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    """An aware datetime at this wall-clock time in Shanghai."""
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time(hh, mm)))


def make_shift(
    post: Post,
    *,
    day: dt.date = ROSTER_MONDAY,
    start: dt.time = dt.time(7, 0),
    end: dt.time = dt.time(8, 0),
    requirements: dict[str, int] | None = None,
) -> Shift:
    """A shift at a post, made directly (no calendar needed), for duty tests."""
    return Shift.objects.create(
        post=post,
        day=day,
        start=start,
        end=end,
        starts_at=local_at(day, start.hour, start.minute),
        ends_at=local_at(day, end.hour, end.minute),
        requirements=requirements
        if requirements is not None
        else {r.group: r.minimum for r in post.requirements.all()},
    )


def empty_tables() -> None:
    """Delete every row of Huxue's tables inside the caller's transaction (its rollback brings
    them back), for the few tests that need a database without the session's test city."""
    if not connection.in_atomic_block:
        raise RuntimeError("empty_tables() outside a transaction would delete the test city")
    tables = [
        model._meta.db_table
        for app in apps.get_app_configs()
        if app.name.startswith("huxue.")
        for model in app.get_models(include_auto_created=True)
    ]
    # TRUNCATE on PostgreSQL (the audit table's triggers refuse row deletes), DELETE on SQLite;
    # allow_cascade takes along other apps' rows that point at these (the admin's log).
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
    )
