"""The shifts, sign-ups and assignments a caller may see, and the one record an id names.

The API's collections and the member and lead pages read these; scope comes from orgs.access.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.db.models import Count, Model, Q, QuerySet

from huxue.orgs import access
from huxue.roster.models import Assignment, Shift, SignUp

M = TypeVar("M", bound=Model)

# Where a shift sits, as the API's brief shift and the pages show it (one join chain).
SHIFT_PLACE = "shift__post__school__unit"


def _in_range(
    qs: QuerySet[M],
    *,
    to_shift: str,
    school: int | None,
    start: dt.date | None,
    end: dt.date | None,
) -> QuerySet[M]:
    """Records of one school and of days from `start` to `end` (each optional), inclusive."""
    if school is not None:
        qs = qs.filter(**{f"{to_shift}post__school_id": school})
    if start is not None:
        qs = qs.filter(**{f"{to_shift}day__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{to_shift}day__lte": end})
    return qs


def shifts_visible_to(user: Any, *, action: str = "read") -> QuerySet[Shift]:
    qs = Shift.objects.filter(cancelled_at__isnull=True).select_related(
        "post", "post__school__unit"
    )
    return access.filter(user, action, qs)


def shift_for(user: Any, *, pk: int, action: str = "read") -> Shift:
    return access.get_or_404(user, action, shifts_visible_to(user, action=action), pk=pk)


def _with_fill(shifts: QuerySet[Shift]) -> QuerySet[Shift]:
    return shifts.annotate(
        assigned=Count(
            "assignments", filter=Q(assignments__dropped_at__isnull=True), distinct=True
        ),
        signed_up=Count("signups", filter=Q(signups__withdrawn_at__isnull=True), distinct=True),
    ).select_related("post__school__unit")


def shifts_filled_visible_to(
    user: Any,
    *,
    school: int | None = None,
    post: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[Shift]:
    """Live shifts in scope with how full each is (``assigned``, ``signed_up``), earliest first."""
    shifts = _in_range(shifts_visible_to(user), to_shift="", school=school, start=start, end=end)
    if post is not None:
        shifts = shifts.filter(post_id=post)
    return _with_fill(shifts).order_by("starts_at", "post_id", "id")


def shift_filled_for(user: Any, *, pk: int) -> tuple[Shift, dict[str, int]]:
    """One live shift in scope with how full it is, and its live assignments per force group."""
    shift = access.get_or_404(user, "read", _with_fill(shifts_visible_to(user)), pk=pk)
    by_group = dict(
        Assignment.objects.filter(shift=shift, dropped_at__isnull=True)
        .values("group")
        .annotate(n=Count("id"))
        .values_list("group", "n")
    )
    return shift, by_group


def signups_visible_to(
    user: Any,
    *,
    school: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[SignUp]:
    """Sign-ups in scope (a member's own; a planner's schools'), by shift start."""
    qs = access.filter(user, "read", SignUp.objects.select_related(SHIFT_PLACE, "person"))
    qs = _in_range(qs, to_shift="shift__", school=school, start=start, end=end)
    return qs.order_by("shift__starts_at", "id")


def signup_for(user: Any, *, pk: int, action: str = "write") -> SignUp:
    return access.get_or_404(
        user, action, SignUp.objects.select_related(SHIFT_PLACE, "person"), pk=pk
    )


def assignments_visible_to(
    user: Any,
    *,
    planned: bool = False,
    school: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[Assignment]:
    """Published assignments (what members were told) on shifts not cancelled, in scope, by
    shift start and force group; ``planned``: the planned roster instead, of the shifts the user
    plans (nothing for a member)."""
    if planned and not access.allowed(user, "write", Shift):
        return Assignment.objects.none()  # a member's own plan is not theirs to read
    rows = Assignment.objects.planned() if planned else Assignment.objects.published()
    live = rows.filter(shift__cancelled_at__isnull=True).select_related(SHIFT_PLACE, "person")
    qs = _in_range(
        access.filter(user, "write" if planned else "read", live),
        to_shift="shift__",
        school=school,
        start=start,
        end=end,
    )
    return qs.order_by("shift__starts_at", "group", "id")


def assignment_for(user: Any, *, pk: int, action: str = "write") -> Assignment:
    """One assignment, live or dropped, that the user may `action` (a planner's hand changes)."""
    return access.get_or_404(
        user, action, Assignment.objects.select_related(SHIFT_PLACE, "person__user"), pk=pk
    )
