"""Reads for rostering; every one goes through orgs.access."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from huxue.orgs import access
from huxue.people.models import Person
from huxue.roster.models import Assignment, CalendarFeed, Shift, SignUp


def shifts_visible_to(user: Any, *, action: str = "read") -> QuerySet[Shift]:
    qs = Shift.objects.filter(cancelled_at__isnull=True).select_related(
        "post", "post__school__unit"
    )
    return access.filter(user, action, qs)


def shift_for(user: Any, *, pk: int, action: str = "read") -> Shift:
    return access.get_or_404(user, action, shifts_visible_to(user, action=action), pk=pk)


def person_of(user: Any) -> Person | None:
    """The member record linked to this login, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user, voided_at__isnull=True).select_related("unit").first()


def open_shifts(user: Any, person: Person, *, days: int = 14) -> QuerySet[Shift]:
    """Upcoming shifts the member can see that need their force group, with how full they are."""
    now = timezone.now()
    return (
        shifts_visible_to(user)
        .filter(starts_at__gt=now, starts_at__lt=now + dt.timedelta(days=days))
        .filter(**{f"requirements__{person.force_group}__gt": 0})
        .annotate(
            taken=Count("signups", filter=Q(signups__withdrawn_at__isnull=True), distinct=True),
        )
        .order_by("starts_at", "post__name")
    )


def signups_of(user: Any, person: Person) -> QuerySet[SignUp]:
    return access.filter(
        user,
        "read",
        SignUp.objects.filter(
            person=person, withdrawn_at__isnull=True, shift__starts_at__gt=timezone.now()
        )
        .select_related("shift", "shift__post", "shift__post__school__unit")
        .order_by("shift__starts_at"),
    )


def signup_for(user: Any, *, pk: int, action: str = "write") -> SignUp:
    return access.get_or_404(
        user, action, SignUp.objects.select_related("shift__post__school__unit"), pk=pk
    )


def assignments_of(person: Person, *, since: dt.datetime | None = None) -> QuerySet[Assignment]:
    """A member's live assignments (for their own pages and their calendar feed)."""
    qs = Assignment.objects.filter(
        person=person, dropped_at__isnull=True, shift__cancelled_at__isnull=True
    )
    if since is not None:
        qs = qs.filter(shift__ends_at__gt=since)
    return qs.select_related("shift", "shift__post", "shift__post__school__unit").order_by(
        "shift__starts_at"
    )


def feed_by_token(token: str) -> CalendarFeed | None:
    """The iCal URL is a capability: whoever holds the token reads that member's shifts."""
    return (
        CalendarFeed.objects.filter(token=token, person__voided_at__isnull=True)
        .select_related("person")
        .first()
    )
