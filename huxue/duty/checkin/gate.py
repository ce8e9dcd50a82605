"""What a check-in is judged against, read in one query: the gate.

The gate of a check-in is the window (a shift) it counts for, with its post, school, unit and
region, the city's duty rules up the region tree (``rulesets.up_the_tree``), the member's
assignment to the window, whether the school has been closed on the window's day since the
shift was made (``huxue.calendar.days_off``), and whether the person checking in may write
check-ins at all. The window is the post's first in ``Shift.objects.window_at`` (named by the
post's id or QR token), or a shift given by id (a lead's roll call names it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery

from huxue.calendar.days_off import closed_on
from huxue.core import rulesets
from huxue.duty.models import CheckIn, DutyRules
from huxue.orgs import access
from huxue.people.models import Person
from huxue.posts.models import Post
from huxue.roster.models import Assignment, Shift


@dataclass(frozen=True)
class Gate:
    shift: Shift  # its post, school, unit and region loaded
    rules: DutyRules
    assignment_id: int | None  # the member's published assignment to the window
    actor_may_check_in: bool  # whether any role of the actor may write check-ins
    school_closed: bool = False  # a closure of the school covers the window's day

    @property
    def post(self) -> Post:
        return self.shift.post


def gate_read(
    *,
    actor: Any,
    member: Person,
    at: dt.datetime,
    post_id: int | None = None,
    qr_token: str = "",
    shift_id: int | None = None,
) -> Gate | None:
    """The gate for ``member`` checking in at ``at``, at a live post named by id or QR token
    (its window at that moment) or on the shift ``shift_id``; None when there is no such post
    or no window. One query. ``actor`` None is the system itself (the demo's history, a
    command), which may always check in."""
    if shift_id is not None:
        shifts = Shift.objects.filter(pk=shift_id, cancelled_at__isnull=True)
    elif qr_token:
        shifts = Shift.objects.window_at(at).filter(post__qr_token=qr_token)
    elif post_id is not None:
        shifts = Shift.objects.window_at(at).filter(post_id=post_id)
    else:
        return None
    assignment = (
        Assignment.objects.published().filter(shift=OuterRef("pk"), person=member).values("pk")
    )
    read = (
        shifts.filter(post__in=Post.objects.live())
        .select_related(
            "post__school__unit__region",
            *rulesets.up_the_tree(DutyRules, "post__school__unit__region"),
        )
        .annotate(
            member_assignment=Subquery(assignment),
            school_closed=closed_on("post__school", "day"),
        )
    )
    if actor is not None:
        read = read.annotate(actor_may_check_in=access.allowed_exists(actor, "write", CheckIn))
    found = read.first()
    if found is None:
        return None
    return Gate(
        shift=found,
        rules=rulesets.nearest(DutyRules, found.post.school.unit.region),
        assignment_id=found.member_assignment,  # type: ignore[attr-defined]
        actor_may_check_in=getattr(found, "actor_may_check_in", True),
        school_closed=found.school_closed,  # type: ignore[attr-defined]
    )
