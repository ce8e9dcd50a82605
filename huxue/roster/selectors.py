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


# --- Lead pages: the week grid, runs, swaps -------------------------------------------------


def schools_planned_by(user: Any) -> QuerySet[Any]:
    """Schools whose shifts the user may write (the lead pages' list and scope check)."""
    from huxue.posts.models import School

    return (
        School.objects.filter(access.scope(user, "write", School, as_type="shift"))
        .filter(voided_at__isnull=True)
        .select_related("unit", "unit__region")
        .order_by("unit__name")
    )


def school_week_shifts(user: Any, school: Any, monday: dt.date) -> QuerySet[Shift]:
    """A school's shifts in one ISO week with their live assignments and sign-ups, in 4 queries."""
    from django.db.models import Prefetch

    return (
        shifts_visible_to(user, action="write")
        .filter(post__school=school, day__gte=monday, day__lte=monday + dt.timedelta(days=6))
        .select_related("post")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(dropped_at__isnull=True)
                .select_related("person")
                .order_by("group", "person__name", "id"),
                to_attr="live_assignments",
            ),
            Prefetch(
                "signups",
                queryset=SignUp.objects.filter(withdrawn_at__isnull=True).select_related("person"),
                to_attr="live_signups",
            ),
        )
        .order_by("post__name", "post_id", "start", "day")
    )


def swaps_for_lead(user: Any) -> QuerySet[Any]:
    """Swap requests on assignments the user may change, newest first."""
    from huxue.roster.swap_models import SwapRequest

    return SwapRequest.objects.filter(
        assignment__in=access.filter(user, "write", Assignment.objects.all())
    ).select_related(
        "assignment__shift__post__school__unit", "requested_by", "colleague", "new_assignment"
    )


def drops_for_lead(user: Any, *, days: int = 14) -> QuerySet[Assignment]:
    """Upcoming shifts a member has left (taken off, withdrawn), for finding a substitute."""
    now = timezone.now()
    return (
        access.filter(user, "write", Assignment.objects.all())
        .filter(
            dropped_at__isnull=False,
            shift__starts_at__gt=now,
            shift__starts_at__lt=now + dt.timedelta(days=days),
            shift__cancelled_at__isnull=True,
        )
        .exclude(drop_reason__in=["re-solved", "swap"])
        .select_related("shift__post__school__unit", "person")
        .order_by("shift__starts_at")
    )
