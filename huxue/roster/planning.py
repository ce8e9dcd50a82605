"""The solver meets the database: build a Problem from records, save a checked roster, publish.

Reads go through orgs.access (a run covers what its actor may write); the solver itself never
sees the ORM. Every roster is validated by the independent checker before it is saved.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
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
from huxue.roster.rules import availability_check, term_bounds
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
SUGGESTION_TEXT = {
    "recruit": gettext_lazy("Recruit %(count)s more members of this group near %(school)s."),
    "vet": gettext_lazy("Complete the background checks of %(count)s members near %(school)s."),
    "train": gettext_lazy("Train %(count)s vetted members near %(school)s."),
    "raise_cap": gettext_lazy(
        "Recruit %(count)s more members near %(school)s, or raise the weekly cap."
    ),
}


@dataclass
class Plan:
    problem: solver.Problem
    shifts: dict[int, Shift]
    people: dict[int, Person]


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

    members = []
    availability: dict[int, frozenset[int]] = {}
    reach = _Reach(shifts)
    for person in people.values():
        home = schools.get(person.unit_id) or person.child_school
        candidates = reach.schools_for(person, home)
        anchor = home or (reach.school(candidates[0]) if candidates else None)
        free = availability_check(person.availability.all(), person.availability_exceptions.all())
        group = person.force_group
        availability[person.pk] = frozenset(
            s.pk for school_id in candidates for s in reach.shifts_at[school_id, group] if free(s)
        )
        members.append(
            solver.Member(
                id=person.pk,
                group=group,
                vetted=person.vetting_status == Person.Vetting.PASSED,
                trained=person.training_status == Person.Training.TRAINED,
                home_school=home.pk if home else None,
                lat=float(anchor.latitude) if anchor else 0.0,
                lng=float(anchor.longitude) if anchor else 0.0,
                weekly_cap=rules.shifts_per_member_week,
                family=person.family_id,
                recent_posts=frozenset(recent.get(person.pk, ())),
            )
        )
    family_caps = _family_caps(people, shifts, rules.shifts_per_family_term, start, end)
    # By the run's dates, then kept to its shifts and pool in Python: two long IN lists in one
    # query make SQLite's planner scan for seconds.
    signups = frozenset(
        (person, shift)
        for person, shift in SignUp.objects.filter(
            shift__day__gte=start, shift__day__lte=end, withdrawn_at__isnull=True
        ).values_list("person_id", "shift_id")
        if person in people and shift in shifts
    )
    locks = frozenset(
        (person, shift)
        for person, shift in Assignment.objects.filter(
            shift__day__gte=start, shift__day__lte=end, dropped_at__isnull=True, locked=True
        ).values_list("person_id", "shift_id")
        if person in people and shift in shifts
    )
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
                requirements={g: int(n) for g, n in s.requirements.items() if int(n) > 0},
            )
            for s in sorted(shifts.values(), key=lambda s: s.pk)
        ),
        availability=availability,
        family_caps=family_caps,
        signups=signups,
        locks=locks,
        seed=seed,
        time_limit_s=float(time_limit_s or rules.solver_time_limit_s),
    )
    return Plan(problem=problem, shifts=shifts, people=people)


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


def explain_text(item: dict[str, Any]) -> tuple[str, str]:
    reason = str(REASON_TEXT.get(item["reason"], item.get("message", "")))
    suggestion = SUGGESTION_TEXT.get(item["suggestion"])
    params = {"count": item["missing"], "school": item.get("school_name", "")}
    return reason, (str(suggestion) % params if suggestion else item.get("suggestion_text", ""))


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
) -> RosterRun:
    """Solve, check, and save a draft: solver picks replace earlier unpublished solver picks.

    ``progress`` is told how the solve goes (see ``huxue.roster.solver.solve.Progress``)."""
    if end < start:
        raise ValidationError(_("The end date is before the start date."))
    plan = build_plan(
        actor=actor, place=place, start=start, end=end, seed=seed, time_limit_s=time_limit_s
    )
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
        slots=result.slots,
        filled=result.covered,
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
    Assignment.objects.filter(
        shift_id__in=plan.shifts,
        source=Assignment.Source.SOLVER,
        locked=False,
        dropped_at__isnull=True,
    ).update(dropped_at=timezone.now(), drop_reason="re-solved")
    keep = set(
        Assignment.objects.filter(shift_id__in=plan.shifts, dropped_at__isnull=True).values_list(
            "person_id", "shift_id"
        )
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                shift_id=a.shift,
                person_id=a.member,
                group=a.group,
                run=run,
                source=Assignment.Source.SIGNUP
                if (a.member, a.shift) in plan.problem.signups
                else Assignment.Source.SOLVER,
            )
            for a in result.assignments
            if (a.member, a.shift) not in keep
        ]
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


def is_published(shift: Shift) -> bool:
    """Whether the shift's school has published a roster covering its day."""
    return RosterVersion.objects.filter(
        school_id=shift.post.school_id, start__lte=shift.day, end__gte=shift.day
    ).exists()


@transaction.atomic
def roster_publish(*, actor: Any, school: School, start: dt.date, end: dt.date) -> RosterVersion:
    """Publish a school's roster for the dates as a new version; tell the members it touches."""
    live = list(
        Assignment.objects.filter(
            shift__post__school=school,
            shift__day__gte=start,
            shift__day__lte=end,
            shift__cancelled_at__isnull=True,
            dropped_at__isnull=True,
        ).select_related("shift", "shift__post", "person", "person__user")
    )
    snapshot = sorted([a.shift_id, a.person_id, a.group] for a in live)
    previous = RosterVersion.objects.filter(school=school, start=start).order_by("-version").first()
    before = {(s, p) for s, p, _g in (previous.snapshot if previous else [])}
    now_pairs = {(s, p) for s, p, _g in snapshot}
    version = RosterVersion.objects.create(
        school=school,
        start=start,
        end=end,
        version=(previous.version + 1 if previous else 1),
        published_at=timezone.now(),
        published_by=actor if getattr(actor, "is_authenticated", False) else None,
        snapshot=snapshot,
    )
    rules = rulesets.nearest(CityRules, school.unit.region)
    for a in live:
        if a.person.user is None:
            continue
        reminder_enqueue(a, minutes_before=rules.reminder_minutes_before)
        if previous is not None and (a.shift_id, a.person_id) not in before:
            notify_enqueue(
                dedupe_key=f"roster.changed:version:{version.pk}:person:{a.person_id}:shift:{a.shift_id}",
                kind="roster.changed",
                user=a.person.user,
                subject=_("Your roster has changed"),
                body=_("You now have a shift %(when)s at %(post)s.")
                % {
                    "when": timezone.localtime(a.shift.starts_at).strftime("%m-%d %H:%M"),
                    "post": a.shift.post,
                },
                payload={"shift": a.shift_id, "version": version.version},
            )
    removed = before - now_pairs
    for shift_id, person_id in sorted(removed):
        notify_cancel(key_prefix=reminder_prefix(shift_id, person_id))
        person = Person.objects.filter(pk=person_id).select_related("user").first()
        if person is not None and person.user is not None:
            notify_enqueue(
                dedupe_key=f"roster.changed:version:{version.pk}:person:{person_id}:removed:{shift_id}",
                kind="roster.changed",
                user=person.user,
                subject=_("Your roster has changed"),
                body=_(
                    "You are no longer rostered for one of your shifts; please check your shifts."
                ),
                payload={"shift": shift_id, "version": version.version, "removed": True},
            )
    audit.record(
        action="roster.publish",
        actor=actor,
        obj=version,
        detail={
            "version": version.version,
            "assignments": len(snapshot),
            "added": len(now_pairs - before),
            "removed": len(removed),
        },
    )
    return version
