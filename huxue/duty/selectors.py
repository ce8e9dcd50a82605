"""Reads for duty at the gate. Everything goes through ``huxue.orgs.access``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from huxue.duty.models import CheckIn
from huxue.orgs import access
from huxue.posts.models import Post


def checkins_visible_to(user: Any, *, action: str = "read") -> QuerySet[CheckIn]:
    return access.filter(
        user,
        action,
        CheckIn.objects.select_related("person", "post__school__unit", "shift"),
    )


def checkin_for(user: Any, *, pk: int, action: str = "read") -> CheckIn:
    return access.get_or_404(user, action, checkins_visible_to(user, action=action), pk=pk)


def post_for_checkin(*, post_id: int | None = None, qr_token: str = "") -> Post | None:
    """The post a member names when checking in: by id (from "my shifts") or by the QR poster's
    token (public by design: it is printed at the gate). Any live post; the rules judge the rest."""
    posts = Post.objects.filter(voided_at__isnull=True).select_related("school__unit__region")
    if qr_token:
        return posts.filter(qr_token=qr_token).first()
    if post_id:
        return posts.filter(pk=post_id).first()
    return None


def open_checkin_of(person: Any) -> CheckIn | None:
    return (
        CheckIn.objects.filter(person=person, checked_out_at__isnull=True, voided_at__isnull=True)
        .select_related("post__school__unit", "shift")
        .first()
    )
