from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from huxue.core import context


def client_ip(request: HttpRequest) -> str | None:
    # Behind a reverse proxy, the operator sets it to overwrite REMOTE_ADDR; we never trust
    # X-Forwarded-For ourselves, since a client can write anything there.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        token = context.set_current(
            context.RequestMeta(
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                channel=channel,
            )
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
