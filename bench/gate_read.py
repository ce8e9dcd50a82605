"""Where a check-in's time goes: the gate read taken apart, in one process, per database.

    .venv/bin/python bench/gate_read.py [--backends sqlite,postgresql] [--number 500]

For each backend: a fresh database seeded as for bench/checkin.py (bench/seed.py), then, timed
with ``timeit`` in this process and printed in milliseconds per call:

- gate read: ``huxue.duty.checkin.gate.gate_read`` as the check-in calls it (the ORM builds the
  query, compiles it, runs it and builds the model instances);
- compile: Django compiling that query's SQL, nothing run;
- execute: the compiled SQL run on the connection and fetched, as the ORM runs it (on
  PostgreSQL, prepared once the connection has run it five times);
- token read: the API token with its user and member, as the authentication class reads it.

It prints figures and never fails on time.
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import loadkit  # noqa: E402


def measure(number: int) -> dict[str, float]:
    """Run inside a process whose settings name the seeded database."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from huxue.api.models import MemberToken
    from huxue.duty.checkin.gate import gate_read
    from huxue.posts.models import Post

    token = MemberToken.objects.select_related("user__person").first()
    assert token is not None
    member, actor = token.user.person, token.user
    post = Post.objects.live().first()
    assert post is not None
    now = timezone.now()

    def read():  # type: ignore[no-untyped-def]
        return gate_read(actor=actor, member=member, at=now, post_id=post.pk)

    if read() is None:
        raise SystemExit("the seeded post has no window now")
    queries = []

    def keep(call, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append((sql, params))
        return call(sql, params, many, context)

    with connection.execute_wrapper(keep):
        read()
    sql, params = queries[0]

    def run():  # type: ignore[no-untyped-def]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def compile_():  # type: ignore[no-untyped-def]
        from django.db.models import QuerySet

        captured: list[QuerySet] = []
        original = QuerySet.first

        def first(self):  # type: ignore[no-untyped-def]
            captured.append(self)
            return original(self)

        QuerySet.first = first  # type: ignore[method-assign]
        try:
            read()
        finally:
            QuerySet.first = original  # type: ignore[method-assign]
        query = captured[0].all()[:1].query
        return lambda: query.get_compiler(using="default").as_sql()

    key = token.key
    ms = 1000 / number
    return {
        "gate read": timeit.timeit(read, number=number) * ms,
        "compile": timeit.timeit(compile_(), number=number) * ms,
        "execute": timeit.timeit(run, number=number) * ms,
        "token read": timeit.timeit(lambda: MemberToken.objects.get(key=key), number=number) * ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--number", type=int, default=500)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        for name, value in measure(args.number).items():
            print(f"{name}\t{value:.3f}")
        return
    print(f"gate read taken apart: milliseconds per call, mean of {args.number} in one process")
    print(f"{'database':<11} {'gate read':>10} {'compile':>9} {'execute':>9} {'token read':>11}")
    pg_url = os.environ.get("DATABASE_URL") or loadkit.DEFAULT_PG_URL
    for vendor in args.backends.split(","):
        if vendor == "postgresql" and not loadkit.postgres_reachable(pg_url):
            print(f"{'PostgreSQL':<11} skipped: no server answers at {pg_url}")
            continue
        db = loadkit.fresh_database(vendor, server_url=pg_url)
        try:
            loadkit.migrate(db)
            loadkit.seed(db, members=5)
            out = loadkit.run(db, "bench/gate_read.py", "--measure", "--number", str(args.number))
            figures = dict(line.split("\t") for line in out.strip().splitlines())
            label = "SQLite" if vendor == "sqlite" else "PostgreSQL"
            print(
                f"{label:<11} {float(figures['gate read']):>10.2f} "
                f"{float(figures['compile']):>9.2f} {float(figures['execute']):>9.2f} "
                f"{float(figures['token read']):>11.2f}"
            )
        finally:
            db.drop()


if __name__ == "__main__":
    main()
