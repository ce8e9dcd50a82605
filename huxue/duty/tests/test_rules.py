"""The duty rules as a pure function: window, lateness, geofence with accuracy, walk-ins, delay."""

from __future__ import annotations

import datetime as dt

import pytest

from huxue.core.geo import distance_m, offset
from huxue.duty.checkin.rules import Window, effective_time, is_outside, judge
from huxue.duty.models import DutyRules

T0 = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)
WINDOW = Window(T0, T0 + dt.timedelta(hours=1))


def verdict(minutes: float, *, rules: DutyRules | None = None, **kw):  # noqa: ANN201
    at = T0 + dt.timedelta(minutes=minutes)
    args = {
        "rules": rules or DutyRules(),
        "window": WINDOW,
        "at": at,
        "now": at,
        "delayed": False,
        "rostered": True,
        "distance": 10.0,
        "accuracy": 10.0,
        "radius": 150,
    }
    args.update(kw)
    return judge(**args)


@pytest.mark.parametrize(
    ("minutes", "refused", "late"),
    [
        (-16, "too_early", False),
        (-15, "", False),
        (5, "", False),
        (6, "", True),
        (60, "", True),
        (61, "window_over", False),
    ],
)
def test_the_window_opens_early_and_late_is_flagged(minutes, refused, late):
    v = verdict(minutes)
    assert v.refused == refused
    if not refused:
        assert v.late is late


def test_accuracy_gives_the_benefit_of_the_doubt_up_to_the_radius():
    assert not is_outside(200, 60, 150)  # could be 140 m away
    assert is_outside(200, 40, 150)
    assert is_outside(400, 5000, 150)  # a vague fix earns no more than the radius


def test_outside_flagged_or_refused_by_the_city():
    assert verdict(0, distance=500.0).outside
    assert verdict(0, distance=500.0).refused == ""
    strict = DutyRules(geofence_mode=DutyRules.Mode.REFUSE)
    assert verdict(0, rules=strict, distance=500.0).refused == "outside"
    assert verdict(0, rules=strict, distance=None).refused == ""  # no fix (QR): not judged


def test_walkins_flagged_or_refused_by_the_city():
    assert verdict(0, rostered=False).walkin
    strict = DutyRules(walkins=DutyRules.Mode.REFUSE)
    assert verdict(0, rules=strict, rostered=False).refused == "not_rostered"


def test_delay_is_judged_on_the_phones_time_up_to_the_maximum_age():
    at = T0 + dt.timedelta(minutes=2)
    ok = judge(
        rules=DutyRules(max_delay_hours=24),
        window=WINDOW,
        at=at,
        now=at + dt.timedelta(hours=3),
        delayed=True,
        rostered=True,
        distance=None,
        accuracy=None,
        radius=150,
    )
    assert ok.refused == "" and ok.delayed and not ok.late
    old = judge(
        rules=DutyRules(max_delay_hours=24),
        window=WINDOW,
        at=at,
        now=at + dt.timedelta(hours=25),
        delayed=True,
        rostered=True,
        distance=None,
        accuracy=None,
        radius=150,
    )
    assert old.refused == "too_old"


def test_the_phones_clock_counts_only_when_clearly_behind():
    now = T0
    assert effective_time(now, now - dt.timedelta(seconds=90)) == (now, False)
    assert effective_time(now, now - dt.timedelta(minutes=10)) == (
        now - dt.timedelta(minutes=10),
        True,
    )
    assert effective_time(now, now + dt.timedelta(hours=2)) == (now, False)  # fast clock ignored
    assert effective_time(now, None) == (now, False)


def test_distance_is_metres_on_the_ground():
    # 0.01° of latitude is about 1.11 km anywhere.
    assert 1105 < distance_m(45.77, 131.0, 45.78, 131.0) < 1115
    assert distance_m(45.77, 131.0, 45.77, 131.0) == 0


def test_an_offset_lands_that_far_away():
    there = offset(45.77, 131.0, north_m=300, east_m=400)
    assert abs(distance_m(45.77, 131.0, *there) - 500) < 1
