"""The substitute ranking is a pure function: no database here."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from huxue.core.geo import distance_m
from huxue.roster.swaps import NO_HOME_KM, Candidate, rank_substitutes, substitute_problem

BASE = Candidate(
    person_id=1,
    name="甲",
    group="volunteer",
    vetted=True,
    trained=True,
    available=True,
    busy=False,
    week_shifts=0,
    weekly_cap=3,
    home=True,
    distance_km=1.0,
)


def test_it_ranks_home_school_first_then_distance_then_fewer_shifts() -> None:
    busy_week = replace(BASE, person_id=1, name="a", week_shifts=2, distance_km=0.1)
    away_near = replace(BASE, person_id=2, name="b", home=False, distance_km=0.5)
    home_far = replace(BASE, person_id=3, name="c", distance_km=5.0)
    home_near = replace(BASE, person_id=4, name="d", distance_km=0.2)
    away_far = replace(BASE, person_id=5, name="e", home=False, distance_km=3.0)
    no_home = replace(BASE, person_id=6, name="f", home=False, distance_km=NO_HOME_KM)
    ranked = rank_substitutes(
        [no_home, away_far, busy_week, away_near, home_far, home_near], group="volunteer"
    )
    # About as near (the same kilometre): the one with fewer shifts that week comes first.
    assert [c.person_id for c in ranked] == [4, 1, 3, 2, 5, 6]


def test_it_leaves_out_everyone_who_may_not_take_the_slot() -> None:
    ok = replace(BASE, person_id=9)
    others = [
        replace(BASE, person_id=2, vetted=False),
        replace(BASE, person_id=3, trained=False),
        replace(BASE, person_id=4, group="guard"),
        replace(BASE, person_id=5, available=False),
        replace(BASE, person_id=6, busy=True),
        replace(BASE, person_id=7, week_shifts=3),
        replace(BASE, person_id=8, void=True),
    ]
    assert rank_substitutes([*others, ok], group="volunteer") == [ok]
    assert [substitute_problem(c, group="volunteer") for c in others] == [
        "not_vetted",
        "not_trained",
        "wrong_group",
        "not_available",
        "busy",
        "cap",
        "void",
    ]


def test_ties_are_broken_by_name_and_id_so_the_order_is_stable() -> None:
    a = replace(BASE, person_id=2, name="乙")
    b = replace(BASE, person_id=1, name="乙")
    c = replace(BASE, person_id=3, name="丙")
    assert rank_substitutes([a, c, b], group="volunteer") == rank_substitutes(
        [c, b, a], group="volunteer"
    )


@given(
    st.lists(
        st.builds(
            Candidate,
            person_id=st.integers(1, 50),
            name=st.sampled_from(["甲", "乙", "丙"]),
            group=st.sampled_from(["volunteer", "guard"]),
            vetted=st.booleans(),
            trained=st.booleans(),
            available=st.booleans(),
            busy=st.booleans(),
            week_shifts=st.integers(0, 4),
            weekly_cap=st.just(3),
            home=st.booleans(),
            distance_km=st.floats(0, 50),
        ),
        max_size=12,
    )
)
def test_every_ranked_member_is_eligible_and_the_order_is_home_then_near_then_load(
    candidates: list[Candidate],
) -> None:
    ranked = rank_substitutes(candidates, group="volunteer")
    assert all(substitute_problem(c, group="volunteer") is None for c in ranked)
    # Own school before any other; then never further by whole kilometres; within the same
    # kilometre, never more shifts that week.
    keys = [(not c.home, int(c.distance_km), c.week_shifts) for c in ranked]
    assert keys == sorted(keys)


@given(
    st.lists(
        st.builds(
            replace,
            st.just(BASE),
            person_id=st.integers(1, 50),
            week_shifts=st.integers(0, 2),
            home=st.booleans(),
            distance_km=st.floats(0, 5) | st.just(NO_HOME_KM),
        ),
        max_size=12,
    )
)
def test_among_eligible_members_own_school_comes_first_then_distance_then_load(
    candidates: list[Candidate],
) -> None:
    ranked = rank_substitutes(candidates, group="volunteer")
    assert len(ranked) == len(candidates)
    keys = [(not c.home, int(c.distance_km), c.week_shifts) for c in ranked]
    assert keys == sorted(keys)


def test_distance_is_about_right() -> None:
    # 七台河 centre to 勃利县 seat, about 33 km apart
    assert 30_000 < distance_m(45.77, 131.00, 45.75, 130.57) < 36_000
