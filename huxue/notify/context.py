"""The unread count beside 消息 in the navigation of every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from huxue.notify.selectors import inbox_unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    """``inbox_unread``: counted when a template first asks for it, at most once a request (one
    query); nothing at all for anonymous users, nor for a response that does not show it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: inbox_unread_count(user))}
