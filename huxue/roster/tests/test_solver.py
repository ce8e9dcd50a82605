"""The roster solver: crafted instances with known answers, explanations, caps, pins, the checker."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from huxue.roster.solver import (
    Assignment,
    InvalidPins,
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
# Only coverage counts, so the optimum of a small instance can be worked out by hand.
COVERAGE_ONLY = Weights(distance_per_km=0, away_from_home_school=0, spread=0, new_post=0)


def member(id: int, group: str = "volunteer", **kw: object) -> Member:
    values: dict[str, object] = {
        "vetted": True,
        "trained": True,
        "home_school": 1,
        "lat": 45.77,
        "lng": 131.0,
        "weekly_cap": 5,
    }
    values.update(kw)
    return Member(id=id, group=group, **values)  # type: ignore[arg-type]


def shift(
    id: int,
    start: str = "07:00",
    end: str = "08:00",
    *,
    day: int = 0,
    need: dict[str, int] | None = None,
    school: int = 1,
    post: int | None = None,
) -> Shift:
    h1, m1 = map(int, start.split(":"))
    h2, m2 = map(int, end.split(":"))
    return Shift(
        id=id,
        post=post if post is not None else id,
        school=school,
        lat=45.77,
        lng=131.0,
        day=MONDAY + dt.timedelta(days=day),
        start=h1 * 60 + m1,
        end=h2 * 60 + m2,
        requirements=need if need is not None else {"volunteer": 1},
    )


def problem(members, shifts, available=None, **kw) -> Problem:  # noqa: ANN001
    if available is None:  # everyone available for everything
        available = {m.id: [s.id for s in shifts] for m in members}
    return Problem(
        members=tuple(members),
        shifts=tuple(shifts),
        availability={m: frozenset(s) for m, s in available.items()},
        **kw,
    )


def pairs(result_assignments: list[Assignment]) -> set[tuple[int, int]]:
    return {(a.member, a.shift) for a in result_assignments}


# --- known optima -------------------------------------------------------------------------------


def test_it_solves_a_tiny_instance_to_its_known_optimum() -> None:
    # Member 1 lives at school 1, member 2 at school 2; each is cheapest at home.
    far = 45.77 + 0.05  # about 5.6 km north
    p = problem(
        [member(1, home_school=1), member(2, home_school=2, lat=far)],
        [shift(10, school=1), shift(20, "15:30", "17:00", school=2)],
        weights=Weights(distance_per_km=10, away_from_home_school=30, spread=0, new_post=0),
    )
    s20 = Shift(**{**p.shifts[1].__dict__, "lat": far})
    p = Problem(**{**p.__dict__, "shifts": (p.shifts[0], s20)})
    result = solve(p)
    assert pairs(result.assignments) == {(1, 10), (2, 20)}
    assert result.objective == 0
    assert result.bound == 0
    assert result.optimal
    assert result.gap == 0
    assert result.unfilled == []
    assert result.covered == result.slots == 2


def test_it_takes_both_ends_of_a_chain_of_overlapping_windows() -> None:
    # 16:00-17:30 and 17:30-18:30 do not overlap, 17:00-18:00 overlaps both: a flow cannot say
    # that, so the solver must still find that one member can do the first and the last.
    p = problem(
        [member(1)],
        [shift(1, "16:00", "17:30"), shift(2, "17:00", "18:00"), shift(3, "17:30", "18:30")],
        weights=COVERAGE_ONLY,
    )
    result = solve(p)
    assert pairs(result.assignments) == {(1, 1), (1, 3)}
    assert result.objective == 4_000  # the middle slot stays empty
    assert result.optimal
    assert check(p, result.assignments) == []


def test_it_spreads_duty_evenly_when_spread_is_weighted() -> None:
    p = problem(
        [member(1), member(2)],
        [shift(1, day=0), shift(2, day=1)],
        weights=Weights(distance_per_km=0, away_from_home_school=0, spread=10, new_post=0),
    )
    result = solve(p)
    assert {a.member for a in result.assignments} == {1, 2}
    assert result.objective == 0


def test_it_sends_a_far_officer_but_not_a_far_volunteer() -> None:
    # Both live about 500 km away: 5,000 in distance, less than an empty police slot (10,000)
    # and more than an empty volunteer slot (4,000). Police and guard slots come first.
    far = 45.77 + 4.5
    p = problem(
        [member(1, "police", lat=far), member(2, "volunteer", lat=far)],
        [shift(1, need={"police": 1, "volunteer": 1})],
        weights=Weights(away_from_home_school=0, spread=0, new_post=0),
    )
    result = solve(p)
    assert pairs(result.assignments) == {(1, 1)}
    (slot,) = result.unfilled
    assert (slot.group, slot.reason) == ("volunteer", "not_chosen")
    assert result.optimal


def test_its_objective_equals_the_plain_cp_sat_optimum_on_a_tiny_instance() -> None:
    rng = random.Random(7)
    members = [
        member(i, rng.choice(["police", "volunteer"]), lat=45.7 + rng.random() / 20)
        for i in range(1, 7)
    ]
    shifts = [
        shift(
            i,
            *rng.choice([("07:00", "08:00"), ("15:30", "17:00")]),
            day=i % 2,
            need={"police": 1, "volunteer": 2},
            school=i % 3,
        )
        for i in range(1, 6)
    ]
    p = problem(members, shifts, weights=Weights(spread=15))
    ours, reference = solve(p), cpsat_plain(p, time_limit_s=20, workers=1)
    assert reference.optimal
    assert ours.objective == reference.objective == ours.bound


# --- hard rules ----------------------------------------------------------------------------------


def test_it_keeps_a_family_within_its_cap() -> None:
    parents = [member(1, family=7), member(2, family=7)]
    p = problem(
        parents,
        [shift(1, day=0), shift(2, day=1), shift(3, day=2)],
        family_caps={7: 1},
    )
    result = solve(p)
    assert len(result.assignments) == 1
    assert check(p, result.assignments) == []
    assert {u.reason for u in result.unfilled} == {"cap_or_busy"}


def test_a_sign_up_counts_against_the_family_cap() -> None:
    p = problem(
        [member(1, family=7), member(2, family=7)],
        [shift(1, day=0), shift(2, day=1)],
        family_caps={7: 1},
        signups=frozenset({(2, 2)}),
    )
    result = solve(p)
    assert pairs(result.assignments) == {(2, 2)}


def test_it_keeps_each_member_within_the_weekly_cap_each_week() -> None:
    next_week = 7
    shifts = [shift(i, day=i - 1) for i in range(1, 4)] + [shift(4, day=next_week)]
    p = problem([member(1, weekly_cap=2)], shifts)
    result = solve(p)
    assert len(result.assignments) == 3  # two this week, one the next
    assert (1, 4) in pairs(result.assignments)
    assert check(p, result.assignments) == []


def test_it_never_puts_a_member_in_two_places_at_once() -> None:
    p = problem([member(1)], [shift(1, "07:00", "08:00"), shift(2, "07:30", "08:30")])
    result = solve(p)
    assert len(result.assignments) == 1


def test_it_keeps_sign_ups_and_locks_even_when_they_cost_more() -> None:
    far = member(2, lat=45.9, home_school=9)
    p = problem(
        [member(1), far, member(3, lat=45.95, home_school=9)],
        [shift(1), shift(2, day=1)],
        signups=frozenset({(2, 1)}),
        locks=frozenset({(3, 2)}),
    )
    result = solve(p)
    assert pairs(result.assignments) == {(2, 1), (3, 2)}
    assert check(p, result.assignments) == []


def test_a_lock_outside_the_members_availability_is_still_kept() -> None:
    p = problem([member(1)], [shift(1)], available={1: []}, locks=frozenset({(1, 1)}))
    assert pairs(solve(p).assignments) == {(1, 1)}


def test_pins_that_break_a_rule_are_refused() -> None:
    p = problem(
        [member(1)],
        [shift(1, "07:00", "08:00"), shift(2, "07:30", "08:30")],
        locks=frozenset({(1, 1), (1, 2)}),
    )
    with pytest.raises(InvalidPins) as caught:
        solve(p)
    assert [v.rule for v in caught.value.violations] == ["overlap"]


def test_it_never_rosters_an_unvetted_untrained_or_unavailable_member() -> None:
    p = problem(
        [
            member(1, vetted=False),
            member(2, trained=False),
            member(3, "guard"),
            member(4),
        ],
        [shift(1)],
        available={1: [1], 2: [1], 3: [1], 4: []},
    )
    result = solve(p)
    assert result.assignments == []
    assert [u.reason for u in result.unfilled] == ["not_available"]


# --- explanations --------------------------------------------------------------------------------


def _only_reason(p: Problem) -> tuple[str, str]:
    result = solve(p)
    empty = [u for u in result.unfilled if u.shift == 1]
    assert len(empty) == 1
    return empty[0].reason, empty[0].suggestion


def test_it_explains_a_slot_nobody_of_the_group_could_take() -> None:
    p = problem([member(1)], [shift(1, need={"police": 1})])
    assert _only_reason(p) == ("no_group", "recruit")


def test_it_explains_a_slot_nobody_vetted_could_take() -> None:
    p = problem([member(1, "police", vetted=False)], [shift(1, need={"police": 1})])
    assert _only_reason(p) == ("not_vetted", "vet")


def test_it_explains_a_slot_nobody_trained_could_take() -> None:
    p = problem([member(1, "police", trained=False)], [shift(1, need={"police": 1})])
    assert _only_reason(p) == ("not_trained", "train")


def test_it_explains_a_slot_nobody_eligible_is_available_for() -> None:
    p = problem([member(1)], [shift(1)], available={1: []})
    assert _only_reason(p) == ("not_available", "recruit")


def test_it_explains_a_slot_everyone_eligible_is_busy_or_capped_for() -> None:
    # Member 1 is at the other gate at the same time; member 2 has used the week's cap.
    p = problem(
        [member(1), member(2, weekly_cap=1)],
        [shift(1, post=5), shift(2, post=6, need={"volunteer": 1}), shift(3, day=1)],
        available={1: [1, 2], 2: [1, 3]},
        locks=frozenset({(1, 2), (2, 3)}),
    )
    assert _only_reason(p) == ("cap_or_busy", "raise_cap")


def test_an_explanation_says_how_many_are_missing_and_where() -> None:
    p = problem([member(1, "police", vetted=False)], [shift(1, need={"police": 2}, school=17)])
    (slot,) = solve(p).unfilled
    assert slot.missing == 2
    assert slot.params["count"] == 2
    assert slot.params["school"] == 17
    assert (
        slot.suggestion_text == "Complete the background check of 2 police members near school 17."
    )
    assert "background check" in slot.message


@pytest.mark.parametrize(
    "need,text",
    [
        (1, "Complete the background check of 1 police member near school 17."),
        (3, "Complete the background check of 3 police members near school 17."),
    ],
)
def test_an_explanation_says_member_for_one_and_members_for_more(need: int, text: str) -> None:
    p = problem([member(1, "police", vetted=False)], [shift(1, need={"police": need}, school=17)])
    (slot,) = solve(p).unfilled
    assert slot.suggestion_text == text


def test_a_slot_one_capped_member_could_fill_is_explained_in_the_singular() -> None:
    # Member 2 alone could take shift 1 but has used the week's cap on shift 3.
    p = problem(
        [member(2, weekly_cap=1)],
        [shift(1), shift(3, day=1)],
        available={2: [1, 3]},
        locks=frozenset({(2, 3)}),
    )
    (slot,) = [u for u in solve(p).unfilled if u.shift == 1]
    assert slot.reason == "cap_or_busy"
    assert slot.message == (
        "The one eligible volunteer member available then is at their cap or on another shift."
    )
    assert slot.suggestion_text == (
        "Recruit 1 more volunteer member near school 1 or raise the weekly cap."
    )


def test_a_slot_two_busy_members_could_fill_is_explained_in_the_plural() -> None:
    p = problem(
        [member(1), member(2, weekly_cap=1)],
        [shift(1, post=5), shift(2, post=6, need={"volunteer": 1}), shift(3, day=1)],
        available={1: [1, 2], 2: [1, 3]},
        locks=frozenset({(1, 2), (2, 3)}),
    )
    (slot,) = [u for u in solve(p).unfilled if u.shift == 1]
    assert slot.message.startswith("All 2 eligible volunteer members available then are")


# --- determinism ---------------------------------------------------------------------------------


def _busy_instance(seed: int) -> Problem:
    rng = random.Random(seed)
    windows = [("16:00", "17:30"), ("17:00", "18:00"), ("17:30", "18:30"), ("07:00", "08:00")]
    members = [
        member(
            i,
            rng.choice(["guard", "volunteer"]),
            lat=45.7 + rng.random() / 10,
            weekly_cap=rng.randint(1, 3),
            family=rng.choice([None, 1, 2]),
        )
        for i in range(1, 25)
    ]
    shifts = [
        shift(
            i,
            *rng.choice(windows),
            day=rng.randint(0, 2),
            school=rng.randint(1, 4),
            need={"guard": rng.randint(0, 1), "volunteer": rng.randint(1, 2)},
        )
        for i in range(1, 20)
    ]
    available = {m.id: [s.id for s in shifts if rng.random() < 0.5] for m in members}
    return problem(members, shifts, available, family_caps={1: 2, 2: 3}, seed=seed)


def test_it_reports_its_progress_through_each_stage() -> None:
    # Seed 21's chains leave the flow short of its bound, so CP-SAT repairs one part.
    heard: list[tuple[str, int, int, str]] = []
    solve(_busy_instance(21), progress=lambda *event: heard.append(event))
    flow = [e for e in heard if e[0] == "flow"]
    cp = [e for e in heard if e[0] == "cp-sat"]
    assert flow[0][1] == 0 and flow[-1][1] == flow[-1][2] >= 1  # every flow part reported
    assert cp[-1][1] == cp[-1][2] == 1
    assert any(e[3].startswith("part objective") for e in cp)  # CP-SAT's better solutions


def test_it_gives_the_same_roster_twice() -> None:
    p = _busy_instance(3)
    first, second = solve(p), solve(p)
    assert first.assignments == second.assignments
    assert (first.objective, first.bound) == (second.objective, second.bound)
    assert first.unfilled == second.unfilled


def test_the_order_of_the_input_does_not_change_the_roster() -> None:
    p = _busy_instance(4)
    rng = random.Random(0)
    members, shifts = list(p.members), list(p.shifts)
    rng.shuffle(members)
    rng.shuffle(shifts)
    shuffled = Problem(**{**p.__dict__, "members": tuple(members), "shifts": tuple(shifts)})
    assert solve(shuffled).assignments == solve(p).assignments


def test_greedy_is_valid_and_never_beats_the_optimum() -> None:
    p = _busy_instance(5)
    chosen, value = greedy(p)
    assert check(p, chosen) == []
    assert value == objective(p, chosen)
    assert value >= solve(p).bound


# --- the checker itself ---------------------------------------------------------------------------


def _rules(p: Problem, assignments: list[Assignment]) -> list[str]:
    return sorted({v.rule for v in check(p, assignments)})


def test_the_checker_accepts_a_valid_roster() -> None:
    p = problem([member(1)], [shift(1)])
    assert check(p, [Assignment(1, 1, "volunteer")]) == []


@pytest.mark.parametrize(
    ("members", "rule"),
    [
        ([member(1, "guard")], "group"),
        ([member(1, vetted=False)], "vetted"),
        ([member(1, trained=False)], "trained"),
    ],
)
def test_the_checker_catches_an_ineligible_member(members: list[Member], rule: str) -> None:
    p = problem(members, [shift(1)])
    assert rule in _rules(p, [Assignment(1, 1, "volunteer")])


def test_the_checker_catches_an_unavailable_member() -> None:
    p = problem([member(1)], [shift(1)], available={1: []})
    assert _rules(p, [Assignment(1, 1, "volunteer")]) == ["available"]


def test_the_checker_catches_more_people_than_slots() -> None:
    p = problem([member(1), member(2)], [shift(1)])
    assert _rules(p, [Assignment(1, 1, "volunteer"), Assignment(2, 1, "volunteer")]) == ["slots"]


def test_the_checker_catches_two_places_at_once() -> None:
    p = problem([member(1)], [shift(1, "07:00", "08:00"), shift(2, "06:40", "07:30")])
    assert _rules(p, [Assignment(1, 1, "volunteer"), Assignment(1, 2, "volunteer")]) == ["overlap"]


def test_the_checker_lets_one_window_end_where_the_next_starts() -> None:
    p = problem([member(1)], [shift(1, "16:00", "17:30"), shift(2, "17:30", "18:30")])
    assert check(p, [Assignment(1, 1, "volunteer"), Assignment(1, 2, "volunteer")]) == []


def test_the_checker_catches_a_weekly_cap_exceeded() -> None:
    p = problem([member(1, weekly_cap=1)], [shift(1), shift(2, day=1)])
    assert _rules(p, [Assignment(1, 1, "volunteer"), Assignment(1, 2, "volunteer")]) == [
        "weekly_cap"
    ]


def test_the_checker_catches_a_family_cap_exceeded() -> None:
    p = problem(
        [member(1, family=3), member(2, family=3)], [shift(1), shift(2, day=1)], family_caps={3: 1}
    )
    assert _rules(p, [Assignment(1, 1, "volunteer"), Assignment(2, 2, "volunteer")]) == [
        "family_cap"
    ]


def test_the_checker_catches_a_dropped_sign_up_or_lock() -> None:
    p = problem(
        [member(1), member(2)],
        [shift(1), shift(2, day=1)],
        signups=frozenset({(1, 1)}),
        locks=frozenset({(2, 2)}),
    )
    assert [v.rule for v in check(p, [Assignment(1, 1, "volunteer")])] == ["kept"]


def test_the_checker_catches_duplicates_and_unknown_names() -> None:
    p = problem([member(1)], [shift(1, need={"volunteer": 2})])
    assert _rules(p, [Assignment(1, 1, "volunteer")] * 2) == ["duplicate"]
    assert _rules(p, [Assignment(9, 1, "volunteer")]) == ["unknown"]
