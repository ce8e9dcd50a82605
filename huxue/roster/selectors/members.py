"""A duty member's own rostering: their record, the shifts open to them, their sign-ups and
assignments, their availability and calendar feed, and the assignments they may ask to swap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from huxue.orgs import access
from huxue.people.models import Person
from huxue.roster.models import (
    Assignment,
    Availability,
    AvailabilityException,
    CalendarFeed,
    Shift,
    SignUp,
)
from huxue.roster.rules import availability_check, ineligibility_of
from huxue.roster.selectors.shifts import SHIFT_PLACE, shifts_visible_to
from huxue.roster.swaps import Candidate


def person_of(user: Any) -> Person | None:
    """The member record linked to this login, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user, voided_at__isnull=True).select_related("unit").first()


def member_for(user: Any, *, action: str = "write", model: type[Model] = SignUp) -> Person:
    """The member record behind the login, for the member's own pages and endpoints.

    404 when there is none, or when no role of the login may `action` records of `model`: by
    default a member is whoever may sign up.
    """
    person = person_of(user)
    if person is None or not access.allowed(user, action, model):
        raise Http404
    return person


def open_shifts(user: Any, *, person: Person, days: int = 14) -> list[Shift]:
    """Upcoming shifts the member could sign up for: visible to them, needing their force group,
    inside the times they said they are free and not at a time they are already taken, and only
    if they may stand duty at all. Each has
    ``planned`` (the planned roster's people of their group) and ``reserve`` (a sign-up would be
    a reserve, 候补, as the slots are full)."""
    if ineligibility_of(person):
        return []
    now = timezone.now()
    group = person.force_group
    shifts = (
        shifts_visible_to(user)
        .filter(starts_at__gt=now, starts_at__lt=now + dt.timedelta(days=days))
        .filter(**{f"requirements__{group}__gt": 0})
        .annotate(
            planned=Count(
                "assignments",
                filter=Q(assignments__dropped_at__isnull=True, assignments__group=group),
                distinct=True,
            ),
        )
        .order_by("starts_at", "post__name")
    )
    free = availability_check(person.availability.all(), person.availability_exceptions.all())
    busy = _commitments(person, since=now)
    found: list[Shift] = []
    for shift in shifts:
        clash = any(s < shift.ends_at and shift.starts_at < e for s, e in busy)
        if free(shift) and not clash:
            shift.reserve = shift.planned >= int(shift.requirements.get(group, 0))  # type: ignore[attr-defined]
            found.append(shift)
    return found


def _commitments(person: Person, *, since: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """When the member is already taken from ``since`` on: shifts they are rostered for
    (published or planned) or have asked for (a sign-up not withdrawn or declined)."""
    rostered = Assignment.objects.filter(
        Q(dropped_at__isnull=True) | Q(published=True), person=person
    )
    asked = SignUp.objects.filter(person=person, withdrawn_at__isnull=True).exclude(
        status=SignUp.Status.DECLINED
    )
    return [
        span
        for rows in (rostered, asked)
        for span in rows.filter(shift__ends_at__gt=since).values_list(
            "shift__starts_at", "shift__ends_at"
        )
    ]


def signups_of(user: Any, *, person: Person) -> QuerySet[SignUp]:
    """The member's sign-ups for shifts still to come, with the answer to each (pending,
    accepted, declined; a reserve while pending)."""
    return access.filter(
        user,
        "read",
        SignUp.objects.filter(
            person=person, withdrawn_at__isnull=True, shift__starts_at__gt=timezone.now()
        )
        .select_related("shift", "shift__post", "shift__post__school__unit")
        .order_by("shift__starts_at"),
    )


def assignments_of(person: Person, *, since: dt.datetime | None = None) -> QuerySet[Assignment]:
    """A member's published assignments (their own pages, today's duty page and their calendar
    feed): never the lead's unpublished plan."""
    qs = Assignment.objects.published().filter(person=person, shift__cancelled_at__isnull=True)
    if since is not None:
        qs = qs.filter(shift__ends_at__gt=since)
    return qs.select_related("shift", "shift__post", "shift__post__school__unit").order_by(
        "shift__starts_at"
    )


@dataclass(frozen=True)
class MemberAvailability:
    windows: QuerySet[Availability]  # the weekly pattern, by weekday and time
    exceptions: QuerySet[AvailabilityException]  # from today on


def availability_of(*, person: Person) -> MemberAvailability:
    """The member's weekly availability and the coming days on which it does not hold."""
    return MemberAvailability(
        windows=Availability.objects.filter(person=person).order_by("weekday", "start"),
        exceptions=AvailabilityException.objects.filter(
            person=person, day__gte=timezone.localdate()
        ),
    )


def feed_by_token(*, token: str) -> CalendarFeed | None:
    """The iCal URL is a capability: whoever holds the token reads that member's shifts."""
    return (
        CalendarFeed.objects.filter(token=token, person__voided_at__isnull=True)
        .select_related("person")
        .first()
    )


def _own_assignments(person: Person) -> QuerySet[Assignment]:
    qs = Assignment.objects.published().filter(person=person)
    return qs.select_related(f"{SHIFT_PLACE}__region", "person")


def own_assignments_of(user: Any) -> QuerySet[Assignment]:
    """The published assignments of the member behind the login: the shifts they may ask to
    swap."""
    person = person_of(user)
    if person is None:
        return Assignment.objects.none()
    return access.filter(user, "read", _own_assignments(person))


def own_assignment_for(user: Any, *, pk: int) -> Assignment:
    person = person_of(user)
    if person is None:
        raise Http404
    return access.get_or_404(user, "read", _own_assignments(person), pk=pk)


def colleague_for_swap(*, colleagues: Iterable[Candidate], pk: int) -> Person | None:
    """The colleague chosen among those offered (``swaps.swap_colleagues``); None if not one."""
    chosen = next((c for c in colleagues if c.person_id == pk), None)
    return None if chosen is None else Person.objects.get(pk=chosen.person_id)
