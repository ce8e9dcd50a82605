"""Seed a throwaway database for load runs (bench/loadkit.py): one post open for duty now and
many members on its roster, each with an API token; writes the tokens as JSON to a file. It also
creates the ``bench_insert`` table the bare view (bench/urls.py) writes to.

    DATABASE_URL=... python -m bench.seed --members 1000 --out seed.json   # from the project root

Never run it on a real database: it is meant for the fresh databases loadkit makes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

LATITUDE = Decimal("45.771000")
LONGITUDE = Decimal("131.003000")
BENCH_TABLE = {
    "sqlite": (
        "CREATE TABLE bench_insert ("
        "id integer NOT NULL PRIMARY KEY AUTOINCREMENT, k text NOT NULL, at timestamp NOT NULL)"
    ),
    "postgresql": (
        "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, k text NOT NULL, at timestamp NOT NULL)"
    ),
}


def _open_now() -> tuple[dt.date, dt.datetime, dt.datetime]:
    """A window that opened three minutes ago and closes in an hour. Near midnight its end's
    wall-clock time is the next day's (only starts_at/ends_at decide a check-in)."""
    from django.utils import timezone

    now = timezone.localtime()
    starts_at = (now - dt.timedelta(minutes=3)).replace(second=0, microsecond=0)
    return starts_at.date(), starts_at, starts_at + dt.timedelta(minutes=63)


def seed(members: int, *, rng: random.Random) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from huxue.orgs.models import Membership, Unit, User
    from huxue.orgs.roles import Role
    from huxue.orgs.services import region_create, unit_create
    from huxue.people.forces import ForceType
    from huxue.people.models import Person
    from huxue.people.services import id_index_of, phone_index_of
    from huxue.posts.models import School
    from huxue.posts.services import parse_windows, post_create, school_create
    from huxue.roster.models import Assignment, Shift
    from huxue.testing import make_id_number, make_phone

    city = region_create(code="230900", name="七台河市")
    bureau = unit_create(kind=Unit.Kind.BUREAU, name="七台河市公安局", region=city)
    station = unit_create(kind=Unit.Kind.STATION, name="新兴派出所", region=city, parent=bureau)
    school = school_create(
        actor=None,
        name="市第六小学",
        stage=School.Stage.PRIMARY,
        station=station,
        region=city,
        latitude=LATITUDE,
        longitude=LONGITUDE,
        pupils=800,
    )
    post = post_create(
        actor=None,
        school=school,
        name="南门",
        latitude=LATITUDE,
        longitude=LONGITUDE,
        windows=parse_windows("07:00-08:00"),
        requirements={"volunteer": 2},
    )
    day, starts_at, ends_at = _open_now()
    shift = Shift.objects.create(
        post=post,
        day=day,
        start=starts_at.time(),
        end=ends_at.time(),
        starts_at=starts_at,
        ends_at=ends_at,
        requirements={"volunteer": 2},
    )

    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(username=f"burst{i:05d}", password=unusable, display_name=f"队员{i}")
            for i in range(members)
        ]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, role=Role.MEMBER, unit=school.unit) for u in users]
    )
    tokens = Token.objects.bulk_create([Token(key=Token.generate_key(), user=u) for u in users])
    seen: set[str] = set()
    people = []
    today = timezone.localdate()
    for i, user in enumerate(users):
        number = make_id_number(rng)
        while number in seen:
            number = make_id_number(rng)
        seen.add(number)
        phone = make_phone(rng)
        people.append(
            Person(
                unit=school.unit,
                user=user,
                name=f"队员{i}",
                force_type=ForceType.COMMUNITY,
                phone=phone,
                phone_index=phone_index_of(phone),
                id_number=number,
                id_index=id_index_of(number),
                vetting_status=Person.Vetting.PASSED,
                vetted_on=today,
                training_status=Person.Training.TRAINED,
                trained_on=today,
                armband_issued=True,
                vest_issued=True,
            )
        )
    people = Person.objects.bulk_create(people)
    Assignment.objects.bulk_create(
        [Assignment(shift=shift, person=p, group=p.force_group, source="manual") for p in people]
    )
    return {
        "post": post.pk,
        "shift": shift.pk,
        "latitude": str(LATITUDE),
        "longitude": str(LONGITUDE),
        "members": [
            {"token": t.key, "user": u.pk, "person": p.pk}
            for t, u, p in zip(tokens, users, people, strict=True)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--out", required=True, help="Where to write the tokens (JSON).")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    with transaction.atomic():
        rng = random.Random(args.seed)
        seeded = seed(args.members, rng=rng)
        with connection.cursor() as cursor:
            cursor.execute(BENCH_TABLE[connection.vendor])
    # Planner statistics, as a database in use has them (autovacuum keeps PostgreSQL's);
    # without them a fresh database's plans guess every table holds a row or two.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    Path(args.out).write_text(json.dumps(seeded))
    print(f"seeded {len(seeded['members'])} members")


if __name__ == "__main__":
    main()
