"""Rostering in the demo city: school terms, members' weekly availability, and a solved and
published roster for the coming school week (issue 3).

Terms and availability are planned from the seed; the roster week is the week after the day the
demo is built, so a fresh demo always opens on a roster the members can still sign up around.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from huxue.calendar.services import term_create
from huxue.orgs.models import Region, Unit
from huxue.people.forces import ForceType
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.roster.models import Availability, RosterRun
from huxue.roster.planning import roster_publish, roster_solve
from huxue.roster.services import shifts_generate

FIRST_YEAR, LAST_YEAR = 2019, 2026
MORNING = (dt.time(6, 30), dt.time(8, 30))
AFTERNOON = (dt.time(15, 0), dt.time(18, 30))
# How many weekdays each force usually offers: officers and guards are on duty; parents give a
# morning or two, which is what keeps duty voluntary and bounded.
DAYS_OFFERED: dict[str, tuple[int, int]] = {
    ForceType.POLICE: (4, 5),
    ForceType.AUXILIARY: (4, 5),
    ForceType.GUARD: (5, 5),
    ForceType.SCHOOL_SECURITY: (5, 5),
    ForceType.STAFF: (2, 4),
    ForceType.PARENT: (1, 2),
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
        both = force_type not in (ForceType.PARENT, ForceType.COMMUNITY) or rng.random() < 0.3
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
    return RosterOutcome(terms, len(rows), created, run, published)
