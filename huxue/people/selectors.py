from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from huxue.orgs import access
from huxue.people.models import Person


def people_visible_to(
    user: Any, *, action: str = "read", include_void: bool = False
) -> QuerySet[Person]:
    qs = Person.objects.select_related("unit", "unit__region", "child_school__unit")
    if not include_void:
        qs = qs.filter(voided_at__isnull=True)
    return access.filter(user, action, qs)


def person_for(user: Any, *, pk: int, action: str = "read") -> Person:
    return access.get_or_404(
        user, action, people_visible_to(user, action=action, include_void=True), pk=pk
    )


def people_by_id_index(indexes: list[str]) -> dict[str, Person]:
    """Live people by blind index, for import matching (scope is checked by the caller)."""
    found = Person.objects.filter(id_index__in=indexes, voided_at__isnull=True)
    return {p.id_index: p for p in found}
