"""Reading supervision records: every list and object through ``access.py``, 404 for anything
out of scope, as for every other record."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from huxue.orgs import access
from huxue.supervision.hazards import STEPS, may_take
from huxue.supervision.models import Hazard, InspectionRound


def rounds_visible_to(user: Any) -> QuerySet[InspectionRound]:
    return access.filter(
        user,
        "read",
        InspectionRound.objects.select_related("post__school__unit", "inspector", "template"),
    )


def round_for(user: Any, pk: Any) -> InspectionRound:
    return access.get_or_404(
        user, "read", InspectionRound.objects.select_related("post__school"), pk=pk
    )


def hazards_visible_to(user: Any) -> QuerySet[Hazard]:
    return access.filter(
        user,
        "read",
        Hazard.objects.select_related("school__unit", "post", "responsible", "reported_by"),
    )


def hazard_for(user: Any, pk: Any) -> Hazard:
    return access.get_or_404(
        user, "read", Hazard.objects.select_related("school__station", "post", "responsible"), pk=pk
    )


def steps_open_to(user: Any, hazard: Hazard) -> list[str]:
    """The steps ``user`` may take on ``hazard`` now, in the loop's order."""
    return [name for name in STEPS if may_take(user, hazard, name)]


def rectified(hazards: QuerySet[Hazard], *, start: Any, end: Any) -> QuerySet[Hazard]:
    """Hazards rectified in a period (整改): closed after verification, on a day from ``start``
    to ``end``. The one reading of the figure, for the pages, the reports and the demo."""
    return hazards.filter(
        state=Hazard.State.CLOSED, closed_at__date__gte=start, closed_at__date__lte=end
    )


def hazards_rectified_total(*, region: Any, start: Any, end: Any) -> int:
    """Hazards rectified under a region, unscoped: for the system's own use (the demo summary,
    reports), never for answering a user directly."""
    under = Hazard.objects.filter(school__unit__region__path__startswith=region.path)
    return rectified(under, start=start, end=end).count()
