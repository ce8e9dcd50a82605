from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from huxue.calendar.models import Closure
from huxue.core.models import AuditEvent
from huxue.duty.alerts.selectors import gap_alerts_allowed
from huxue.duty.board.selectors import board_allowed
from huxue.duty.models import CheckIn, DutyRules
from huxue.orgs import access
from huxue.orgs.roles import Role
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.roster.models import CityRules, Shift
from huxue.supervision.models import Hazard, InspectionRound


# (url name, label, test): shown when the test passes for the user. Most tests are "the action
# is allowed on one of these models"; a few pages say themselves who they are for.
def _may(action: str, *models: type[Model]) -> Callable[[Any], bool]:
    return lambda user: any(access.allowed(user, action, model) for model in models)


def _beyond_own(action: str, model: type[Model]) -> Callable[[Any], bool]:
    """For lists and tables of many: a member, who may read only their own record, is not
    offered them; a member who is also a lead or an officer is."""
    return lambda user: access.allowed_beyond_own(user, action, model)


def _member(user: Any) -> bool:
    return Role.MEMBER in access.roles_of(user)


_NAV: list[tuple[str, Any, Callable[[Any], bool]]] = [
    ("duty:today", _("Duty today"), _member),
    ("roster:my_shifts", _("My shifts"), _member),
    ("duty:my_hours", _("My hours"), _member),
    ("duty:board", _("Live board"), board_allowed),
    ("duty:alerts", _("Gap alerts"), gap_alerts_allowed),
    ("people:list", _("People"), _beyond_own("read", Person)),
    ("posts:school_list", _("Schools"), _may("read", School)),
    ("posts:post_list", _("Guard posts"), _may("read", Post)),
    ("imports:index", _("Import / export"), _may("export", Person, School, Post)),
    ("calendar:index", _("School calendar"), _may("read", Closure)),
    ("roster:lead", _("Rosters"), _may("write", Shift)),
    ("duty:stats", _("Person-times"), _beyond_own("read", CheckIn)),
    ("supervision:home", _("Supervision"), _may("read", InspectionRound)),
    ("supervision:hazards", _("Hazards"), _may("read", Hazard)),
    ("city_rules", _("City rules"), _may("read", CityRules, DutyRules)),
    ("audit:list", _("Audit log"), _may("read", AuditEvent)),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    shown_items = [(reverse(name), label) for name, label, shown in _NAV if shown(user)]
    urls = [url for url, _label in shown_items]
    items = []
    for url, label in shown_items:
        # An item is active on its pages, except those of a longer item under it ("/duty/" is
        # not active on "/duty/stats/", nor "/supervision/" on "/supervision/hazards/").
        deeper = [u for u in urls if u != url and u.startswith(url)]
        active = request.path.startswith(url) and not any(
            request.path.startswith(u) for u in deeper
        )
        if url.endswith("/duty/"):
            active = request.path == url  # every duty page is under it: only on itself
        items.append({"url": url, "label": label, "active": active})
    return {"nav_items": items}
