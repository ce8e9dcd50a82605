from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from huxue.core.models import AuditEvent
from huxue.orgs import access
from huxue.people.models import Person
from huxue.posts.models import Post, School

# (url name, label, model and action whose permission shows the item)
_NAV = [
    ("people:list", _("People"), Person, "read"),
    ("posts:school_list", _("Schools"), School, "read"),
    ("posts:post_list", _("Guard posts"), Post, "read"),
    ("imports:index", _("Import / export"), Person, "export"),
    ("audit:list", _("Audit log"), AuditEvent, "read"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for name, label, model, action in _NAV:
        if not access.allowed(user, action, model):
            continue
        url = reverse(name)
        items.append({"url": url, "label": label, "active": request.path.startswith(url)})
    return {"nav_items": items}
