"""Showing a message's text: its web addresses as links.

Django's ``urlize`` finds addresses between spaces, and Chinese puts none before one
("请在此回复：https://…" became a link to "http://请在此回复：https//…"); here an address is
http(s):// and the ASCII characters a URL may hold, so it ends where the Chinese text goes on.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

URL = re.compile(r"https?://[\w\-.~:/?#\[\]@!$&'()*+,;=%]+", re.ASCII)
TRAILING = ".,;:!?'()"


@register.filter(needs_autoescape=True)
def linkify(text: str, autoescape: bool = True) -> SafeString:
    escape = conditional_escape if autoescape else str
    parts: list[str] = []
    last = 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(TRAILING)
        if url.count("(") > url.count(")") and match.group(0)[len(url) :].startswith(")"):
            url += ")"  # a parenthesis that belongs to the address
        parts.append(escape(text[last : match.start()]))
        parts.append(format_html('<a href="{}">{}</a>', url, url))
        last = match.start() + len(url)
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308  (every part escaped above)
