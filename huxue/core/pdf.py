"""PDF documents drawn from templates with WeasyPrint: the rectification notice now, the reports
and certificates later. Chinese text is set in Debian's Noto CJK fonts (fonts-noto-cjk); the
documents carry nothing fetched from the network (WeasyPrint is given no base URL to reach)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation


def render_pdf(template: str, context: dict[str, Any], *, language: str = "zh-hans") -> bytes:
    """The template, rendered in ``language`` (official documents are in Chinese), as PDF."""
    from weasyprint import HTML  # imported on use: it loads Pango when imported

    with translation.override(language):
        html = render_to_string(template, context)
    return bytes(HTML(string=html, url_fetcher=_no_fetch).write_pdf())


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"PDF documents fetch nothing: {url}")
