from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _notify_settings(settings, monkeypatch) -> None:
    settings.HUXUE_NOTIFY_CHANNELS = ["console"]
    settings.HUXUE_NOTIFY_MAX_ATTEMPTS = 3
    settings.HUXUE_NOTIFY_RETRY_SECONDS = 60
    settings.HUXUE_NOTIFY_CLAIM_TIMEOUT = 300
    settings.HUXUE_NOTIFY_WEBHOOK_TIMEOUT = 5
    # The robot stand-in listens on 127.0.0.1: no proxy may sit in between.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]
    content_type: str


@dataclass
class Robot:
    """A group robot's stand-in: records each POST and answers what the test sets."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    reply: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def robot() -> Iterator[Robot]:
    state: dict[str, Robot] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            bot = state["robot"]
            length = int(self.headers.get("Content-Length", "0"))
            parts = urlsplit(self.path)
            bot.requests.append(
                Received(
                    path=parts.path,
                    query=parse_qs(parts.query),
                    body=json.loads(self.rfile.read(length)),
                    content_type=self.headers.get("Content-Type", ""),
                )
            )
            data = json.dumps(bot.reply).encode()
            self.send_response(bot.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["robot"] = Robot(url=f"http://127.0.0.1:{server.server_port}/robot/send?key=KEY-123")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["robot"]
    finally:
        server.shutdown()
        server.server_close()
