"""Benchmark: the check-in endpoint against a bare one-INSERT view, side by side, per database.

    .venv/bin/python bench/checkin.py [--requests 2000] [--warmup 200] [--rounds 10]
                                      [--backends sqlite,postgresql]

For each backend: a fresh database (an SQLite file in a temporary directory; a new huxue_burst_*
database on the PostgreSQL server of DATABASE_URL, else 127.0.0.1:5432, dropped afterwards),
migrated and seeded with one post open for duty now and one rostered member per check-in, each
with an API token. Then gunicorn with 2 sync workers on loopback and 16 client connections:

- real: POST /api/v1/checkins/ with token auth, an Idempotency-Key, the phone's position — the
  whole path (validation, the city's rules and geofence, the idempotency key kept on the row,
  the insert); every request is a different member's first check-in.
- bare: POST /bench/insert/ (config/bench_urls.py), a Django view doing one raw INSERT into the
  same database, through the same middleware, without authentication.

The two alternate in short rounds after a warm-up (bare, check-in, check-in, bare…), so drift in
the machine's load falls on both. It prints requests/s, p50 and p99 and the ratio of the real
endpoint's rate to the bare one's over all rounds (target ≥ 0.6), the spread of that ratio
between neighbouring rounds (how much the machine moved while it ran), then where the CPU time of a request went (read from /proc, so on Linux): in
gunicorn's processes, in the PostgreSQL server's processes for this database (when the server
runs on this machine) and in this client. It never fails on time; it fails only if a request
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

from huxue.duty import loadkit  # noqa: E402

CONCURRENCY = 16
WORKERS = 2


@dataclass
class Tally:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    bad: int = 0
    rates: list[float] = field(default_factory=list)  # each round's requests/s
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CPU_PARTS, 0.0))

    def add(self, replies: list[loadkit.Reply], seconds: float, cpu: dict[str, float]) -> None:
        self.seconds += seconds
        self.rates.append(len(replies) / seconds if seconds else 0.0)
        self.latencies += [r.seconds for r in replies]
        self.bad += sum(1 for r in replies if r.status != 201)
        for part, used in cpu.items():
            self.cpu[part] += used

    def cpu_ms(self, part: str) -> float:
        return 1000 * self.cpu[part] / len(self.latencies) if self.latencies else 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: int) -> float:
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[q - 1] * 1000


CPU_PARTS = ("gunicorn", "database", "client")


def timed(
    server: loadkit.Server, db: loadkit.Database, calls: list[loadkit.Call]
) -> tuple[list[loadkit.Reply], float, dict[str, float]]:
    """The burst's replies, its wall time and the CPU time each part used during it."""
    meters = {
        "gunicorn": loadkit.CpuMeter(server.pids),
        "database": loadkit.CpuMeter(db.backend_pids),
    }
    for meter in meters.values():
        meter.start()
    client, started = time.process_time(), time.perf_counter()
    replies = loadkit.burst(server.port, calls, concurrency=CONCURRENCY)
    seconds, client = time.perf_counter() - started, time.process_time() - client
    cpu = {part: meter.stop() for part, meter in meters.items()}
    return replies, seconds, {**cpu, "client": client}


def run_backend(vendor: str, *, requests: int, warmup: int, rounds: int, pg_url: str) -> None:
    db = loadkit.fresh_database(vendor, server_url=pg_url)
    try:
        loadkit.migrate(db)
        seeded = loadkit.seed(db, members=warmup + requests)
        members = iter(seeded.members)

        def real_calls(n: int) -> list[loadkit.Call]:
            return [
                loadkit.checkin_call(seeded, next(members), str(uuid.uuid4())) for _ in range(n)
            ]

        def bare_calls(n: int) -> list[loadkit.Call]:
            return [loadkit.bare_call(str(uuid.uuid4())) for _ in range(n)]

        bare, real = Tally(), Tally()
        with loadkit.Server(db, workers=WORKERS) as server:
            for calls in (bare_calls(warmup), real_calls(warmup)):
                replies, _, _ = timed(server, db, calls)
                if any(r.status != 201 for r in replies):
                    bad = next(r for r in replies if r.status != 201)
                    raise SystemExit(f"warm-up answered {bad.status}: {bad.body[:300]!r}")
            per_round = [
                requests // rounds + (1 if i < requests % rounds else 0) for i in range(rounds)
            ]
            for i, n in enumerate(per_round):
                order = [(bare, bare_calls), (real, real_calls)]
                for tally, make in order if i % 2 == 0 else order[::-1]:
                    tally.add(*timed(server, db, make(n)))
        rows = db.query("SELECT count(*) FROM duty_checkin")[0][0]
    finally:
        db.drop()

    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[vendor]
    for name, tally in (("bare INSERT view", bare), ("check-in endpoint", real)):
        print(
            f"{label:<11} {name:<18} {len(tally.latencies):>8} {tally.rate:>10.1f} "
            f"{tally.pct(50):>8.1f} {tally.pct(99):>8.1f}"
            + (f"   ({tally.bad} not 201)" if tally.bad else "")
        )
    ratio = real.rate / bare.rate if bare.rate else 0.0
    print(
        f"{label:<11} ratio check-in/bare (requests/s): {ratio:.2f}  (target >= 0.6)  "
        f"[{rows} check-in rows written]"
    )
    # Each round of the check-in against the bare round next to it: how much the machine moved.
    by_round = sorted(r / b for r, b in zip(real.rates, bare.rates, strict=True) if b)
    if by_round:
        print(
            f"{label:<11} ratio by round: median {statistics.median(by_round):.2f}, "
            f"lowest {by_round[0]:.2f}, highest {by_round[-1]:.2f} ({len(by_round)} rounds)"
        )
    for name, tally in (("bare INSERT view", bare), ("check-in endpoint", real)):
        parts = ", ".join(f"{part} {tally.cpu_ms(part):.2f}" for part in CPU_PARTS)
        total = sum(tally.cpu_ms(part) for part in CPU_PARTS)
        print(f"{label:<11} {name:<18} CPU ms per request: {parts}; in all {total:.2f}")
    if bare.bad or real.bad or rows != warmup + requests:
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
