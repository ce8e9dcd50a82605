"""The solver meets the database: build a Problem from records, save a checked roster, publish.

Reads go through orgs.access (a run covers what its actor may write); the solver itself never
sees the ORM. Every roster is validated by the independent checker before it is saved.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huxue.core import audit, rulesets
from huxue.notify.services import notify_cancel, notify_enqueue
from huxue.orgs import access
from huxue.orgs.models import Region, Unit
from huxue.people.forces import ForceType
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.roster import solver
from huxue.roster.models import Assignment, CityRules, RosterRun, RosterVersion, Shift, SignUp
from huxue.roster.pins import pins_checked
from huxue.roster.rules import (
    availability_check,
    ineligibility_on,
    term_bounds,
    trained_by,
    vetted_by,
)
from huxue.roster.solver.model import km

REASON_TEXT = {
    "no_group": gettext_lazy("Nobody of this force group is registered."),
    "not_vetted": gettext_lazy("Nobody of this force group has passed the background check."),
    "not_trained": gettext_lazy("Nobody vetted of this force group has valid training."),
    "not_available": gettext_lazy("No eligible member is available at this time."),
    "cap_or_busy": gettext_lazy(
        "Every eligible member available then is at a cap or on another shift."
    ),
    "not_chosen": gettext_lazy("Filling this slot would leave a more important slot empty."),
}
# Whom to ask, by force group: officers come from the school's 属地 police station, guards from
# the security company (or the school's own security staff), teachers and staff from the school.
GROUP_ADVICE = {
    "police": gettext_lazy(
        "Ask the school's local police station, %(station)s, for more police or auxiliary "
        "officers (%(count)s needed)."
    ),
    "guard": gettext_lazy(
        "Ask the security company, %(company)s, for more security guards, or the school's own "
        "security staff (%(count)s needed)."
    ),
    "staff": gettext_lazy(
        "Ask %(school)s to put more teachers or staff on this window (%(count)s needed)."
    ),
}
# The same without the station or company, where the caller did not read them.
GROUP_ADVICE_UNNAMED = {
    "police": gettext_lazy(
        "Ask the school's local police station for more police or auxiliary officers "
        "(%(count)s needed)."
    ),
    "guard": gettext_lazy(
        "Ask the security company for more security guards, or the school's own security "
        "staff (%(count)s needed)."
    ),
}
# Volunteers are recruited near the school: what to do first, by the explanation's suggestion.
SUGGESTION_TEXT = {
    "recruit": gettext_lazy("Recruit more volunteers near %(school)s (%(count)s needed)."),
    "vet": gettext_lazy("Complete the background checks of the volunteers near %(school)s."),
    "train": gettext_lazy("Train the vetted volunteers near %(school)s."),
    "raise_cap": gettext_lazy(
        "Recruit more volunteers near %(school)s, or raise the weekly cap (%(count)s needed)."
    ),
}
CAPPED_TEXT = gettext_lazy("Nearest who could take it with a higher weekly cap: %(names)s.")
UNREADY_TEXT = gettext_lazy("Near and free then, but not yet vetted or trained: %(names)s.")
NEEDS_TEXT = {"vet": gettext_lazy("background check"), "train": gettext_lazy("training")}


@dataclass
class Plan:
    problem: solver.Problem
    shifts: dict[int, Shift]
    people: dict[int, Person]
    held: int = 0  # slots of its shifts held by people the run does not plan (counted filled)


Place = Unit | Region


def _under(place: Place, to_unit: str) -> Q:
    """Records placed under the place: a unit's subtree, or a region's (also for an education
    bureau, whose area is its region)."""
    if isinstance(place, Region):
        return Q(**{f"{to_unit}__region__path__startswith": place.path})
    if place.kind == Unit.Kind.EDUCATION:
        return Q(**{f"{to_unit}__region__path__startswith": place.region.path})
    return Q(**{f"{to_unit}__path__startswith": place.path})


def _region_of(place: Place) -> Region:
    return place if isinstance(place, Region) else place.region


def _shifts(actor: Any, place: Place, start: dt.date, end: dt.date) -> QuerySet[Shift]:
    qs: QuerySet[Shift] = Shift.objects.filter(
        _under(place, "post__school__unit"),
        day__gte=start,
        day__lte=end,
        cancelled_at__isnull=True,
        post__in=Post.objects.live(),
    )
    if actor is not None:
        qs = access.filter(actor, "write", qs)
    return qs.select_related("post", "post__school", "post__school__unit__region")


def _pool(actor: Any, place: Place) -> QuerySet[Person]:
    """Who may be rostered: live members under the place; for a school, its station's too."""
    where = _under(place, "unit")
    if isinstance(place, Unit) and place.kind == Unit.Kind.SCHOOL and place.parent_id:
        where |= Q(unit_id=place.parent_id)
    qs = Person.objects.filter(where, voided_at__isnull=True)
    if actor is not None:
        qs = access.filter(actor, "read", qs)
    return qs.select_related("unit", "unit__region", "child_school").prefetch_related(
        "availability", "availability_exceptions"
    )


def build_plan(
    *,
    actor: Any,
    place: Place,
    start: dt.date,
    end: dt.date,
    seed: int = 0,
    time_limit_s: float | None = None,
) -> Plan:
    rules = rulesets.nearest(CityRules, _region_of(place))
    shifts = {s.pk: s for s in _shifts(actor, place, start, end)}
    people = {p.pk: p for p in _pool(actor, place)}
    schools = {
        s.unit_id: s
        for s in School.objects.filter(unit_id__in={p.unit_id for p in people.values()})
    }
    last_week = (start - dt.timedelta(days=7), start - dt.timedelta(days=1))
    recent: dict[int, set[int]] = defaultdict(set)
    for person_id, post_id in Assignment.objects.filter(
        person_id__in=people,
        dropped_at__isnull=True,
        shift__day__gte=last_week[0],
        shift__day__lte=last_week[1],
    ).values_list("person_id", "shift__post_id"):
        recent[person_id].add(post_id)

    # The planned roster of the run's dates, by the dates only and kept to its shifts and pool
    # in Python (two long IN lists in one query make SQLite's planner scan for seconds).
    rows = list(
        Assignment.objects.planned()
        .filter(shift__day__gte=start, shift__day__lte=end)
        .values_list(
            "person_id",
            "shift_id",
            "group",
            "locked",
            "source",
            "shift__day",
            "shift__starts_at",
            "shift__ends_at",
        )
    )
    # What the run does not plan stays as it is: a slot held by someone outside its pool (an
    # officer a station rostered, seen by a school's lead) is not the run's to fill, and a
    # member's shifts elsewhere count against their weekly cap and their time.
    held: dict[tuple[int, str], int] = defaultdict(int)
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    elsewhere: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
    for who, shift_id, group, _locked, _source, day, starts, ends in rows:
        if shift_id in shifts and who not in people:
            held[(shift_id, group)] += 1
        elif who in people and shift_id not in shifts:
            busy[who].append((starts, ends))
            iso = day.isocalendar()
            elsewhere[(who, (iso[0], iso[1]))] += 1
    taken_elsewhere: dict[int, int] = defaultdict(int)
    for (who, _week), n in elsewhere.items():
        taken_elsewhere[who] = max(taken_elsewhere[who], n)

    members = []
    availability: dict[int, frozenset[int]] = {}
    reach = _Reach(shifts)
    # Vetting and training are judged on each shift's day (rules.ineligibility_on): the solver's
    # flags say "on some day of the run", and the days a member may not stand are left out of
    # their availability, so the solvers and the checker need no dates. A member who may stand
    # on no day of the run keeps the shifts they would be free for: no solver places them (the
    # flags), and the explanations name them as people near a slot who need vetting or training.
    days = {s.day for s in shifts.values()}
    last_day = max(days, default=end)
    for person in people.values():
        home = schools.get(person.unit_id) or person.child_school
        candidates = reach.schools_for(person, home)
        anchor = home or (reach.school(candidates[0]) if candidates else None)
        free = availability_check(person.availability.all(), person.availability_exceptions.all())
        group = person.force_group
        may_stand = {day for day in days if ineligibility_on(person, day) is None}
        availability[person.pk] = frozenset(
            s.pk
            for school_id in candidates
            for s in reach.shifts_at[school_id, group]
            if free(s)
            and (s.day in may_stand or not may_stand)
            and not any(b < s.ends_at and s.starts_at < e for b, e in busy.get(person.pk, ()))
        )
        members.append(
            solver.Member(
                id=person.pk,
                group=group,
                vetted=vetted_by(person, last_day),
                trained=trained_by(person, last_day),
                home_school=home.pk if home else None,
                lat=float(anchor.latitude) if anchor else 0.0,
                lng=float(anchor.longitude) if anchor else 0.0,
                weekly_cap=max(0, rules.shifts_per_member_week - taken_elsewhere[person.pk]),
                family=person.family_id,
                recent_posts=frozenset(recent.get(person.pk, ())),
            )
        )
    family_caps = _family_caps(people, shifts, rules.shifts_per_family_term, start, end)
    _bar_dropped(availability, shifts, start, end)
    planned = [
        (who, shift_id, group, locked or source not in SOLVER_MANAGED)
        for who, shift_id, group, locked, source, *_when in rows
        if who in people and shift_id in shifts
    ]
    locked = [(person, shift, group) for person, shift, group, kept in planned if kept]
    locks = frozenset((person, shift) for person, shift, _g in locked)
    signups = _pinned_signups(people, shifts, start, end, locked, held)
    problem = solver.Problem(
        members=tuple(sorted(members, key=lambda m: m.id)),
        shifts=tuple(
            solver.Shift(
                id=s.pk,
                post=s.post_id,
                school=s.post.school_id,
                lat=float(s.post.latitude),
                lng=float(s.post.longitude),
                day=s.day,
                start=solver.minutes(s.start),
                end=solver.minutes(s.end),
                requirements={
                    g: int(n) - held[(s.pk, g)]
                    for g, n in s.requirements.items()
                    if int(n) - held[(s.pk, g)] > 0
                },
            )
            for s in sorted(shifts.values(), key=lambda s: s.pk)
        ),
        availability=availability,
        family_caps=family_caps,
        signups=signups,
        locks=locks,
        current=frozenset((person, shift) for person, shift, _g, _k in planned),
        seed=seed,
        time_limit_s=float(time_limit_s or rules.solver_time_limit_s),
    )
    return Plan(
        problem=problem,
        shifts=shifts,
        people=people,
        held=sum(
            min(int(n), held[(s.pk, g)]) for s in shifts.values() for g, n in s.requirements.items()
        ),
    )


# Rows a solve may take back: its own picks and the sign-ups it placed. Every other row was put
# there by a person (a lead by hand, an approved swap, a called-out substitute) and is kept.
SOLVER_MANAGED = frozenset({Assignment.Source.SOLVER, Assignment.Source.SIGNUP})
RESOLVED = "re-solved"  # drop_reason of a row a later solve no longer chose
INVALID = "breaks a rule"  # drop_reason of a kept row a solve asked to drop invalid pins left out


def _bar_dropped(
    availability: dict[int, frozenset[int]], shifts: dict[int, Shift], start: dt.date, end: dt.date
) -> None:
    """A member taken off a shift (by a lead, a swap, their own withdrawal) is not put back on
    it, nor on another shift at the same time, by a solve of that week."""
    dropped: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for person, starts, ends in (
        Assignment.objects.filter(
            shift__day__gte=start, shift__day__lte=end, dropped_at__isnull=False
        )
        .exclude(drop_reason__in=[RESOLVED, INVALID])
        .values_list("person_id", "shift__starts_at", "shift__ends_at")
    ):
        if person in availability:
            dropped[person].append((starts, ends))
    for person, spans in dropped.items():
        availability[person] = frozenset(
            pk
            for pk in availability[person]
            if not any(s < shifts[pk].ends_at and shifts[pk].starts_at < e for s, e in spans)
        )


def _pinned_signups(
    people: dict[int, Person],
    shifts: dict[int, Shift],
    start: dt.date,
    end: dt.date,
    locked: list[tuple[int, int, str]],
    held: dict[tuple[int, str], int],
) -> frozenset[tuple[int, int]]:
    """The sign-ups a solve must place: those still asked for (pending or accepted, not a
    reserve), first come first placed, while the slot of their force group has room beside the
    locked rows. The rest are left to the solver like anyone available."""
    room: dict[tuple[int, str], int] = {
        (s.pk, g): int(n) - held[(s.pk, g)]
        for s in shifts.values()
        for g, n in s.requirements.items()
    }
    for _person, shift, group in locked:
        room[(shift, group)] = room.get((shift, group), 0) - 1
    locks = {(person, shift) for person, shift, _g in locked}
    pinned = set()
    for person, shift in (
        SignUp.objects.filter(
            shift__day__gte=start,
            shift__day__lte=end,
            withdrawn_at__isnull=True,
            reserve=False,
            status__in=[SignUp.Status.PENDING, SignUp.Status.ACCEPTED],
        )
        .order_by("created_at", "pk")
        .values_list("person_id", "shift_id")
    ):
        if person not in people or shift not in shifts or (person, shift) in locks:
            continue
        key = (shift, people[person].force_group)
        if room.get(key, 0) > 0:
            room[key] -= 1
            pinned.add((person, shift))
    return frozenset(pinned)


NEAR_KM = 2.0  # community volunteers also help at schools this close to theirs
# Parents, teachers and school security staff stand at their own school's gates.
OWN_SCHOOL_ONLY = frozenset({ForceType.PARENT, ForceType.STAFF, ForceType.SCHOOL_SECURITY})


class _Reach:
    """Which schools' shifts a member could be sent to: near their school, their station's
    schools, or their unit's district. Limits the candidate pairs the solver has to weigh."""

    def __init__(self, shifts: dict[int, Shift]) -> None:
        self.shifts_at: dict[tuple[int, str], list[Shift]] = defaultdict(list)  # (school, group)
        self._schools: dict[int, School] = {}
        for shift in sorted(shifts.values(), key=lambda s: s.pk):
            for group, needed in shift.requirements.items():
                if int(needed) > 0:
                    self.shifts_at[shift.post.school_id, group].append(shift)
            self._schools[shift.post.school_id] = shift.post.school
        self._near: dict[int, list[int]] = {}

    def school(self, pk: int) -> School:
        return self._schools[pk]

    def schools_for(self, person: Person, home: School | None) -> list[int]:
        if home is not None and person.force_type in OWN_SCHOOL_ONLY:
            return [home.pk] if home.pk in self._schools else []
        if home is not None:
            if home.pk not in self._near:
                lat, lng = float(home.latitude), float(home.longitude)
                self._near[home.pk] = sorted(
                    pk
                    for pk, school in self._schools.items()
                    if km(lat, lng, float(school.latitude), float(school.longitude)) <= NEAR_KM
                )
            return self._near[home.pk]
        if person.unit.kind == Unit.Kind.STATION:
            return sorted(
                pk for pk, school in self._schools.items() if school.station_id == person.unit_id
            )
        area = person.unit.region.path
        return sorted(
            pk for pk, school in self._schools.items() if school.unit.region.path.startswith(area)
        )


def _family_caps(
    people: dict[int, Person], shifts: dict[int, Shift], cap: int, start: dt.date, end: dt.date
) -> dict[int, int]:
    """What each family may still take this term, beyond what it took outside this run's dates."""
    families = {p.family_id for p in people.values() if p.family_id}
    if not families or not shifts:
        return {}
    term = term_bounds(next(iter(shifts.values())))
    if term is None:
        return {f: cap for f in families}
    taken: dict[int, int] = defaultdict(int)
    outside = Assignment.objects.filter(
        person__family_id__in=families,
        dropped_at__isnull=True,
        shift__day__gte=term[0],
        shift__day__lte=term[1],
    ).exclude(shift__day__gte=start, shift__day__lte=end)
    for family_id in outside.values_list("person__family_id", flat=True):
        taken[family_id] += 1
    return {f: max(0, cap - taken[f]) for f in families}


def explain_text(
    item: dict[str, Any],
    *,
    station: str = "",
    company: str = "",
    names: Mapping[int, str] | None = None,
) -> tuple[str, str]:
    """Why a slot of a run stayed empty, and what would fill it, in the reader's language.

    ``item`` is one of ``RosterRun.unfilled``. The advice fits the slot's force group; the
    school's police station, its security company and the (masked) names of the members the
    explanation points to are named where the caller read them (``names``: member id → name)."""
    reason = str(REASON_TEXT.get(item["reason"], item.get("message", "")))
    group = item.get("group", "")
    params = {
        "count": item["missing"],
        "school": item.get("school_name", ""),
        "station": station,
        "company": company,
    }
    if group in GROUP_ADVICE:
        named = {"police": station, "guard": company}.get(group, params["school"])
        text = GROUP_ADVICE[group] if named else GROUP_ADVICE_UNNAMED.get(group)
        return reason, str(text or GROUP_ADVICE[group]) % params
    suggestion = SUGGESTION_TEXT.get(item.get("suggestion") or "")
    if suggestion is None:
        return reason, item.get("suggestion_text", "")
    advice = [str(suggestion) % params]
    found = item.get("params") or {}
    if names:
        capped = [
            _("%(name)s (%(km)s km)") % {"name": names[m], "km": dist}
            for m, dist, *_rest in found.get("capped", ())
            if m in names
        ]
        if capped:
            advice.append(str(CAPPED_TEXT) % {"names": _(", ").join(capped)})
        unready = [
            _("%(name)s (%(km)s km, %(needs)s)")
            % {"name": names[m], "km": dist, "needs": NEEDS_TEXT.get(needs, "")}
            for m, dist, needs in found.get("unready", ())
            if m in names and dist <= NEAR_KM
        ]
        if unready:
            advice.append(str(UNREADY_TEXT) % {"names": _(", ").join(unready)})
    return reason, " ".join(advice)


@transaction.atomic
def roster_solve(
    *,
    actor: Any,
    place: Place,
    start: dt.date,
    end: dt.date,
    seed: int = 0,
    time_limit_s: float | None = None,
    progress: solver.Progress | None = None,
    drop_invalid_pins: bool = False,
) -> RosterRun:
    """Solve, check, and save the result as the planned roster; members see it only once the
    week is published (``roster_publish``). A re-solve keeps every pair it can (``Problem.current``
    costs nothing to keep), takes back only solver-managed rows it no longer chose, and keeps
    every row a person put there. Sign-ups it placed are accepted.

    ``progress`` is told how the solve goes (see ``huxue.roster.solver.solve.Progress``).
    Sign-ups and kept rows that break a rule on their shift's day raise PinsRejected, which
    names each (a ValidationError); ``drop_invalid_pins`` solves without them instead."""
    if end < start:
        raise ValidationError(_("The end date is before the start date."))
    plan = build_plan(
        actor=actor, place=place, start=start, end=end, seed=seed, time_limit_s=time_limit_s
    )
    kept_before = plan.problem.locks
    plan = pins_checked(plan, drop=drop_invalid_pins)
    invalid_kept = kept_before - plan.problem.locks  # left out when asked: taken off the plan
    result = solver.solve(plan.problem, progress=progress)
    violations = solver.check(plan.problem, result.assignments)
    if violations:  # never save a roster that breaks a hard rule
        raise ValidationError(
            _("The roster failed its check and was not saved: %(first)s")
            % {"first": violations[0].message}
        )
    run = RosterRun.objects.create(
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        unit=place if isinstance(place, Unit) else None,
        region=_region_of(place),
        start=start,
        end=end,
        seed=seed,
        slots=result.slots + plan.held,
        filled=result.covered + plan.held,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        optimal=result.optimal,
        wall_s=result.wall_s,
        unfilled=[
            {
                "shift": u.shift,
                "group": u.group,
                "missing": u.missing,
                "reason": u.reason,
                "message": u.message,
                "suggestion": u.suggestion,
                "suggestion_text": u.suggestion_text,
                "school_name": plan.shifts[u.shift].post.school.unit.name,
                "params": dict(u.params),
            }
            for u in result.unfilled
        ],
    )
    chosen = {(a.member, a.shift) for a in result.assignments}
    now = timezone.now()
    taken_back = [
        pk
        for pk, person, shift in Assignment.objects.planned()
        .filter(shift_id__in=plan.shifts, locked=False, source__in=SOLVER_MANAGED)
        .values_list("pk", "person_id", "shift_id")
        if person in plan.people and (person, shift) not in chosen  # others' people stay
    ]
    Assignment.objects.filter(pk__in=taken_back).update(
        dropped_at=now, drop_reason=RESOLVED, updated_at=now
    )
    broken = [
        pk
        for pk, person, shift in Assignment.objects.planned()
        .filter(shift_id__in=plan.shifts)
        .values_list("pk", "person_id", "shift_id")
        if (person, shift) in invalid_kept
    ]
    Assignment.objects.filter(pk__in=broken).update(
        dropped_at=now, drop_reason=INVALID, updated_at=now
    )
    keep = set(
        Assignment.objects.planned()
        .filter(shift_id__in=plan.shifts)
        .values_list("person_id", "shift_id")
    )
    signed_up = {
        (person, shift): pk
        for pk, person, shift in SignUp.objects.filter(
            shift_id__in=plan.shifts, withdrawn_at__isnull=True, status=SignUp.Status.PENDING
        ).values_list("pk", "person_id", "shift_id")
    }
    Assignment.objects.bulk_create(
        [
            Assignment(
                shift_id=a.shift,
                person_id=a.member,
                group=a.group,
                run=run,
                source=Assignment.Source.SIGNUP
                if (a.member, a.shift) in signed_up
                else Assignment.Source.SOLVER,
            )
            for a in result.assignments
            if (a.member, a.shift) not in keep
        ]
    )
    SignUp.objects.filter(pk__in=[pk for pair, pk in signed_up.items() if pair in chosen]).update(
        status=SignUp.Status.ACCEPTED, decided_at=now, updated_at=now
    )
    audit.record(
        action="roster.solve",
        actor=actor,
        obj=run,
        detail={"slots": run.slots, "filled": run.filled, "gap": run.gap, "optimal": run.optimal},
    )
    return run


def reminder_prefix(shift_id: int, person_id: int) -> str:
    """Reminder keys end in the assignment's id, so a member taken off a shift and put back
    later is reminded again; cancelling goes by this prefix."""
    return f"reminder:shift:{shift_id}:person:{person_id}:"


def reminder_enqueue(a: Assignment, *, minutes_before: int | None = None) -> None:
    """Queue the reminder before a member's shift (once per assignment: see reminder_prefix)."""
    if a.person.user is None or a.shift.starts_at <= timezone.now():
        return
    if minutes_before is None:
        minutes_before = rulesets.nearest(
            CityRules, a.shift.post.school.unit.region
        ).reminder_minutes_before
    notify_enqueue(
        dedupe_key=reminder_prefix(a.shift_id, a.person_id) + f"assignment:{a.pk}",
        kind="shift.reminder",
        user=a.person.user,
        subject=_("Guard duty reminder"),
        body=_("%(when)s at %(post)s.")
        % {
            "when": timezone.localtime(a.shift.starts_at).strftime("%m-%d %H:%M"),
            "post": a.shift.post,
        },
        due_at=a.shift.starts_at - dt.timedelta(minutes=minutes_before),
        payload={"shift": a.shift_id},
    )


@dataclass(frozen=True)
class Move:
    person: Person
    was: Assignment  # published, taken off
    now: Assignment  # planned instead, the same day


@dataclass(frozen=True)
class WeekChanges:
    """What publishing a school's week would change for its members: the planned roster
    against the published one, by (member, shift)."""

    added: list[Assignment]  # planned, not yet published
    removed: list[Assignment]  # published, no longer planned
    moved: list[Move]  # one member off one shift and on another the same day
    filled_before: int  # slots filled in the published roster
    filled_after: int  # in the planned roster
    needed: int
    signups_declined: list[SignUp]  # asked for, not placed: declined on publishing

    @property
    def count(self) -> int:
        """Changes as a lead counts them: a move is one."""
        return len(self.added) + len(self.removed) + len(self.moved)


def _filled(rows: list[Assignment], shifts: dict[int, Shift]) -> int:
    have: dict[tuple[int, str], int] = defaultdict(int)
    for a in rows:
        have[(a.shift_id, a.group)] += 1
    return sum(
        min(int(n), have[(pk, g)]) for pk, s in shifts.items() for g, n in s.requirements.items()
    )


def week_changes(*, school: School, start: dt.date, end: dt.date) -> WeekChanges:
    """The planned roster of a school's dates against its published roster, in 4 queries."""
    shifts = {
        s.pk: s
        for s in Shift.objects.filter(
            post__school=school, day__gte=start, day__lte=end, cancelled_at__isnull=True
        ).select_related("post", "post__school__unit")
    }
    rows = list(
        Assignment.objects.filter(shift_id__in=shifts)
        .filter(Q(dropped_at__isnull=True) | Q(published=True))
        .select_related("person__user")
        .order_by("shift__starts_at", "group", "person__name", "pk")
    )
    for a in rows:
        a.shift = shifts[a.shift_id]
    planned = [a for a in rows if a.dropped_at is None]
    published = [a for a in rows if a.published]
    planned_pairs = {(a.person_id, a.shift_id) for a in planned}
    published_pairs = {(a.person_id, a.shift_id) for a in published}
    added = [a for a in planned if (a.person_id, a.shift_id) not in published_pairs]
    removed = [a for a in published if (a.person_id, a.shift_id) not in planned_pairs]
    moved = []
    for was in list(removed):
        now = next(
            (
                a
                for a in added
                if a.person_id == was.person_id and shifts[a.shift_id].day == was.shift.day
            ),
            None,
        )
        if now is not None:
            moved.append(Move(person=was.person, was=was, now=now))
            removed.remove(was)
            added.remove(now)
    declined = [
        signup
        for signup in SignUp.objects.filter(
            shift_id__in=shifts,
            withdrawn_at__isnull=True,
            status=SignUp.Status.PENDING,
            reserve=False,
        ).select_related("person__user")
        if (signup.person_id, signup.shift_id) not in planned_pairs
    ]
    for signup in declined:
        signup.shift = shifts[signup.shift_id]
    return WeekChanges(
        added=added,
        removed=removed,
        moved=moved,
        filled_before=_filled(published, shifts),
        filled_after=_filled(planned, shifts),
        needed=sum(int(n) for s in shifts.values() for n in s.requirements.values()),
        signups_declined=declined,
    )


def _tell_member(person: Person, *, key: str, subject: str, body: str, shift_id: int) -> None:
    if person.user is not None:
        notify_enqueue(
            dedupe_key=key,
            kind="roster.changed",
            user=person.user,
            subject=subject,
            body=body,
            payload={"shift": shift_id},
        )


def _when_where(a: Assignment | SignUp) -> dict[str, Any]:
    return {
        "when": timezone.localtime(a.shift.starts_at).strftime("%m-%d %H:%M"),
        "post": a.shift.post,
    }


@transaction.atomic
def roster_publish(*, actor: Any, school: School, start: dt.date, end: dt.date) -> RosterVersion:
    """Publish a school's planned roster for the dates as a new version: members see it from now
    on, and only those whose shifts changed are told (added, moved, taken off); pending
    sign-ups it does not place are declined, with a notice. Nothing to publish is refused."""
    School.objects.select_for_update().filter(pk=school.pk).first()  # one publisher at a time
    changes = week_changes(school=school, start=start, end=end)
    previous = RosterVersion.objects.filter(school=school, start=start).order_by("-version").first()
    if previous is not None and not changes.count and not changes.signups_declined:
        raise ValidationError(
            _("Nothing has changed since version %(version)d was published.")
            % {"version": previous.version},
            code="unchanged",
        )
    in_dates = Assignment.objects.filter(
        shift__post__school=school,
        shift__day__gte=start,
        shift__day__lte=end,
        shift__cancelled_at__isnull=True,
    )
    now = timezone.now()
    in_dates.planned().filter(published=False).update(published=True, updated_at=now)
    in_dates.filter(dropped_at__isnull=False, published=True).update(
        published=False, updated_at=now
    )
    live = list(
        in_dates.published().select_related("shift", "shift__post", "person", "person__user")
    )
    version = RosterVersion.objects.create(
        school=school,
        start=start,
        end=end,
        version=(previous.version + 1 if previous else 1),
        published_at=now,
        published_by=actor if getattr(actor, "is_authenticated", False) else None,
        snapshot=sorted([a.shift_id, a.person_id, a.group] for a in live),
    )
    rules = rulesets.nearest(CityRules, school.unit.region)
    for a in live:  # a reminder per assignment: queued once (see reminder_prefix)
        reminder_enqueue(a, minutes_before=rules.reminder_minutes_before)
    key = f"roster.changed:version:{version.pk}:person:"
    subject = _("Your roster has changed")
    for a in changes.added:
        _tell_member(
            a.person,
            key=f"{key}{a.person_id}:shift:{a.shift_id}",
            subject=_("You have a new shift"),
            body=_("You are rostered %(when)s at %(post)s.") % _when_where(a),
            shift_id=a.shift_id,
        )
    for move in changes.moved:
        notify_cancel(key_prefix=reminder_prefix(move.was.shift_id, move.person.pk))
        _tell_member(
            move.person,
            key=f"{key}{move.person.pk}:moved:{move.was.shift_id}:{move.now.shift_id}",
            subject=subject,
            body=_("Your shift %(was_when)s at %(was_post)s is now %(when)s at %(post)s.")
            % {
                **_when_where(move.now),
                "was_when": _when_where(move.was)["when"],
                "was_post": move.was.shift.post,
            },
            shift_id=move.now.shift_id,
        )
    for a in changes.removed:
        notify_cancel(key_prefix=reminder_prefix(a.shift_id, a.person_id))
        _tell_member(
            a.person,
            key=f"{key}{a.person_id}:removed:{a.shift_id}",
            subject=subject,
            body=_("You are no longer rostered %(when)s at %(post)s.") % _when_where(a),
            shift_id=a.shift_id,
        )
    declined = [s.pk for s in changes.signups_declined]
    SignUp.objects.filter(pk__in=declined).update(
        status=SignUp.Status.DECLINED, decided_at=now, updated_at=now
    )
    for signup in changes.signups_declined:
        _tell_member(
            signup.person,
            key=f"signup:{signup.pk}:declined",
            subject=_("Your sign-up was not needed this time"),
            body=_(
                "The roster for %(when)s at %(post)s is full without you this time. Thank you "
                "for offering!"
            )
            % _when_where(signup),
            shift_id=signup.shift_id,
        )
    audit.record(
        action="roster.publish",
        actor=actor,
        obj=version,
        detail={
            "version": version.version,
            "assignments": len(live),
            "added": len(changes.added),
            "moved": len(changes.moved),
            "removed": len(changes.removed),
            "signups_declined": len(declined),
        },
    )
    return version
