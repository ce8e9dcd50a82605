from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from huxue.calendar.models import Closure
from huxue.core.models import AuditEvent
from huxue.duty.models import DutyRules
from huxue.orgs import access
from huxue.orgs.roles import Role
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.roster.models import CityRules, Shift

# (url name, label, action, models): shown when the action is allowed on any of the models
_NAV = [
    ("people:list", _("People"), "read", (Person,)),
    ("posts:school_list", _("Schools"), "read", (School,)),
    ("posts:post_list", _("Guard posts"), "read", (Post,)),
    ("imports:index", _("Import / export"), "export", (Person, School, Post)),
    ("calendar:index", _("School calendar"), "read", (Closure,)),
    ("roster:lead", _("Rosters"), "write", (Shift,)),
    ("city_rules", _("City rules"), "read", (CityRules, DutyRules)),
    ("audit:list", _("Audit log"), "read", (AuditEvent,)),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    if Role.MEMBER in access.roles_of(user):
        url = reverse("roster:my_shifts")
        items.append({"url": url, "label": _("My shifts"), "active": request.path.startswith(url)})
    for name, label, action, models in _NAV:
        if not any(access.allowed(user, action, model) for model in models):
            continue
        url = reverse(name)
        items.append({"url": url, "label": label, "active": request.path.startswith(url)})
    return {"nav_items": items}
