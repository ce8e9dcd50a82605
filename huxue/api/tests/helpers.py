"""Request helpers shared by the API tests."""

from __future__ import annotations

from typing import Any

from django.test import Client


def send(client: Client, method: str, url: str, data: Any = None, **headers: Any) -> Any:
    """A JSON request; `lang="en"` sets Accept-Language."""
    if "lang" in headers:
        headers["HTTP_ACCEPT_LANGUAGE"] = headers.pop("lang")
    call = getattr(client, method.lower())
    if method.upper() == "GET":
        return call(url, data or {}, **headers)
    return call(url, data, content_type="application/json", **headers)
