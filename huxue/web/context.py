from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from huxue.core.models import AuditEvent
from huxue.orgs import access
from huxue.people.models import Person
from huxue.posts.models import Post, School

# (url name, label, model whose "read" permission shows the item)
_NAV = [
    ("people:list", _("People"), Person),
    ("posts:school_list", _("Schools"), School),
    ("posts:post_list", _("Guard posts"), Post),
    ("imports:index", _("Import / export"), Person),
    ("audit:list", _("Audit log"), AuditEvent),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for name, label, model in _NAV:
        if not access.allowed(user, "read", model):
            continue
        try:
            url = reverse(name)
        except Exception:  # noqa: S112  (a section whose app is not installed yet)
            continue
        items.append({"url": url, "label": label, "active": request.path.startswith(url)})
    return {"nav_items": items}
