"""Where the current request came from, for the audit log, without threading it through calls."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    user_agent: str = ""
    channel: str = "web"  # web, api, cli, system


_SYSTEM = RequestMeta(channel="system")
_current: ContextVar[RequestMeta | None] = ContextVar("huxue_request_meta", default=None)


def current() -> RequestMeta:
    return _current.get() or _SYSTEM


def set_current(meta: RequestMeta) -> object:
    return _current.set(meta)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
