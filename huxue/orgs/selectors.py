from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from huxue.orgs import access
from huxue.orgs.models import Unit


def units_visible_to(user: Any) -> QuerySet[Unit]:
    return access.filter(user, "read", Unit.objects.select_related("region"))


def units_accepting(
    user: Any, *, object_type: str, action: str = "write", kind: str | None = None
) -> QuerySet[Unit]:
    """Units under which the user may `action` records of `object_type` (e.g. add people)."""
    qs = Unit.objects.filter(access.scope(user, action, Unit, as_type=object_type))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("region").order_by("path")
