"""The solver's vocabulary: plain frozen dataclasses in, a Result out. No ORM, no Django.

Times are minutes after midnight on the shift's day; a shift ends where the next may start
(half-open: 07:00-08:00 and 08:00-09:00 do not overlap). Group names are the values of
``huxue.people.forces.ForceGroup`` ("police", "guard", "staff", "volunteer").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

POLICE, GUARD, STAFF, VOLUNTEER = "police", "guard", "staff", "volunteer"


def minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


@dataclass(frozen=True)
class Member:
    id: int
    group: str
    vetted: bool
    trained: bool  # required training done and not expired on the shift days
    home_school: int | None
    lat: float
    lng: float
    weekly_cap: int
    family: int | None = None  # parents of the same child share one family cap
    recent_posts: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Shift:
    id: int
    post: int
    school: int
    lat: float
    lng: float
    day: dt.date
    start: int  # minutes after midnight
    end: int
    requirements: Mapping[str, int] = field(default_factory=dict, hash=False)

    def week(self) -> tuple[int, int]:
        iso = self.day.isocalendar()
        return iso.year, iso.week


@dataclass(frozen=True)
class Weights:
    """Soft rules as integer costs. An empty slot costs its group's coverage weight, which must
    stay above any one assignment's cost so covering a slot always pays."""

    coverage: Mapping[str, int] = field(
        default_factory=lambda: {POLICE: 10_000, GUARD: 10_000, STAFF: 4_000, VOLUNTEER: 4_000},
        hash=False,
    )
    distance_per_km: int = 10
    away_from_home_school: int = 30
    spread: int = 10  # the k-th shift of a member in a week costs spread * (k - 1) more
    new_post: int = 20  # a post the member did not stand at recently (continuity)
    # A re-solve: a pair not in the roster being re-solved (``Problem.current``) costs this, so
    # the people already told keep their shifts unless filling an empty slot needs the change.
    change: int = 300

    def penalty(self, group: str) -> int:
        return int(self.coverage.get(group, 1_000))


@dataclass(frozen=True)
class Problem:
    members: tuple[Member, ...]
    shifts: tuple[Shift, ...]
    availability: Mapping[int, frozenset[int]] = field(default_factory=dict, hash=False)
    family_caps: Mapping[int, int] = field(default_factory=dict, hash=False)
    signups: frozenset[tuple[int, int]] = frozenset()  # (member, shift)
    locks: frozenset[tuple[int, int]] = frozenset()  # (member, shift), set by a lead
    # The roster being re-solved, (member, shift): keeping a pair is free, any other costs
    # ``Weights.change``. Empty for a first solve.
    current: frozenset[tuple[int, int]] = frozenset()
    weights: Weights = field(default_factory=Weights)
    seed: int = 0
    time_limit_s: float = 10.0


@dataclass(frozen=True)
class Assignment:
    member: int
    shift: int
    group: str

    def key(self) -> tuple[int, int, str]:
        """Sort by this (a dataclass's generated ordering is slow on 100,000 of them)."""
        return self.member, self.shift, self.group


@dataclass(frozen=True)
class UnfilledSlot:
    shift: int
    group: str
    missing: int
    reason: str  # one of explain.REASONS
    message: str  # English default; the Django layer translates from reason and params
    suggestion: str  # a code: recruit, vet, train, ask_availability, raise_cap
    suggestion_text: str
    # counts and ids, and lists of [member, km, ...] (see explain): JSON as they are
    params: Mapping[str, object] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    member: int | None = None
    shift: int | None = None


@dataclass
class Result:
    assignments: list[Assignment]
    objective: int
    bound: int
    optimal: bool
    wall_s: float
    unfilled: list[UnfilledSlot] = field(default_factory=list)
    slots: int = 0
    stages: list[str] = field(default_factory=list)  # what ran, for the CLI and the bench

    @property
    def gap(self) -> float:
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / self.objective)

    @property
    def covered(self) -> int:
        return self.slots - sum(u.missing for u in self.unfilled)


def km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Distance on the equirectangular projection: within 0.1% of the great circle at a
    province's scale, and a quarter of haversine's cost (it runs once per candidate pair)."""
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371.0 * math.sqrt(x * x + y * y)
