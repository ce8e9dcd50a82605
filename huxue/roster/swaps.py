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
from dataclasses import dataclass, replace
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
from huxue.orgs.models import Unit
from huxue.people.models import Person
from huxue.posts.models import School
from huxue.roster.models import Assignment, CityRules, Shift, SignUp
from huxue.roster.planning import (
    OWN_SCHOOL_ONLY,
    RESOLVED,
    _Reach,
    reminder_enqueue,
    reminder_prefix,
)
from huxue.roster.rules import is_available, trained_by, vetted_by, week_bounds
from huxue.roster.swap_models import SwapRequest

PROBLEM_TEXT = {
    "void": gettext_lazy("This member's record has been voided."),
    "not_vetted": gettext_lazy("This member has not passed the background check."),
    "not_trained": gettext_lazy("This member's training has not been done or has expired."),
    "wrong_group": gettext_lazy("This shift needs no one more of this member's force group."),
    "dropped": gettext_lazy(
        "This member was taken off this shift; they are not offered for it again."
    ),
    "dropped_then": gettext_lazy(
        "This member was taken off another shift at that time; they are not offered for this one."
    ),
    "not_available": gettext_lazy("This member is not available at that time."),
    "busy": gettext_lazy("This member is already on this or another shift at that time."),
    "cap": gettext_lazy("This member has reached the weekly limit of shifts."),
    "not_in_pool": gettext_lazy("This member cannot be rostered at this school."),
}

# The same reasons in a few words, for the list of members a lead is not offered.
PROBLEM_SHORT = {
    "void": gettext_lazy("Record voided"),
    "not_vetted": gettext_lazy("Background check not passed"),
    "not_trained": gettext_lazy("Training not done"),
    "wrong_group": gettext_lazy("Another force group"),
    "dropped": gettext_lazy("Just taken off this shift"),
    "dropped_then": gettext_lazy("Just taken off another shift at that time"),
    "not_available": gettext_lazy("Not available at that time"),
    "busy": gettext_lazy("On another post at that time"),
    "cap": gettext_lazy("Weekly limit reached"),
    "not_in_pool": gettext_lazy("Cannot be rostered at this school"),
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
    busy: bool  # on another shift that overlaps this one
    week_shifts: int
    weekly_cap: int
    home: bool
    distance_km: float  # NO_HOME_KM when the member has no home school to measure from
    void: bool = False
    here: bool = False  # already on this shift
    # Taken off this very shift, or another at the same time, that week (by the lead, a swap, a
    # release, their own withdrawal; not a re-solve): the solver does not put them back either.
    dropped: bool = False
    dropped_then: bool = False
    school: str = ""  # the member's own school, to say where a nearby member comes from

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
    if not candidate.here and candidate.dropped:
        return "dropped"
    if not candidate.here and candidate.dropped_then:
        return "dropped_then"
    if not candidate.available:
        return "not_available"
    if candidate.busy or candidate.here:
        return "busy"
    if candidate.week_shifts >= candidate.weekly_cap:
        return "cap"
    return None


def _rank_key(c: Candidate) -> tuple[bool, int, int, float, str, int]:
    """Who could come soonest and fairest: the shift's own school first, then by distance (in
    whole kilometres, so that members about as near are ordered by load), then the fewest
    shifts that week; name and id make the order stable."""
    return (
        not c.home,
        int(c.distance_km),
        c.week_shifts,
        round(c.distance_km, 3),
        c.name,
        c.person_id,
    )


@dataclass(frozen=True)
class Ranking:
    """One force group's slot on one shift: whom to offer, best first, and the members of that
    group who are not offered, with the reason (a ``PROBLEM_TEXT`` key), nearest first."""

    offered: list[Candidate]
    not_offered: list[tuple[Candidate, str]]


def rank_with_reasons(candidates: Iterable[Candidate], *, group: str) -> Ranking:
    """Sort the pool for a slot of ``group``. Members of other force groups, and those already
    on the shift, are neither offered nor listed: they are not the question."""
    offered: list[Candidate] = []
    not_offered: list[tuple[Candidate, str]] = []
    for c in sorted(candidates, key=_rank_key):
        if c.group != group or c.here:
            continue
        problem = substitute_problem(c, group=group)
        if problem is None:
            offered.append(c)
        else:
            not_offered.append((c, problem))
    return Ranking(offered=offered, not_offered=not_offered)


def rank_substitutes(candidates: Iterable[Candidate], *, group: str) -> list[Candidate]:
    """The eligible members, best first (``_rank_key``)."""
    return rank_with_reasons(candidates, group=group).offered


def _pool(shift: Shift, *, school_only: bool) -> Q:
    """Who may stand at this school: its members and (unless asked not to) those of its police
    station and the station's other schools; ``_reaches`` then keeps those near enough."""
    unit = shift.post.school.unit
    where = Q(unit__path__startswith=unit.path)
    if not school_only and unit.parent_id:
        parent = Unit.objects.only("path").get(pk=unit.parent_id)
        where |= Q(unit__path__startswith=parent.path) & ~(
            Q(force_type__in=OWN_SCHOOL_ONLY) & Q(child_school__isnull=True)
        )
    return where & Q(voided_at__isnull=True)


def _reaches(reach: _Reach, person: Person, home: School | None, school_id: int) -> bool:
    """The solver's rule of who may be sent to which school (``planning._Reach``): one's own
    school, a nearby one for community volunteers, the station's schools for its officers."""
    if home is not None and home.pk == school_id:
        return True
    return school_id in reach.schools_for(person, home)


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
    found = list(
        qs.select_related("child_school", "unit__region").prefetch_related(
            "availability", "availability_exceptions"
        )
    )
    homes = {s.unit_id: s for s in School.objects.filter(unit_id__in={p.unit_id for p in found})}
    reach = _Reach({shift.pk: shift})
    school_id = shift.post.school_id
    members = [
        p for p in found if _reaches(reach, p, homes.get(p.unit_id) or p.child_school, school_id)
    ]
    ids = [p.pk for p in members]
    monday, sunday = week_bounds(shift.day)
    week = Q(shift__day__gte=monday, shift__day__lte=sunday, shift__cancelled_at__isnull=True)
    committed: dict[int, dict[int, tuple[dt.datetime, dt.datetime]]] = defaultdict(dict)
    for person_id, shift_id, starts, ends in Assignment.objects.filter(
        week, person_id__in=ids, dropped_at__isnull=True
    ).values_list("person_id", "shift_id", "shift__starts_at", "shift__ends_at"):
        committed[person_id][shift_id] = (starts, ends)
    for person_id, shift_id, starts, ends in (
        SignUp.objects.filter(week, person_id__in=ids, withdrawn_at__isnull=True)
        .exclude(status=SignUp.Status.DECLINED)
        .values_list("person_id", "shift_id", "shift__starts_at", "shift__ends_at")
    ):
        committed[person_id][shift_id] = (starts, ends)
    on_shift = set(
        Assignment.objects.filter(shift=shift, dropped_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    dropped: set[int] = set()
    dropped_then: set[int] = set()
    for person_id, shift_id, starts, ends in (
        Assignment.objects.filter(week, person_id__in=ids, dropped_at__isnull=False)
        .exclude(drop_reason=RESOLVED)  # a re-solve's move says nothing about the member
        .values_list("person_id", "shift_id", "shift__starts_at", "shift__ends_at")
    ):
        if shift_id == shift.pk:
            dropped.add(person_id)
        elif starts < shift.ends_at and shift.starts_at < ends:
            dropped_then.add(person_id)
    cap = rulesets.nearest(CityRules, shift.post.school.unit.region).shifts_per_member_week
    lat, lng = float(shift.post.latitude), float(shift.post.longitude)
    result = []
    for person in members:
        home = homes.get(person.unit_id) or person.child_school
        weekly = [a for a in person.availability.all() if a.weekday == shift.day.weekday()]
        exceptions = {e.day: e for e in person.availability_exceptions.all()}
        # A sign-up for this very shift is an offer to take it, not a clash.
        others = {k: v for k, v in committed[person.pk].items() if k != shift.pk}
        busy = any(s < shift.ends_at and shift.starts_at < e for s, e in others.values())
        result.append(
            Candidate(
                person_id=person.pk,
                name=person.name,
                group=person.force_group,
                vetted=vetted_by(person, shift.day),
                trained=trained_by(person, shift.day),
                available=is_available(person, shift, weekly=weekly, exceptions=exceptions),
                busy=busy,
                week_shifts=len(others),
                weekly_cap=cap,
                home=home is not None and home.pk == school_id,
                distance_km=distance_m(float(home.latitude), float(home.longitude), lat, lng) / 1000
                if home
                else NO_HOME_KM,
                void=person.is_void,
                here=person.pk in on_shift,
                dropped=person.pk in dropped,
                dropped_then=person.pk in dropped_then,
                school=home.unit.name if home is not None else "",
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
    # Someone taken off this shift is not offered for it again; a lead who names them on
    # purpose (putting them back, accepting their new sign-up) may still add them.
    candidate = replace(found[0], dropped=False, dropped_then=False)
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
    """A lead puts a member on a shift in the planned roster (members see it once the week is
    published); the rules still hold."""
    access.require(actor, "write", shift)
    _lock_member(person)
    _check_can_take(shift, person)
    return assignment_place(
        actor=actor, shift=shift, person=person, source=source, locked=locked, publish=False
    )


def assignment_place(
    *, actor: Any, shift: Shift, person: Person, source: str, locked: bool, publish: bool
) -> Assignment:
    """Write an assignment whose rules the caller has checked (with the member's row locked).
    ``publish``: it takes effect at once (a substitute called out for today, a swap the lead
    approved), so the member is told and reminded now; otherwise it waits in the planned roster
    for ``roster_publish``. Audited either way."""
    assignment = Assignment.objects.create(
        shift=shift,
        person=person,
        group=person.force_group,
        source=source,
        locked=locked,
        published=publish,
    )
    if publish:
        _tell(
            person,
            key=f"roster.assigned:assignment:{assignment.pk}",
            kind="roster.changed",
            subject=_("You have a new shift"),
            body=_("You are rostered %(when)s at %(post)s.")
            % {"when": _when(shift), "post": shift.post},
            shift=shift,
        )
        reminder_enqueue(assignment)
    audit.record(
        action=f"assignment.{source}",
        actor=actor,
        obj=assignment,
        detail={"shift": shift.pk, "person": person.pk, "locked": locked, "published": publish},
    )
    return assignment


def _drop(assignment: Assignment, reason: str, *, publish: bool) -> None:
    """Take the row out of the planned roster; with ``publish`` out of the published one too
    (its reminder cancelled), else that waits for ``roster_publish``."""
    assignment.dropped_at = timezone.now()
    assignment.drop_reason = reason[:200]
    fields = ["dropped_at", "drop_reason", "updated_at"]
    if publish and assignment.published:
        assignment.published = False
        fields.append("published")
        notify_cancel(key_prefix=reminder_prefix(assignment.shift_id, assignment.person_id))
    assignment.save(update_fields=fields)


@transaction.atomic
def assignment_drop(*, actor: Any, assignment: Assignment, reason: str) -> Assignment:
    """Take a member off a shift in the planned roster, with a reason; the record stays, marked
    dropped. The member is told when the week is published (``roster_publish``)."""
    access.require(actor, "write", assignment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the member is taken off the shift."), code="reason")
    if assignment.dropped_at is not None:
        return assignment
    _drop(assignment, reason, publish=False)
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


def _check_own_upcoming(actor: Any, assignment: Assignment) -> None:
    """A member asks only about their own rostered shift, before it starts, once at a time."""
    person = assignment.person
    if assignment.dropped_at is not None or person.user_id != getattr(actor, "pk", None):
        raise ValidationError(_("You can ask to swap only your own rostered shifts."), code="own")
    if assignment.shift.starts_at <= timezone.now():
        raise ValidationError(_("This shift has already started."), code="closed")
    if SwapRequest.objects.filter(
        assignment=assignment, status=SwapRequest.Status.PENDING
    ).exists():
        raise ValidationError(
            _("You have already asked the school lead about this shift; wait for the answer."),
            code="duplicate",
        )


@transaction.atomic
def swap_request(
    *, actor: Any, assignment: Assignment, colleague: Person, note: str = ""
) -> SwapRequest:
    """A member asks that a colleague take their shift; the school lead decides."""
    person = assignment.person
    _check_own_upcoming(actor, assignment)
    if colleague.pk == person.pk or colleague.pk not in {
        c.person_id for c in swap_colleagues(assignment)
    }:
        raise ValidationError(
            _("This colleague cannot take the shift; choose one from the list."), code="colleague"
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
def release_request(*, actor: Any, assignment: Assignment, reason: str) -> SwapRequest:
    """A member who cannot come, with no colleague free to swap, asks the school lead to let
    them off the shift; the lead approves (the slot opens, to be filled or called out) or
    declines (the member is asked to come or to talk to the lead)."""
    person = assignment.person
    _check_own_upcoming(actor, assignment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Say why you cannot come, so that the school lead can decide."), code="reason"
        )
    if swap_colleagues(assignment):
        raise ValidationError(
            _("A colleague is free to take this shift: ask for a swap with them instead."),
            code="colleague_free",
        )
    release = SwapRequest.objects.create(
        assignment=assignment,
        requested_by=person,
        kind=SwapRequest.Kind.RELEASE,
        colleague=None,
        note=reason[:200],
    )
    audit.record(
        action="release.request",
        actor=actor,
        obj=release,
        detail={"assignment": assignment.pk, "reason": reason[:200]},
    )
    return release


@transaction.atomic
def release_decide(*, actor: Any, release: SwapRequest, approve: bool) -> SwapRequest:
    """Approve (the member is off the shift at once, and told; the empty slot shows on the
    lead's pages to be filled) or decline (the member keeps the shift, and is told)."""
    release = (
        SwapRequest.objects.select_for_update(of=("self",))
        .select_related("assignment__shift__post__school__unit__region", "requested_by__user")
        .get(pk=release.pk, kind=SwapRequest.Kind.RELEASE)
    )
    assignment = release.assignment
    access.require(actor, "write", assignment)
    if release.status != SwapRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."), code="decided")
    shift = assignment.shift
    post_when = {"when": _when(shift), "post": shift.post}
    if approve:
        if assignment.dropped_at is None:
            # Agreed by the member and the lead: it takes effect at once, published or not.
            _drop(assignment, release.note or "release", publish=True)
        release.status = SwapRequest.Status.APPROVED
        _tell(
            release.requested_by,
            key=f"release:{release.pk}:approved",
            kind="roster.changed",
            subject=_("You are released from your shift"),
            body=_(
                "The school lead has released you from your shift %(when)s at %(post)s; you "
                "need not come."
            )
            % post_when,
            shift=shift,
        )
    else:
        release.status = SwapRequest.Status.REJECTED
        _tell(
            release.requested_by,
            key=f"release:{release.pk}:rejected",
            kind="roster.changed",
            subject=_("Your request to be released was declined"),
            body=_(
                "Please come to your shift %(when)s at %(post)s as planned, or talk to your "
                "school lead."
            )
            % post_when,
            shift=shift,
        )
    release.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    release.decided_at = timezone.now()
    release.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit.record(
        action="release.approve" if approve else "release.reject",
        actor=actor,
        obj=release,
        detail={"assignment": assignment.pk},
    )
    return release


@transaction.atomic
def swap_decide(*, actor: Any, swap: SwapRequest, approve: bool) -> SwapRequest:
    """Approve (the shift moves to the colleague) or reject a swap; both members are told.
    A release request is decided by ``release_decide``."""
    swap = (
        SwapRequest.objects.select_for_update(of=("self",))
        .select_related(
            "assignment__shift__post__school__unit__region",
            "requested_by__user",
            "colleague__user",
        )
        .get(pk=swap.pk)
    )
    if swap.colleague is None:  # a release request: no colleague to move the shift to
        return release_decide(actor=actor, release=swap, approve=approve)
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
        was_published = old.published
        _drop(old, "swap", publish=True)  # agreed by both members and the lead: at once
        _check_can_take(shift, swap.colleague, school_only=True)
        swap.new_assignment = Assignment.objects.create(
            shift=shift,
            person=swap.colleague,
            group=old.group,
            source=Assignment.Source.SWAP,
            locked=old.locked,
            published=was_published,
        )
        if was_published:
            reminder_enqueue(swap.new_assignment)
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
