"""Changing a roster by hand: a shift's people and who could step in, members who left, the
people a planner may put on a shift, and swap requests (the lead's decisions, the member's own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from huxue.orgs import access
from huxue.people.models import Person
from huxue.roster.models import Assignment, Shift, SignUp
from huxue.roster.selectors.members import person_of
from huxue.roster.selectors.shifts import SHIFT_PLACE
from huxue.roster.swap_models import SwapRequest
from huxue.roster.swaps import Candidate, candidates_for, open_groups, rank_with_reasons

# At most this many substitutes per force group, on the shift page and over the API; and at
# most this many of those not offered, with the reason, nearest first.
MAX_SUBSTITUTES = 15
MAX_NOT_OFFERED = 30

# --- A shift's people -----------------------------------------------------------------------


def planned_shift_for(user: Any, *, pk: int) -> Shift:
    """A shift the user plans, cancelled or not (its page still shows who was on it)."""
    return access.get_or_404(
        user, "write", Shift.objects.select_related("post__school__unit__region"), pk=pk
    )


@dataclass(frozen=True)
class SubstituteGroup:
    group: str
    missing: int | None  # how many more the shift needs; None when the group was asked for
    people: list[Candidate]  # eligible members, best first, at most MAX_SUBSTITUTES
    # Members of the group who are not offered and why (a ``swaps.PROBLEM_SHORT`` key), nearest
    # first, at most MAX_NOT_OFFERED; ``more_not_offered`` counts the rest.
    not_offered: list[tuple[Candidate, str]] = field(default_factory=list)
    more_not_offered: int = 0


def substitutes_for(user: Any, *, shift: Shift, group: str | None = None) -> list[SubstituteGroup]:
    """Who could step in: for each force group the shift still needs (or for `group` alone),
    the eligible members the user may read, best first, and why the others are not offered
    (``swaps.rank_with_reasons``)."""
    needed: dict[str, int | None] = {group: None} if group else dict(open_groups(shift))
    candidates = candidates_for(shift=shift, actor=user) if needed else []
    groups = []
    for g, n in sorted(needed.items()):
        ranking = rank_with_reasons(candidates, group=g)
        groups.append(
            SubstituteGroup(
                group=g,
                missing=n,
                people=ranking.offered[:MAX_SUBSTITUTES],
                not_offered=ranking.not_offered[:MAX_NOT_OFFERED],
                more_not_offered=max(len(ranking.not_offered) - MAX_NOT_OFFERED, 0),
            )
        )
    return groups


@dataclass(frozen=True)
class ShiftRoster:
    live: list[Assignment]
    dropped: list[Assignment]  # most recently dropped first
    signups: list[SignUp]  # waiting for an answer, first come first; reserves last
    substitutes: list[SubstituteGroup]  # for each force group still needed


def shift_roster(user: Any, *, shift: Shift) -> ShiftRoster:
    """One shift as its planner's page shows it: who is on it, who left, who signed up, and who
    could step in."""
    assignments = list(
        Assignment.objects.filter(shift=shift).select_related("person").order_by("-dropped_at")
    )
    substitutes = substitutes_for(user, shift=shift)
    signups = list(
        shift.signups.filter(withdrawn_at__isnull=True, status=SignUp.Status.PENDING)
        .select_related("person")
        .order_by("reserve", "created_at", "pk")
    )
    return ShiftRoster(
        live=[a for a in assignments if a.dropped_at is None],
        dropped=[a for a in assignments if a.dropped_at is not None],
        signups=signups,
        substitutes=substitutes,
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
        .select_related(SHIFT_PLACE, "person")
        .order_by("shift__starts_at")
    )


# --- Whom a planner may put on a shift ------------------------------------------------------


def people_to_roster(user: Any) -> QuerySet[Person]:
    """The live member records the user may read: whom the API lets a planner name."""
    return access.filter(user, "read", Person.objects.filter(voided_at__isnull=True))


def person_for_roster(user: Any, *, pk: int) -> Person:
    """A member record the user may read, voided or not: the lead page's pick, where the
    rostering rules then say why a voided member cannot be added."""
    return access.get_or_404(user, "read", Person.objects.select_related("user"), pk=pk)


# --- Swap requests --------------------------------------------------------------------------

_SWAP_RELATED = (f"assignment__{SHIFT_PLACE}", "requested_by", "colleague")


def swaps_for_lead(user: Any) -> QuerySet[SwapRequest]:
    """Swap requests on assignments the user may change, newest first."""
    return SwapRequest.objects.filter(
        assignment__in=access.filter(user, "write", Assignment.objects.all())
    ).select_related(*_SWAP_RELATED, "new_assignment")


def swaps_pending_for_lead(user: Any) -> QuerySet[SwapRequest]:
    """The requests waiting for the user's decision, by shift start."""
    return (
        swaps_for_lead(user)
        .filter(status=SwapRequest.Status.PENDING)
        .order_by("assignment__shift__starts_at")
    )


def swaps_decided_for_lead(user: Any, *, most: int = 30) -> QuerySet[SwapRequest]:
    """The requests decided on the user's assignments, the latest decision first."""
    return (
        swaps_for_lead(user)
        .exclude(status=SwapRequest.Status.PENDING)
        .order_by("-decided_at")[:most]
    )


def swap_to_decide_for(user: Any, *, pk: int) -> SwapRequest:
    """A request on an assignment the user may change (whether it still waits is the service's
    to say); 404 for any other."""
    swap = swaps_for_lead(user).filter(pk=pk).first()
    if swap is None:
        raise Http404
    return swap


def swaps_visible_to(user: Any) -> QuerySet[SwapRequest]:
    """Pending requests the user may decide, and the user's own requests, by shift start."""
    where = Q(pk__in=[])
    if access.allowed(user, "write", Assignment):
        where |= Q(pk__in=swaps_pending_for_lead(user).values("pk"))
    person = person_of(user)
    if person is not None:
        where |= Q(
            requested_by=person,
            assignment__in=access.filter(user, "read", Assignment.objects.all()),
        )
    return (
        SwapRequest.objects.filter(where)
        .select_related(*_SWAP_RELATED)
        .order_by("assignment__shift__starts_at", "id")
    )


def swap_by_pk(*, pk: int) -> SwapRequest:
    """A request just written by its service, as the API shows it (the caller was allowed)."""
    return SwapRequest.objects.select_related(*_SWAP_RELATED).get(pk=pk)


def swap_pending_on(*, assignment: Assignment) -> SwapRequest | None:
    """The request waiting on this assignment, if any (there is at most one)."""
    return SwapRequest.objects.filter(
        assignment=assignment, status=SwapRequest.Status.PENDING
    ).first()


def swap_last_decided_on(*, assignment: Assignment) -> SwapRequest | None:
    """The latest answer the lead gave on this assignment, for the member to see."""
    return (
        SwapRequest.objects.filter(assignment=assignment, decided_at__isnull=False)
        .order_by("-decided_at")
        .first()
    )
