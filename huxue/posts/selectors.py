from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from huxue.orgs import access
from huxue.posts.models import DutyWindow, Post, School, StaffingRequirement


def schools_visible_to(user: Any, *, action: str = "read") -> QuerySet[School]:
    qs = School.objects.filter(voided_at__isnull=True).select_related(
        "unit", "unit__region", "station"
    )
    return access.filter(user, action, qs)


def school_for(user: Any, *, pk: int, action: str = "read") -> School:
    return access.get_or_404(user, action, schools_visible_to(user, action=action), pk=pk)


def posts_visible_to(user: Any, *, action: str = "read") -> QuerySet[Post]:
    qs = (
        Post.objects.live()
        .select_related("school", "school__unit", "school__unit__region", "school__station")
        .prefetch_related(
            Prefetch("windows", queryset=DutyWindow.objects.order_by("weekday", "start")),
            Prefetch("requirements", queryset=StaffingRequirement.objects.order_by("group")),
        )
    )
    return access.filter(user, action, qs)


def post_for(user: Any, *, pk: int, action: str = "read") -> Post:
    return access.get_or_404(user, action, posts_visible_to(user, action=action), pk=pk)


def post_by_qr_token(token: str) -> Post | None:
    """The QR poster's landing: a token is public by design (it is printed at the gate)."""
    return Post.objects.live().filter(qr_token=token).select_related("school__unit").first()
