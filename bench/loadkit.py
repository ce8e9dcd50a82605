"""A harness for load runs of the check-in endpoint: a fresh database, a real gunicorn on loopback,
and a pool of client threads. Used by bench/checkin.py and huxue/duty/tests/test_burst.py.

Everything runs in subprocesses with the database named in their environment, so this module
imports no Django: the caller's own settings and database are never touched. The steps:

    db = fresh_database("sqlite")                 # or "postgresql" (a new huxue_burst_* database)
    migrate(db); seeded = seed(db, members=1000)  # manage.py migrate, python -m bench.seed
    with Server(db) as server:                    # gunicorn config.wsgi with bench.urls, 2 workers
        replies = burst(server.port, [checkin_call(seeded, m, key) for m ...])
    db.drop()

No network beyond 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import shutil
import signal
import socket
import sqlite3
import subprocess  # noqa: S404  (starts our own programs, no shell)
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CHECKIN_PATH = "/api/v1/checkins/"
BARE_PATH = "/bench/insert/"
DB_PREFIX = "huxue_burst_"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"


class LoadError(RuntimeError):
    pass


# -- databases -------------------------------------------------------------------------------


@dataclass
class Database:
    """A throwaway database: its DATABASE_URL, and plain-driver reads for checking results."""

    vendor: str  # "sqlite" or "postgresql"
    url: str
    workdir: Path
    admin_url: str = ""
    name: str = ""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one SELECT, written with %s placeholders, through the plain driver."""
        if self.vendor == "sqlite":
            lite = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30)
            try:
                return lite.execute(sql.replace("%s", "?"), tuple(params)).fetchall()
            finally:
                lite.close()
        import psycopg

        with psycopg.connect(self.url) as con:
            return con.execute(sql.encode(), tuple(params)).fetchall()

    def drop(self) -> None:
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'.encode())
        shutil.rmtree(self.workdir, ignore_errors=True)


def _with_db_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def postgres_reachable(url: str = DEFAULT_PG_URL) -> bool:
    try:
        import psycopg

        psycopg.connect(_with_db_name(url, "postgres"), connect_timeout=3).close()
    except Exception:
        return False
    return True


def fresh_database(vendor: str, *, server_url: str = DEFAULT_PG_URL) -> Database:
    """A new empty database: an SQLite file in a temporary directory, or a PostgreSQL database
    with a unique huxue_burst_* name on the server of ``server_url``."""
    workdir = Path(tempfile.mkdtemp(prefix="huxue-load-"))
    if vendor == "sqlite":
        return Database("sqlite", f"sqlite:///{workdir / 'load.sqlite3'}", workdir)
    if vendor != "postgresql":
        raise ValueError(vendor)
    import psycopg

    name = DB_PREFIX + uuid.uuid4().hex[:12]
    admin_url = _with_db_name(server_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"'.encode())
    return Database("postgresql", _with_db_name(server_url, name), workdir, admin_url, name)


def suite_database() -> Database:
    """A fresh database on the backend the test suite runs on: PostgreSQL when DATABASE_URL
    names one, an SQLite file otherwise."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return fresh_database("postgresql", server_url=url)
    return fresh_database("sqlite")


# -- subprocesses ----------------------------------------------------------------------------


def child_env(db: Database, *, debug: bool = False) -> dict[str, str]:
    """The environment of every subprocess: the same secrets (var/dev-secrets.json under the same
    HUXUE_VAR_DIR), the throwaway database, the bench URLs (``bench`` importable from the project
    root, which the installed package does not include), no DEBUG unless asked."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db.url,
        DJANGO_SETTINGS_MODULE="config.settings",
        HUXUE_ENV="development",
        HUXUE_URLCONF="bench.urls",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        DEBUG="1" if debug else "0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def run(db: Database, *args: str) -> str:
    """Run ``python <args>`` in the project root against the throwaway database."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=ROOT,
        env=child_env(db),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise LoadError(f"python {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def migrate(db: Database) -> None:
    run(db, "manage.py", "migrate", "--noinput", "-v0")


@dataclass(frozen=True)
class Member:
    token: str
    user: int
    person: int


@dataclass(frozen=True)
class Seeded:
    post: int
    shift: int
    latitude: str
    longitude: str
    members: list[Member]


def seed(db: Database, *, members: int) -> Seeded:
    out = db.workdir / "seed.json"
    run(db, "-m", "bench.seed", "--members", str(members), "--out", str(out))
    raw = json.loads(out.read_text())
    return Seeded(
        post=raw["post"],
        shift=raw["shift"],
        latitude=raw["latitude"],
        longitude=raw["longitude"],
        members=[Member(**m) for m in raw["members"]],
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        pass
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class Server:
    """gunicorn config.wsgi with sync workers on a free loopback port (as ``manage.py serve`` runs
    it, without the access log)."""

    def __init__(self, db: Database, *, workers: int = 2, debug: bool = False) -> None:
        self.db = db
        self.workers = workers
        self.debug = debug
        self.port = free_port()
        self.log = db.workdir / f"gunicorn-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self, timeout: float = 60) -> None:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--worker-class",
                    "sync",
                    "--graceful-timeout",
                    "10",
                    "--timeout",
                    "60",
                ],
                cwd=ROOT,
                env=child_env(self.db, debug=self.debug),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LoadError(f"gunicorn exited:\n{self.log_tail()}")
            if len(self.worker_pids()) >= self.workers and self._answers():
                return
            time.sleep(0.2)
        self.stop()
        raise LoadError(f"gunicorn did not answer in {timeout:.0f} s:\n{self.log_tail()}")

    def _answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/api/v1/")
            conn.getresponse().read()
            conn.close()
        except (OSError, http.client.HTTPException):
            return False
        return True

    def worker_pids(self) -> list[int]:
        return children_of(self.proc.pid) if self.proc is not None else []

    def wait_for_workers(self, timeout: float = 60) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) >= self.workers:
                return pids
            time.sleep(0.1)
        raise LoadError(f"gunicorn has {len(self.worker_pids())} workers:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- the client ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    tag: Any = None  # the caller's label (e.g. the member), carried into the reply


@dataclass
class Reply:
    call: Call
    status: int  # 0: no answer (connection lost and not retried)
    headers: dict[str, str]
    body: bytes
    seconds: float  # from the first send to the answer, retries included
    failures: int  # connection errors before the answer

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def replayed(self) -> bool:
        return self.headers.get("idempotent-replayed") == "true"


def checkin_call(seeded: Seeded, member: Member, key: str, *, device_at: str = "") -> Call:
    """POST /api/v1/checkins/ as this member at the gate of the seeded post, with this key."""
    body: dict[str, Any] = {
        "post": seeded.post,
        "method": "gps",
        "latitude": seeded.latitude,
        "longitude": seeded.longitude,
        "accuracy": 12,
    }
    if device_at:
        body["device_at"] = device_at
    return Call(
        "POST",
        CHECKIN_PATH,
        json.dumps(body).encode(),
        {
            "Authorization": f"Token {member.token}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        },
        tag=member,
    )


def bare_call(key: str) -> Call:
    return Call(
        "POST",
        BARE_PATH,
        json.dumps({"k": key}).encode(),
        {"Idempotency-Key": key, "Content-Type": "application/json"},
    )


def burst(
    port: int,
    calls: Iterable[Call],
    *,
    concurrency: int = 16,
    retry: bool = False,
    max_attempts: int = 200,
    on_reply: Callable[[int], None] | None = None,
) -> list[Reply]:
    """Send the calls, in order, from ``concurrency`` threads with a keep-alive connection each
    (http.client reconnects when the server closes, as gunicorn's sync workers do after each
    answer). With ``retry``, a call whose connection broke is sent again, same key and body,
    until it is answered. Replies come back in the order of the calls."""
    work: queue.SimpleQueue[tuple[int, Call] | None] = queue.SimpleQueue()
    items = list(calls)
    for item in enumerate(items):
        work.put(item)
    for _ in range(concurrency):
        work.put(None)
    replies: list[Reply | None] = [None] * len(items)
    errors: list[BaseException] = []
    done = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal done
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while (item := work.get()) is not None:
                index, call = item
                failures = 0
                started = time.perf_counter()
                while True:
                    try:
                        conn.request(call.method, call.path, body=call.body, headers=call.headers)
                        response = conn.getresponse()
                        body = response.read()
                        reply = Reply(
                            call,
                            response.status,
                            {k.lower(): v for k, v in response.getheaders()},
                            body,
                            time.perf_counter() - started,
                            failures,
                        )
                        break
                    except (OSError, http.client.HTTPException):
                        conn.close()
                        failures += 1
                        if not retry or failures >= max_attempts:
                            reply = Reply(call, 0, {}, b"", time.perf_counter() - started, failures)
                            break
                        time.sleep(0.02)
                replies[index] = reply
                with lock:
                    done += 1
                    count = done
                if on_reply is not None:
                    on_reply(count)
        except BaseException as exc:  # surfaced below, not lost in a thread
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise LoadError(f"a client thread failed: {errors[0]!r}") from errors[0]
    return [r for r in replies if r is not None]
