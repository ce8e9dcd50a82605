"""Judging one check-in against a city's duty rules, without reading or writing anything.

``judge`` is a pure function of its inputs (no ORM), so the rules are tested directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from huxue.duty.models import DutyRules

# A phone clock this far behind the server is a check-in that waited in an offline queue.
DELAY_TOLERANCE = dt.timedelta(minutes=2)

# A check-out this soon after the check-in is flagged for the lead: a person-time of a few
# minutes is more likely a mistaken tap, or a check-in made only to be counted, than duty done.
SHORT_DUTY = dt.timedelta(minutes=5)


def radius_m(rules: DutyRules, post_radius_m: int) -> int:
    return rules.geofence_m or post_radius_m


def is_outside(distance: float, accuracy: float | None, radius: int) -> bool:
    """Outside when even the best case the fix's accuracy allows is beyond the radius; a fix
    vaguer than the radius itself earns no more benefit of the doubt than the radius."""
    slack = min(max(accuracy or 0.0, 0.0), float(radius))
    return distance - slack > radius


def is_short_duty(checked_in: dt.datetime, checked_out: dt.datetime) -> bool:
    """Whether a check-out came less than ``SHORT_DUTY`` after its check-in."""
    return checked_out - checked_in < SHORT_DUTY


def effective_time(now: dt.datetime, device_at: dt.datetime | None) -> tuple[dt.datetime, bool]:
    """When the act happened, and whether it was sent later: the phone's time when it is clearly
    behind the server's (an offline queue), otherwise the server's."""
    if device_at is not None and now - device_at > DELAY_TOLERANCE:
        return device_at, True
    return now, False


@dataclass(frozen=True)
class Window:
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class Verdict:
    refused: str  # a reason code, "" when accepted
    late: bool = False
    outside: bool = False
    walkin: bool = False
    delayed: bool = False
    distance: float | None = None


def judge(
    *,
    rules: DutyRules,
    window: Window,
    at: dt.datetime,
    now: dt.datetime,
    delayed: bool,
    rostered: bool,
    distance: float | None,
    accuracy: float | None,
    radius: int,
) -> Verdict:
    """The city's rules applied to one check-in at ``at`` for one window."""
    if delayed and now - at > dt.timedelta(hours=rules.max_delay_hours):
        return Verdict("too_old", delayed=True)
    if at < window.starts_at - dt.timedelta(minutes=rules.early_minutes):
        return Verdict("too_early", delayed=delayed)
    if at > window.ends_at:
        return Verdict("window_over", delayed=delayed)
    outside = distance is not None and is_outside(distance, accuracy, radius)
    if outside and rules.geofence_mode == DutyRules.Mode.REFUSE:
        return Verdict("outside", outside=True, delayed=delayed, distance=distance)
    if not rostered and rules.walkins == DutyRules.Mode.REFUSE:
        return Verdict("not_rostered", walkin=True, delayed=delayed, distance=distance)
    return Verdict(
        "",
        late=at > window.starts_at + dt.timedelta(minutes=rules.late_minutes),
        outside=outside,
        walkin=not rostered,
        delayed=delayed,
        distance=distance,
    )
