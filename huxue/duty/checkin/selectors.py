"""Reads for duty at the gate. Everything goes through ``huxue.orgs.access``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from huxue.duty.models import CheckIn
from huxue.orgs import access
from huxue.people.models import Person
from huxue.posts.models import School


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


def own_checkin_for(user: Any, *, pk: int) -> CheckIn:
    """One of the signed-in member's own check-ins, to check out of; 404 for anyone else's
    (a lead checks members out at roll call, not here)."""
    checkin = checkin_for(user, pk=pk, action="write")
    if checkin.person.user_id != user.pk:
        raise Http404
    return checkin


def school_of(person: Person) -> School | None:
    """The school a member belongs to (their unit is one), or their child's school (a parent
    volunteer); None for a member of a police station or a security company."""
    schools = School.objects.filter(voided_at__isnull=True).select_related("unit__region")
    own = schools.filter(unit_id=person.unit_id).first()
    if own is None and person.child_school_id is not None:
        own = schools.filter(pk=person.child_school_id).first()
    return own
