"""Benchmark: the check-in endpoint against a bare one-INSERT view, side by side, per database.

    .venv/bin/python bench/checkin.py [--requests 2000] [--warmup 200] [--rounds 10]
                                      [--backends sqlite,postgresql]

For each backend: a fresh database (an SQLite file in a temporary directory; a new huxue_burst_*
database on the PostgreSQL server of DATABASE_URL, else 127.0.0.1:5432, dropped afterwards;
skipped, and said so, when that server does not answer), migrated and seeded with one post open
for duty now and one rostered member per check-in, each with an API token (bench/seed.py). Then
gunicorn with 2 sync workers on loopback and 16 client connections (bench/loadkit.py):

- check-in: POST /api/v1/checkins/ with token auth, an Idempotency-Key and the phone's position,
  every request a different member's first check-in;
- bare: POST /bench/insert/ (bench/urls.py), a Django view doing one raw INSERT into the same
  database, through the same middleware, without authentication.

Both are measured in the same run, alternating in short rounds after a warm-up, so drift in the
machine's load falls on both. It prints requests/s, p50 and p99 latency for each and the ratio of
the check-in's requests/s to the bare view's. It never fails on time; it fails only if a request
is not answered with 201.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import loadkit  # noqa: E402

CONCURRENCY = 16
WORKERS = 2


@dataclass
class Tally:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    bad: int = 0

    def add(self, replies: list[loadkit.Reply], seconds: float) -> None:
        self.seconds += seconds
        self.latencies += [r.seconds for r in replies]
        self.bad += sum(1 for r in replies if r.status != 201)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def ms(self, q: int) -> float:
        """The q-th percentile of the latencies, in milliseconds."""
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1] * 1000


def timed(server: loadkit.Server, calls: list[loadkit.Call]) -> tuple[list[loadkit.Reply], float]:
    started = time.perf_counter()
    replies = loadkit.burst(server.port, calls, concurrency=CONCURRENCY)
    return replies, time.perf_counter() - started


def run_backend(vendor: str, *, requests: int, warmup: int, rounds: int, pg_url: str) -> None:
    db = loadkit.fresh_database(vendor, server_url=pg_url)
    try:
        loadkit.migrate(db)
        seeded = loadkit.seed(db, members=warmup + requests)
        members = iter(seeded.members)

        def checkin_calls(n: int) -> list[loadkit.Call]:
            return [
                loadkit.checkin_call(seeded, next(members), str(uuid.uuid4())) for _ in range(n)
            ]

        def bare_calls(n: int) -> list[loadkit.Call]:
            return [loadkit.bare_call(str(uuid.uuid4())) for _ in range(n)]

        bare, checkin = Tally(), Tally()
        with loadkit.Server(db, workers=WORKERS) as server:
            for calls in (bare_calls(warmup), checkin_calls(warmup)):
                replies, _ = timed(server, calls)
                if any(r.status != 201 for r in replies):
                    bad = next(r for r in replies if r.status != 201)
                    raise SystemExit(f"warm-up answered {bad.status}: {bad.body[:300]!r}")
            per_round = [
                requests // rounds + (1 if i < requests % rounds else 0) for i in range(rounds)
            ]
            for i, n in enumerate(per_round):
                order = [(bare, bare_calls), (checkin, checkin_calls)]
                for tally, make in order if i % 2 == 0 else order[::-1]:
                    tally.add(*timed(server, make(n)))
        rows = db.query("SELECT count(*) FROM duty_checkin")[0][0]
    finally:
        db.drop()

    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[vendor]
    for name, tally in (("bare INSERT view", bare), ("check-in endpoint", checkin)):
        print(
            f"{label:<11} {name:<18} {len(tally.latencies):>8} {tally.rate:>10.1f} "
            f"{tally.ms(50):>8.1f} {tally.ms(99):>8.1f}"
            + (f"   ({tally.bad} not 201)" if tally.bad else "")
        )
    ratio = checkin.rate / bare.rate if bare.rate else 0.0
    print(f"{label:<11} ratio check-in/bare (requests/s): {ratio:.2f}")
    if bare.bad or checkin.bad or rows != warmup + requests:
        raise SystemExit(f"{label}: some requests were not answered with 201")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint and backend")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    pg_url = url if url.startswith(("postgres://", "postgresql://")) else loadkit.DEFAULT_PG_URL

    print(
        f"check-in vs bare INSERT: gunicorn {WORKERS} sync workers on 127.0.0.1, "
        f"{CONCURRENCY} client connections, {args.requests} requests per endpoint "
        f"in {args.rounds} alternating rounds after {args.warmup} warm-up requests each "
        f"({os.cpu_count()} CPUs)"
    )
    print(
        f"{'database':<11} {'endpoint':<18} {'requests':>8} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
    )
    for vendor in args.backends.split(","):
        if vendor == "postgresql" and not loadkit.postgres_reachable(pg_url):
            host = pg_url.split("@")[-1].rsplit("/", 1)[0]
            print(f"PostgreSQL  not reachable at {host}: skipped")
            continue
        run_backend(
            vendor,
            requests=args.requests,
            warmup=args.warmup,
            rounds=args.rounds,
            pg_url=pg_url,
        )


if __name__ == "__main__":
    main()
