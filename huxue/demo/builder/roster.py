"""Rostering in the demo city: school terms, members' weekly availability, and a solved and
published roster for the coming school week (issues 3 and 15).

Terms and availability are planned from the seed; the roster week is the week after the day the
demo is built, so a fresh demo always opens on a roster the members can still sign up around.
The members and their availability are sized so that the week fills as a working programme's
does (some 98% of the slots; the rest explained), with colleagues left free to swap with and
substitutes to call out. After publishing, two leads keep editing: the pilot school's lead and
its station have changes not yet published, as a lead's week looks between two publications.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from huxue.calendar.services import term_create
from huxue.demo import data
from huxue.demo.builder.messages import ask_demo_member
from huxue.orgs.models import Membership, Region, Unit
from huxue.orgs.roles import Role
from huxue.people.forces import ForceGroup, ForceType
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.roster.models import Assignment, Availability, RosterRun
from huxue.roster.planning import roster_publish, roster_solve
from huxue.roster.services import shifts_generate
from huxue.roster.swaps import assignment_add, assignment_drop, candidates_for, rank_substitutes

FIRST_YEAR, LAST_YEAR = 2019, 2026
MORNING = (dt.time(6, 0), dt.time(8, 30))
AFTERNOON = (dt.time(15, 0), dt.time(18, 30))
# How many weekdays each force usually offers: officers and guards are on duty; parents give one
# to three mornings or afternoons (some both), which is what keeps duty voluntary and bounded.
DAYS_OFFERED: dict[str, tuple[int, int]] = {
    ForceType.POLICE: (4, 5),
    ForceType.AUXILIARY: (4, 5),
    ForceType.GUARD: (5, 5),
    ForceType.SCHOOL_SECURITY: (5, 5),
    ForceType.STAFF: (2, 4),
    ForceType.PARENT: (1, 3),
    ForceType.COMMUNITY: (2, 3),
}


@dataclass(frozen=True)
class RosterOutcome:
    terms: int
    availability: int
    shifts: int
    run: RosterRun | None
    published: int
    skipped: str = ""
    drafted: int = 0  # changes the leads made after publishing, not yet published


def term_dates(year: int) -> list[tuple[str, dt.date, dt.date]]:
    return [
        (f"{year - 1}-{year}学年第二学期", dt.date(year, 3, 1), dt.date(year, 7, 10)),
        (f"{year}-{year + 1}学年第一学期", dt.date(year, 9, 1), dt.date(year + 1, 1, 15)),
    ]


def plan_availability(
    seed: int, people: list[tuple[int, str]]
) -> list[tuple[int, int, dt.time, dt.time]]:
    """(person id, weekday, from, until) rows, from the seed and each person's force type."""
    rng = random.Random(f"huxue-demo:{seed}:availability")
    rows = []
    for person_id, force_type in sorted(people):
        low, high = DAYS_OFFERED[force_type]
        days = sorted(rng.sample(range(5), rng.randint(low, high)))
        both = force_type not in (ForceType.PARENT, ForceType.COMMUNITY) or rng.random() < 0.4
        for day in days:
            spans = [MORNING, AFTERNOON] if both else [rng.choice([MORNING, AFTERNOON])]
            # One row per day: a member free morning and afternoon is free in between too.
            start, end = spans[0][0], spans[-1][1]
            rows.append((person_id, day, start, end))
    return rows


def write_roster(
    seed: int, *, city: Region, education: Unit, today: dt.date | None = None
) -> RosterOutcome:
    terms = 0
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        for name, start, end in term_dates(year):
            term_create(actor=None, unit=education, name=name, start=start, end=end, region=city)
            terms += 1
    people = list(Person.objects.filter(voided_at__isnull=True).values_list("pk", "force_type"))
    rows = plan_availability(seed, people)
    Availability.objects.bulk_create(
        [Availability(person_id=p, weekday=d, start=s, end=e) for p, d, s, e in rows],
        batch_size=2000,
    )
    today = today or timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    friday = monday + dt.timedelta(days=4)
    posts = Post.objects.filter(voided_at__isnull=True).prefetch_related("requirements", "windows")
    try:
        created, _existing = shifts_generate(actor=None, posts=posts, start=monday, end=friday)
        run = roster_solve(actor=None, place=city, start=monday, end=friday, seed=seed)
    except ValidationError as exc:  # e.g. a year the holiday calendar does not know yet
        return RosterOutcome(terms, len(rows), 0, None, 0, skipped=" ".join(exc.messages))
    published = 0
    for school in School.objects.filter(voided_at__isnull=True).select_related("unit__region"):
        roster_publish(actor=None, school=school, start=monday, end=friday)
        published += 1
    drafted = _draft_changes(monday)
    return RosterOutcome(terms, len(rows), created, run, published, drafted=drafted)


# Who edits after publishing: (the weekdays they look at, force group, why the member is off).
DRAFTS = {
    Role.SCHOOL_LEAD: ((1, 2, 3, 4), ForceGroup.VOLUNTEER, "家中临时有事，不能到岗"),
    Role.STATION: ((3,), ForceGroup.STAFF, "参加区教育局组织的培训"),
}


def _draft_changes(monday: dt.date) -> int:
    """After publishing, the pilot school's lead takes a parent off a shift, asks the demo member
    to stand in (who cannot come), and puts a colleague free then in their place; the pilot station's officer takes a teacher off Thursday at
    another of its schools and has not found anyone yet. Both go through the leads' own
    services, so the two schools show changes not yet published (the second an open slot too)."""
    made = 0
    pilot = School.objects.filter(unit__name=data.PILOT_SCHOOL).select_related("unit").first()
    if pilot is None:
        return 0
    for role, (weekdays, group, reason) in DRAFTS.items():
        unit = pilot.unit if role == Role.SCHOOL_LEAD else pilot.station
        lead = Membership.objects.filter(role=role, unit=unit).select_related("user").first()
        if lead is None:
            continue
        rows = Assignment.objects.planned().filter(
            shift__day__in=[monday + dt.timedelta(days=d) for d in weekdays],
            group=group,
            person__user__isnull=True,  # not the demo member's own shifts
        )
        if role == Role.SCHOOL_LEAD:
            rows = rows.filter(shift__post__school=pilot)
        else:
            rows = rows.filter(shift__post__school__station=unit).exclude(shift__post__school=pilot)
        for assignment in rows.select_related("shift__post__school__unit").order_by(
            "shift__starts_at", "shift__post_id", "pk"
        ):
            if role != Role.SCHOOL_LEAD:
                assignment_drop(actor=lead.user, assignment=assignment, reason=reason)
                made += 1
                break
            shift = assignment.shift
            free = [
                c
                for c in rank_substitutes(candidates_for(shift=shift, actor=lead.user), group=group)
                if c.person_id != assignment.person_id
            ]
            if free:  # the lead puts the first colleague offered in the parent's place
                assignment_drop(actor=lead.user, assignment=assignment, reason=reason)
                ask_demo_member(lead=lead.user, shift=shift)  # who cannot come (messages.py)
                person = Person.objects.get(pk=free[0].person_id)
                assignment_add(actor=lead.user, shift=shift, person=person)
                made += 2
                break
    return made
