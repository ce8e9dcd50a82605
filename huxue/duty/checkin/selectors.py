"""Reads for duty at the gate. Everything goes through ``huxue.orgs.access``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from huxue.duty.models import CheckIn
from huxue.orgs import access


def checkins_visible_to(user: Any, *, action: str = "read") -> QuerySet[CheckIn]:
    return access.filter(
        user,
        action,
        CheckIn.objects.select_related("person", "post__school__unit", "shift"),
    )


def checkin_for(user: Any, *, pk: int, action: str = "read") -> CheckIn:
    return access.get_or_404(user, action, checkins_visible_to(user, action=action), pk=pk)


def open_checkin_of(person: Any) -> CheckIn | None:
    return (
        CheckIn.objects.filter(person=person, checked_out_at__isnull=True, voided_at__isnull=True)
        .select_related("post__school__unit", "shift")
        .first()
    )
