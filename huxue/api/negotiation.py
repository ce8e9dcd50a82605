"""Content negotiation for the API (its own module: DRF's views import it while loading)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class Negotiation(DefaultContentNegotiation):
    """DRF's content negotiation, answering the common case at once: no format asked for in the
    URL and an Accept header that is absent, ``*/*`` or the first renderer's own type (what
    apps and phones send) get the first renderer, as DRF would choose after parsing the
    header."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        renderers = list(renderers)
        if not format_suffix and not request.META.get("QUERY_STRING") and renderers:
            first = renderers[0]
            if request.META.get("HTTP_ACCEPT", "*/*") in ("*/*", first.media_type):
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
