"""Property tests: random small instances, the independent checker, the plain CP-SAT optimum."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huxue.roster.solver import (
    Assignment,
    Member,
    Problem,
    Shift,
    Weights,
    check,
    cpsat_plain,
    greedy,
    objective,
    solve,
)

MONDAY = dt.date(2026, 3, 2)
GROUPS = ("police", "guard", "staff", "volunteer")
# Windows whose overlaps are cliques: one place at a time is then a flow rule, and exact.
CLIQUE_WINDOWS = ((380, 430), (400, 450), (420, 480), (930, 1020), (960, 1050))
# The demo's afternoon windows chain: 16:00-17:30 / 17:00-18:00 / 17:30-18:30.
CHAINED_WINDOWS = (*CLIQUE_WINDOWS, (1020, 1080), (1050, 1110))


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    windows: tuple[tuple[int, int], ...] = CHAINED_WINDOWS,
    max_members: int = 10,
    max_shifts: int = 8,
) -> Problem:
    n_members = draw(st.integers(1, max_members))
    n_shifts = draw(st.integers(1, max_shifts))
    members = tuple(
        Member(
            id=i,
            group=draw(st.sampled_from(GROUPS)),
            vetted=draw(st.booleans() | st.just(True)),
            trained=draw(st.booleans() | st.just(True)),
            home_school=draw(st.sampled_from([None, 1, 2, 3])),
            lat=45.70 + draw(st.integers(0, 50)) / 1000,
            lng=131.0 + draw(st.integers(0, 50)) / 1000,
            weekly_cap=draw(st.integers(0, 3)),
            family=draw(st.sampled_from([None, None, 1, 2])),
            recent_posts=frozenset(draw(st.sets(st.integers(1, 4), max_size=2))),
        )
        for i in range(1, n_members + 1)
    )
    shifts = []
    for i in range(1, n_shifts + 1):
        start, end = draw(st.sampled_from(windows))
        shifts.append(
            Shift(
                id=i,
                post=draw(st.integers(1, 4)),
                school=draw(st.integers(1, 3)),
                lat=45.70 + draw(st.integers(0, 50)) / 1000,
                lng=131.0 + draw(st.integers(0, 50)) / 1000,
                day=MONDAY + dt.timedelta(days=draw(st.sampled_from([0, 0, 1, 7]))),
                start=start,
                end=end,
                requirements=draw(
                    st.dictionaries(st.sampled_from(GROUPS), st.integers(0, 2), max_size=3)
                ),
            )
        )
    availability = {
        m.id: frozenset(draw(st.sets(st.integers(1, n_shifts), max_size=n_shifts))) for m in members
    }
    family_caps = draw(st.dictionaries(st.sampled_from([1, 2]), st.integers(0, 3)))
    # Pins are drawn, then kept only while the roster they make stays valid.
    pins: set[tuple[int, int]] = set()
    for m in members:
        if draw(st.integers(0, 5)) == 0 and availability[m.id]:
            s = draw(st.sampled_from(sorted(availability[m.id])))
            trial = Problem(
                members,
                tuple(shifts),
                availability,
                family_caps,
                signups=frozenset(pins | {(m.id, s)}),
            )
            roster = [
                Assignment(a, b, next(x.group for x in members if x.id == a))
                for a, b in sorted(pins | {(m.id, s)})
            ]
            if not check(trial, roster):
                pins.add((m.id, s))
    locked = {p for p in pins if draw(st.booleans())}
    return Problem(
        members=members,
        shifts=tuple(shifts),
        availability=availability,
        family_caps=family_caps,
        signups=frozenset(pins - locked),
        locks=frozenset(locked),
        weights=Weights(spread=draw(st.sampled_from([0, 10, 40]))),
        seed=draw(st.integers(0, 3)),
        time_limit_s=2.0,
    )


FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(instances())
def test_the_checker_finds_nothing_wrong_with_any_roster_the_solver_returns(p: Problem) -> None:
    result = solve(p)
    assert check(p, result.assignments) == []
    assert result.objective == objective(p, result.assignments)
    assert result.bound <= result.objective
    assert result.optimal == (result.bound == result.objective)
    assert result.covered == result.slots - sum(u.missing for u in result.unfilled)
    assert sum(len([a for a in result.assignments if a.shift == s.id]) for s in p.shifts) == len(
        result.assignments
    )


@FAST
@given(instances())
def test_greedy_rosters_are_valid_and_never_below_the_bound(p: Problem) -> None:
    chosen, value = greedy(p)
    assert check(p, chosen) == []
    assert value >= solve(p).bound


@SLOW
@given(instances(windows=CLIQUE_WINDOWS, max_members=7, max_shifts=6))
def test_with_flow_shaped_rules_it_matches_the_plain_cp_sat_optimum(p: Problem) -> None:
    ours = solve(p)
    reference = cpsat_plain(p, time_limit_s=20, workers=1)
    assert reference.optimal
    assert ours.optimal
    assert ours.objective == reference.objective


@SLOW
@given(instances(max_members=7, max_shifts=6))
def test_with_chained_windows_its_bound_holds_and_its_roster_is_near(p: Problem) -> None:
    ours = solve(p)
    reference = cpsat_plain(p, time_limit_s=20, workers=1)
    assert reference.optimal
    assert ours.bound <= reference.objective <= ours.objective
    if ours.optimal:
        assert ours.objective == reference.objective


@settings(max_examples=20, deadline=None)
@given(instances())
def test_it_is_deterministic(p: Problem) -> None:
    first, second = solve(p), solve(p)
    assert first.assignments == second.assignments
    assert first.unfilled == second.unfilled
