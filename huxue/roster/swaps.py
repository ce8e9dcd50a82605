"""Changing a roster by hand: manual assignments, drops, locks, substitutes and swaps.

Every write is keyword-only, runs in one transaction, writes one audit line and notifies the
members it touches through the outbox (keys carry the record's id, so nothing is sent twice).
Who may be put on a shift is decided by one pure function, ``substitute_problem``, that the
ranking of substitutes, swaps and manual additions all share.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huxue.core import audit, rulesets
from huxue.core.geo import distance_m
from huxue.notify.services import notify_cancel, notify_enqueue
from huxue.orgs import access
from huxue.people.models import Person
from huxue.posts.models import School
from huxue.roster.models import Assignment, CityRules, Shift, SignUp
from huxue.roster.planning import is_published, reminder_enqueue, reminder_prefix
from huxue.roster.rules import is_available, week_bounds
from huxue.roster.swap_models import SwapRequest

PROBLEM_TEXT = {
    "void": gettext_lazy("This member's record has been voided."),
    "not_vetted": gettext_lazy("This member has not passed the background check."),
    "not_trained": gettext_lazy("This member's training has not been done or has expired."),
    "wrong_group": gettext_lazy("This shift needs no one more of this member's force group."),
    "not_available": gettext_lazy("This member is not available at that time."),
    "busy": gettext_lazy("This member is already on this or another shift at that time."),
    "cap": gettext_lazy("This member has reached the weekly limit of shifts."),
    "not_in_pool": gettext_lazy("This member cannot be rostered at this school."),
}


NO_HOME_KM = 1e6  # ranks last on distance


@dataclass(frozen=True)
class Candidate:
    """What the ranking needs to know about one member for one shift; no ORM inside."""

    person_id: int
    name: str
    group: str
    vetted: bool
    trained: bool
    available: bool
    busy: bool
    week_shifts: int
    weekly_cap: int
    home: bool
    distance_km: float  # NO_HOME_KM when the member has no home school to measure from
    void: bool = False

    @property
    def distance_known(self) -> bool:
        return self.distance_km < NO_HOME_KM


def substitute_problem(candidate: Candidate, *, group: str) -> str | None:
    """Why this member may not take a slot of this group on this shift; None if they may."""
    if candidate.void:
        return "void"
    if not candidate.vetted:
        return "not_vetted"
    if not candidate.trained:
        return "not_trained"
    if candidate.group != group:
        return "wrong_group"
    if not candidate.available:
        return "not_available"
    if candidate.busy:
        return "busy"
    if candidate.week_shifts >= candidate.weekly_cap:
        return "cap"
    return None


def rank_substitutes(candidates: Iterable[Candidate], *, group: str) -> list[Candidate]:
    """The eligible members, best first: fewest shifts that week, then home school, then nearest."""
    eligible = [c for c in candidates if substitute_problem(c, group=group) is None]
    return sorted(
        eligible,
        key=lambda c: (c.week_shifts, not c.home, round(c.distance_km, 3), c.name, c.person_id),
    )


def _pool(shift: Shift, *, school_only: bool) -> Q:
    """Who may stand at this school: its members, and (unless asked not to) its station's."""
    unit = shift.post.school.unit
    where = Q(unit__path__startswith=unit.path)
    if not school_only and unit.parent_id:
        where |= Q(unit_id=unit.parent_id)
    return where & Q(voided_at__isnull=True)


def candidates_for(
    *,
    shift: Shift,
    actor: Any = None,
    school_only: bool = False,
    people: Iterable[int] | None = None,
) -> list[Candidate]:
    """Every member of the shift's pool as a Candidate, in a fixed number of queries.

    With an actor, the pool is further limited to the people the actor may read.
    """
    qs = Person.objects.filter(_pool(shift, school_only=school_only))
    if people is not None:
        qs = qs.filter(pk__in=list(people))
    if actor is not None:
        qs = access.filter(actor, "read", qs)
    members = list(
        qs.select_related("child_school").prefetch_related(
            "availability", "availability_exceptions"
        )
    )
    ids = [p.pk for p in members]
    monday, sunday = week_bounds(shift.day)
    week = Q(shift__day__gte=monday, shift__day__lte=sunday, shift__cancelled_at__isnull=True)
    committed: dict[int, dict[int, tuple[dt.datetime, dt.datetime]]] = defaultdict(dict)
    for person_id, shift_id, starts, ends in Assignment.objects.filter(
        week, person_id__in=ids, dropped_at__isnull=True
    ).values_list("person_id", "shift_id", "shift__starts_at", "shift__ends_at"):
        committed[person_id][shift_id] = (starts, ends)
    for person_id, shift_id, starts, ends in SignUp.objects.filter(
        week, person_id__in=ids, withdrawn_at__isnull=True
    ).values_list("person_id", "shift_id", "shift__starts_at", "shift__ends_at"):
        committed[person_id][shift_id] = (starts, ends)
    on_shift = set(
        Assignment.objects.filter(shift=shift, dropped_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    homes = {s.unit_id: s for s in School.objects.filter(unit_id__in={p.unit_id for p in members})}
    cap = rulesets.nearest(CityRules, shift.post.school.unit.region).shifts_per_member_week
    lat, lng = float(shift.post.latitude), float(shift.post.longitude)
    result = []
    for person in members:
        home = homes.get(person.unit_id) or person.child_school
        weekly = [a for a in person.availability.all() if a.weekday == shift.day.weekday()]
        exceptions = {e.day: e for e in person.availability_exceptions.all()}
        # A sign-up for this very shift is an offer to take it, not a clash.
        others = {k: v for k, v in committed[person.pk].items() if k != shift.pk}
        busy = person.pk in on_shift or any(
            s < shift.ends_at and shift.starts_at < e for s, e in others.values()
        )
        result.append(
            Candidate(
                person_id=person.pk,
                name=person.name,
                group=person.force_group,
                vetted=person.vetting_status == Person.Vetting.PASSED,
                trained=person.training_status == Person.Training.TRAINED,
                available=is_available(person, shift, weekly=weekly, exceptions=exceptions),
                busy=busy,
                week_shifts=len(others),
                weekly_cap=cap,
                home=home is not None and home.pk == shift.post.school_id,
                distance_km=distance_m(float(home.latitude), float(home.longitude), lat, lng) / 1000
                if home
                else NO_HOME_KM,
                void=person.is_void,
            )
        )
    return result


def open_groups(shift: Shift) -> dict[str, int]:
    """How many more members of each force group the shift needs."""
    counts: dict[str, int] = defaultdict(int)
    for group in Assignment.objects.filter(shift=shift, dropped_at__isnull=True).values_list(
        "group", flat=True
    ):
        counts[group] += 1
    return {g: int(n) - counts[g] for g, n in shift.requirements.items() if int(n) - counts[g] > 0}


def _check_can_take(shift: Shift, person: Person, *, school_only: bool = False) -> None:
    if shift.cancelled_at is not None or shift.ends_at <= timezone.now():
        raise ValidationError(_("This shift is over or cancelled."), code="closed")
    found = candidates_for(shift=shift, school_only=school_only, people=[person.pk])
    if not found:
        raise ValidationError(PROBLEM_TEXT["not_in_pool"], code="not_in_pool")
    candidate = found[0]
    group = person.force_group
    if group not in open_groups(shift):
        problem: str | None = "wrong_group"
    else:
        problem = substitute_problem(candidate, group=group)
    if problem:
        raise ValidationError(PROBLEM_TEXT[problem], code=problem)


def _when(shift: Shift) -> str:
    return timezone.localtime(shift.starts_at).strftime("%m-%d %H:%M")


def _tell(person: Person, *, key: str, kind: str, subject: str, body: str, shift: Shift) -> None:
    if person.user is not None:
        notify_enqueue(
            dedupe_key=key,
            kind=kind,
            user=person.user,
            subject=subject,
            body=body,
            payload={"shift": shift.pk},
        )


def _lock_member(person: Person) -> None:
    """Serialise changes to one member's shifts, so two additions cannot both pass the cap."""
    Person.objects.select_for_update().filter(pk=person.pk).first()


@transaction.atomic
def assignment_add(
    *,
    actor: Any,
    shift: Shift,
    person: Person,
    source: str = Assignment.Source.MANUAL,
    locked: bool = True,
) -> Assignment:
    """A lead puts a member on a shift (by hand or as a substitute); the rules still hold."""
    access.require(actor, "write", shift)
    _lock_member(person)
    _check_can_take(shift, person)
    return assignment_place(actor=actor, shift=shift, person=person, source=source, locked=locked)


def assignment_place(
    *, actor: Any, shift: Shift, person: Person, source: str, locked: bool
) -> Assignment:
    """Write an assignment whose rules the caller has checked (with the member's row locked):
    the member is told, reminded if the roster is already published, and it is audited."""
    assignment = Assignment.objects.create(
        shift=shift, person=person, group=person.force_group, source=source, locked=locked
    )
    _tell(
        person,
        key=f"roster.assigned:assignment:{assignment.pk}",
        kind="roster.changed",
        subject=_("You have a new shift"),
        body=_("You are rostered %(when)s at %(post)s.")
        % {"when": _when(shift), "post": shift.post},
        shift=shift,
    )
    if is_published(shift):  # otherwise the reminder is queued when the roster is published
        reminder_enqueue(assignment)
    audit.record(
        action=f"assignment.{source}",
        actor=actor,
        obj=assignment,
        detail={"shift": shift.pk, "person": person.pk, "locked": locked},
    )
    return assignment


def _drop(assignment: Assignment, reason: str) -> None:
    assignment.dropped_at = timezone.now()
    assignment.drop_reason = reason[:200]
    assignment.save(update_fields=["dropped_at", "drop_reason", "updated_at"])
    notify_cancel(key_prefix=reminder_prefix(assignment.shift_id, assignment.person_id))


@transaction.atomic
def assignment_drop(*, actor: Any, assignment: Assignment, reason: str) -> Assignment:
    """Take a member off a shift, with a reason; the record stays, marked dropped."""
    access.require(actor, "write", assignment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the member is taken off the shift."), code="reason")
    if assignment.dropped_at is not None:
        return assignment
    _drop(assignment, reason)
    _tell(
        assignment.person,
        key=f"roster.dropped:assignment:{assignment.pk}",
        kind="roster.changed",
        subject=_("Your roster has changed"),
        body=_("You are no longer rostered %(when)s at %(post)s.")
        % {"when": _when(assignment.shift), "post": assignment.shift.post},
        shift=assignment.shift,
    )
    audit.record(
        action="assignment.drop", actor=actor, obj=assignment, detail={"reason": reason[:200]}
    )
    return assignment


@transaction.atomic
def assignment_lock(*, actor: Any, assignment: Assignment, locked: bool) -> Assignment:
    """A locked assignment is kept by every later solver run."""
    access.require(actor, "write", assignment)
    if assignment.dropped_at is not None:
        raise ValidationError(_("This assignment has been dropped."), code="dropped")
    if assignment.locked != locked:
        assignment.locked = locked
        assignment.save(update_fields=["locked", "updated_at"])
        audit.record(
            action="assignment.lock" if locked else "assignment.unlock",
            actor=actor,
            obj=assignment,
        )
    return assignment


def swap_colleagues(assignment: Assignment) -> list[Candidate]:
    """Colleagues who could take this shift instead: same school and force group, ranked."""
    found = candidates_for(shift=assignment.shift, school_only=True)
    return [
        c
        for c in rank_substitutes(found, group=assignment.group)
        if c.person_id != assignment.person_id
    ]


@transaction.atomic
def swap_request(
    *, actor: Any, assignment: Assignment, colleague: Person, note: str = ""
) -> SwapRequest:
    """A member asks that a colleague take their shift; the school lead decides."""
    person = assignment.person
    if assignment.dropped_at is not None or person.user_id != getattr(actor, "pk", None):
        raise ValidationError(_("You can ask to swap only your own rostered shifts."), code="own")
    if assignment.shift.starts_at <= timezone.now():
        raise ValidationError(_("This shift has already started."), code="closed")
    if colleague.pk == person.pk or colleague.pk not in {
        c.person_id for c in swap_colleagues(assignment)
    }:
        raise ValidationError(
            _("This colleague cannot take the shift; choose one from the list."), code="colleague"
        )
    if SwapRequest.objects.filter(
        assignment=assignment, status=SwapRequest.Status.PENDING
    ).exists():
        raise ValidationError(
            _("You have already asked to swap this shift; wait for the school lead."),
            code="duplicate",
        )
    swap = SwapRequest.objects.create(
        assignment=assignment, requested_by=person, colleague=colleague, note=note.strip()[:200]
    )
    audit.record(
        action="swap.request",
        actor=actor,
        obj=swap,
        detail={"assignment": assignment.pk, "colleague": colleague.pk},
    )
    return swap


@transaction.atomic
def swap_decide(*, actor: Any, swap: SwapRequest, approve: bool) -> SwapRequest:
    """Approve (the shift moves to the colleague) or reject a swap; both members are told."""
    swap = (
        SwapRequest.objects.select_for_update(of=("self",))
        .select_related(
            "assignment__shift__post__school__unit__region",
            "requested_by__user",
            "colleague__user",
        )
        .get(pk=swap.pk)
    )
    old = swap.assignment
    access.require(actor, "write", old)
    if swap.status != SwapRequest.Status.PENDING:
        raise ValidationError(_("This swap request has already been decided."), code="decided")
    shift = old.shift
    post_when = {"when": _when(shift), "post": shift.post}
    if approve:
        if old.dropped_at is not None:
            raise ValidationError(
                _("The member is no longer on this shift; the swap cannot be made."),
                code="dropped",
            )
        _lock_member(swap.colleague)
        _drop(old, "swap")
        _check_can_take(shift, swap.colleague, school_only=True)
        swap.new_assignment = Assignment.objects.create(
            shift=shift,
            person=swap.colleague,
            group=old.group,
            source=Assignment.Source.SWAP,
            locked=old.locked,
        )
        swap.status = SwapRequest.Status.APPROVED
        _tell(
            swap.requested_by,
            key=f"swap:{swap.pk}:approved:person:{swap.requested_by_id}",
            kind="roster.changed",
            subject=_("Your swap was approved"),
            body=_("%(colleague)s takes your shift %(when)s at %(post)s.")
            % {**post_when, "colleague": swap.colleague.name},
            shift=shift,
        )
        _tell(
            swap.colleague,
            key=f"swap:{swap.pk}:approved:person:{swap.colleague_id}",
            kind="roster.changed",
            subject=_("You have a new shift"),
            body=_("You take %(name)s's shift %(when)s at %(post)s.")
            % {**post_when, "name": swap.requested_by.name},
            shift=shift,
        )
    else:
        swap.status = SwapRequest.Status.REJECTED
        _tell(
            swap.requested_by,
            key=f"swap:{swap.pk}:rejected:person:{swap.requested_by_id}",
            kind="roster.changed",
            subject=_("Your swap was not approved"),
            body=_("You keep your shift %(when)s at %(post)s; please talk to your school lead.")
            % post_when,
            shift=shift,
        )
    swap.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    swap.decided_at = timezone.now()
    swap.save(update_fields=["status", "decided_by", "decided_at", "new_assignment", "updated_at"])
    audit.record(
        action="swap.approve" if approve else "swap.reject",
        actor=actor,
        obj=swap,
        detail={
            "assignment": old.pk,
            "new_assignment": swap.new_assignment_id,
            "colleague": swap.colleague_id,
        },
    )
    return swap
