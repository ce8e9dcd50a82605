"""Check-ins under load, through a real gunicorn: concurrent retries never double-count, and a
worker killed mid-burst loses no check-in that was answered.

These run against a fresh database of the suite's backend (PostgreSQL when DATABASE_URL names
one, an SQLite file otherwise), served by gunicorn with 2 sync workers on loopback
(bench/loadkit.py); they read the results back with the plain database driver. The assertions are about rows and
answers; only the kill's moment is timed (a few milliseconds after an answer, when the worker is
busy with the next request), and the test checks that it did cut requests off.
"""

from __future__ import annotations

import os
import random
import signal
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import loadkit

BURST = 1000
TWINS = 300
KILL_BURST = 600
KILL_AT = (100, 175, 250, 325, 400)  # answers received before each SIGKILL

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[loadkit.Database, loadkit.Seeded, loadkit.Server]]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")) and not loadkit.postgres_reachable(url):
        pytest.skip(f"PostgreSQL is not reachable at {url}")
    db = loadkit.suite_database()
    try:
        loadkit.migrate(db)
        seeded = loadkit.seed(db, members=BURST + KILL_BURST)
        with loadkit.Server(db, workers=2) as server:
            yield db, seeded, server
    finally:
        db.drop()


def rows_of(db: loadkit.Database, members: list[loadkit.Member]) -> dict[int, list[int]]:
    """person id → ids of their live check-ins, for these members."""
    wanted = {m.person for m in members}
    found: dict[int, list[int]] = defaultdict(list)
    for pk, person in db.query("SELECT id, person_id FROM duty_checkin WHERE voided_at IS NULL"):
        if person in wanted:
            found[person].append(pk)
    return found


def keys_of(db: loadkit.Database, members: list[loadkit.Member]) -> int:
    """Check-ins that carry their client's key (stored with the row itself)."""
    people = {m.person for m in members}
    return sum(
        1
        for (person,) in db.query("SELECT person_id FROM duty_checkin WHERE client_key <> ''")
        if person in people
    )


def test_a_thousand_concurrent_check_ins_with_300_sent_twice_leave_a_thousand_rows(loaded):
    db, seeded, server = loaded
    members = seeded.members[:BURST]
    twins = set(random.Random(11).sample(range(BURST), TWINS))
    calls = []
    for i, member in enumerate(members):
        call = loadkit.checkin_call(seeded, member, str(uuid.uuid4()))
        calls.append(call)
        if i in twins:
            calls.append(call)  # the same key and body, right behind: two clients send it at once

    replies = loadkit.burst(server.port, calls, concurrency=16)

    assert len(replies) == BURST + TWINS
    refused = [(r.status, r.body[:200]) for r in replies if r.status != 201]
    assert refused == []
    by_member: dict[loadkit.Member, list[loadkit.Reply]] = defaultdict(list)
    for reply in replies:
        by_member[reply.call.tag].append(reply)
    for i, member in enumerate(members):
        answers = by_member[member]
        if i in twins:
            assert len(answers) == 2
            assert answers[0].json() == answers[1].json()
            assert sorted(a.replayed for a in answers) == [False, True]
        else:
            assert [a.replayed for a in answers] == [False]

    rows = rows_of(db, members)
    assert sum(len(ids) for ids in rows.values()) == BURST
    assert {m.person for m in members} == set(rows)
    assert all(len(ids) == 1 for ids in rows.values())
    answered = {r.call.tag.person: r.json()["id"] for r in replies}
    assert answered == {person: ids[0] for person, ids in rows.items()}
    assert keys_of(db, members) == BURST


def _started(pid: int) -> int:
    """A process's start time in clock ticks since boot (/proc/<pid>/stat, field 22)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


def test_a_worker_killed_mid_burst_loses_no_answered_check_in(loaded):
    db, seeded, server = loaded
    members = seeded.members[BURST : BURST + KILL_BURST]
    server.wait_for_workers()
    killed: list[int] = []

    def kill_a_worker(answered: int) -> None:
        if answered not in KILL_AT:
            return
        # The oldest worker: it is serving (a respawned one may still be loading Django).
        alive = [pid for pid in server.worker_pids() if pid not in killed]
        if alive:
            victim = min(alive, key=_started)
            # The workers are saturated (16 clients, 2 workers): a few milliseconds after an
            # answer, the worker has taken the next request and is in the middle of it.
            time.sleep(0.004)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    calls = [loadkit.checkin_call(seeded, m, str(uuid.uuid4())) for m in members]
    replies = loadkit.burst(server.port, calls, concurrency=16, retry=True, on_reply=kill_a_worker)

    assert len(killed) == len(KILL_AT)
    # The kills cut requests off mid-flight; their clients retried with the same key.
    cut_off = [r for r in replies if r.failures]
    assert cut_off, "no request lost its connection: the kills did not land mid-request"
    # The master replaced the killed workers.
    assert not set(server.wait_for_workers()) & set(killed)

    # Every request was answered in the end, and every 2xx answer's check-in is there.
    assert [r.status for r in replies if r.status != 201] == []
    rows = rows_of(db, members)
    for reply in replies:
        person = reply.call.tag.person
        assert rows.get(person) == [reply.json()["id"]], (person, rows.get(person))
    assert {m.person for m in members} == set(rows)
    assert all(len(ids) == 1 for ids in rows.values())
    assert keys_of(db, members) == KILL_BURST
