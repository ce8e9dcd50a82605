"""How the API reads request bodies and picks a renderer: DRF's own, with the common case (a
JSON body, an Accept header an app sends) answered at once. Its own module: DRF's views import
it while loading."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.utils import json


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

    def select_parser(self, request: Request, choices: Iterable[parsers.BaseParser]) -> Any:
        choices = list(choices)
        content_type = request.content_type
        for parser in choices:
            if parser.media_type == content_type:
                return parser
        return super().select_parser(request, choices)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a UTF-8 body (JSON's own encoding) is decoded by ``json.loads`` in
    one go instead of through a stream reader. Same strictness (no NaN or Infinity), same
    errors."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        if encoding.lower().replace("-", "").replace("_", "") != "utf8":
            return super().parse(stream, media_type, parser_context)
        try:
            return json.loads(stream.read(), **({} if self.strict else {"parse_constant": None}))
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
