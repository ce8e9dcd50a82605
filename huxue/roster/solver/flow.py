"""The core: the roster as a min-cost flow, solved exactly by OR-Tools.

    source ─▶ family (family cap) ─▶ member ─▶ member-week (weekly cap, one arc per extra shift
    with rising cost: a convex load, so duty spreads evenly) ─▶ member-part (capacity 1: one place
    at a time) ─▶ shift-group (pair cost: distance, home school, continuity) ─▶ sink
    source ─▶ shift-group directly, at the group's coverage weight: the price of an empty slot.

A "part" is a set of one member's shifts on one day that may hold at most one of them. One place
at a time is a flow rule exactly when the shifts that overlap form cliques (07:00-08:00 and
06:40-07:30 overlap each other and nothing else). When they chain (16:00-17:30, 17:00-18:00,
17:30-18:30: the first and last do not overlap) it is not, and the network is solved twice:
  - "component": every chain is one part. A restriction: all its rosters are valid.
  - "clique": each chain is cut into cliques. A relaxation: its optimum is a lower bound.
Both equal the true optimum when no chain exists, or when the relaxed roster happens to be valid.
In between, ``strict`` names the members whose chains are kept whole while everyone else's are cut:
``solve.py`` starts from the relaxation and makes strict only the members it double-books, until
the roster is valid (a restriction again, usually far closer to the bound than the full one).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from huxue.roster.solver.costs import candidates, fixed_pairs, load_cost, pair_cost
from huxue.roster.solver.model import Assignment, Member, Problem, Shift

SOURCE, SINK = 0, 1


@dataclass
class FlowOutcome:
    assignments: list[Assignment]  # the component's choices; sign-ups and locks not included
    cost: int  # the flow's optimal cost: empty slots of the component and the choices made
    clashing: set[int]  # members the roster puts in two places at once (relaxed parts only)


@dataclass
class WeekLayout:
    week: tuple[int, int]
    used: int  # shifts already pinned (sign-ups, locks) this week
    cliques: list[list[int]]  # parts as indexes into Prepared.pairs
    components: list[list[int]]


@dataclass
class Prepared:
    """What is left to choose once sign-ups and locks are placed, laid out for the network."""

    fixed: list[Assignment]
    remaining: dict[tuple[int, str], int]  # (shift, group) → open slots
    week_used: Counter[tuple[int, tuple[int, int]]]
    family_used: Counter[int]
    pairs: list[tuple[Member, Shift]]  # sorted by member, then shift
    costs: list[int]  # pair_cost of each pair
    layout: dict[int, list[WeekLayout]]  # member → weeks
    chained: set[int]  # members with a chain of overlaps that is not a clique


def prepare(problem: Problem) -> Prepared:
    members = {m.id: m for m in problem.members}
    shifts = {s.id: s for s in problem.shifts}
    week_of = {s.id: s.week() for s in problem.shifts}
    fixed = [Assignment(m, s, members[m].group) for m, s in fixed_pairs(problem)]
    used: Counter[tuple[int, str]] = Counter((a.shift, a.group) for a in fixed)
    remaining = {
        (s.id, g): n - used[(s.id, g)]
        for s in sorted(problem.shifts, key=lambda s: s.id)
        for g, n in sorted(s.requirements.items())
        if n - used[(s.id, g)] > 0
    }
    week_used: Counter[tuple[int, tuple[int, int]]] = Counter()
    family_used: Counter[int] = Counter()
    busy: dict[int, list[Shift]] = defaultdict(list)
    for a in fixed:
        member, shift = members[a.member], shifts[a.shift]
        week_used[(a.member, week_of[shift.id])] += 1
        if member.family is not None:
            family_used[member.family] += 1
        busy[a.member].append(shift)
    family_full = {f for f, cap in problem.family_caps.items() if family_used[f] >= cap}

    def open_for(member: Member, shift: Shift) -> bool:
        if (shift.id, member.group) not in remaining:
            return False
        if week_used[(member.id, week_of[shift.id])] >= member.weekly_cap:
            return False
        if member.family in family_full:
            return False
        pinned = busy.get(member.id)
        return not pinned or not any(
            b.day == shift.day and b.start < shift.end and shift.start < b.end for b in pinned
        )

    pairs = [(m, s) for m, s in candidates(problem) if open_for(m, s)]
    costs = [pair_cost(problem, m, s) for m, s in pairs]
    layout: dict[int, list[WeekLayout]] = {}
    chained: set[int] = set()
    by_member: dict[int, list[int]] = defaultdict(list)
    for i, (m, _s) in enumerate(pairs):
        by_member[m.id].append(i)
    for member_id, indexes in by_member.items():
        by_day: dict[dt.date, list[int]] = defaultdict(list)
        for i in indexes:
            by_day[pairs[i][1].day].append(i)
        weeks: dict[tuple[int, int], WeekLayout] = {}
        for day in sorted(by_day):
            week = week_of[pairs[by_day[day][0]][1].id]
            if week not in weeks:
                weeks[week] = WeekLayout(week, week_used[(member_id, week)], [], [])
            cliques, components = split_parts([pairs[i][1] for i in by_day[day]])
            if len(cliques) != len(components):
                chained.add(member_id)
            position = {pairs[i][1].id: i for i in by_day[day]}
            weeks[week].cliques += [[position[s.id] for s in part] for part in cliques]
            weeks[week].components += [[position[s.id] for s in part] for part in components]
        layout[member_id] = [weeks[w] for w in sorted(weeks)]
    return Prepared(fixed, remaining, week_used, family_used, pairs, costs, layout, chained)


def split_parts(shifts: list[Shift]) -> tuple[list[list[Shift]], list[list[Shift]]]:
    """One member's shifts on one day, cut into cliques (each pair overlaps) and into components
    (chains of overlaps). The same list twice when every chain is a clique."""
    ordered = sorted(shifts, key=lambda s: (s.start, s.end, s.id))
    cliques: list[list[Shift]] = []
    components: list[list[Shift]] = []
    clique_end = component_end = -1  # earliest end in the clique; latest in the component
    for s in ordered:
        if s.start >= clique_end:
            cliques.append([s])
            clique_end = s.end
        else:
            cliques[-1].append(s)
            clique_end = min(clique_end, s.end)
        if s.start >= component_end:
            components.append([s])
            component_end = s.end
        else:
            components[-1].append(s)
            component_end = max(component_end, s.end)
    return cliques, components


def clashing_members(problem: Problem, assignments: list[Assignment], among: set[int]) -> set[int]:
    shifts = {s.id: s for s in problem.shifts}
    mine: dict[int, list[Shift]] = defaultdict(list)
    for a in assignments:
        if a.member in among:
            mine[a.member].append(shifts[a.shift])
    found = set()
    for member_id, held in mine.items():
        held.sort(key=lambda s: (s.day, s.start))
        for first, second in zip(held, held[1:], strict=False):
            if first.day == second.day and second.start < first.end:
                found.add(member_id)
                break
    return found


@dataclass
class Component:
    """Members and open slots that share no candidate pair or family with any other component:
    each is its own flow, and only the components with chained overlaps need a second look."""

    members: list[int]
    slots: list[tuple[int, str]]


def components(problem: Problem, prepared: Prepared) -> list[Component]:
    slot_index = {key: i for i, key in enumerate(prepared.remaining)}
    member_index = {member_id: len(slot_index) + i for i, member_id in enumerate(prepared.layout)}
    parent = list(range(len(slot_index) + len(member_index)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]  # path halving
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb

    first_of_family: dict[int, int] = {}
    for m, s in prepared.pairs:
        union(member_index[m.id], slot_index[(s.id, m.group)])
        if m.family is not None and m.family in problem.family_caps:
            union(member_index[m.id], member_index[first_of_family.setdefault(m.family, m.id)])
    members: dict[int, list[int]] = defaultdict(list)
    slots: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for member_id in sorted(prepared.layout):
        members[find(member_index[member_id])].append(member_id)
    for key, i in slot_index.items():
        slots[find(i)].append(key)
    return [Component(members[root], sorted(slots[root])) for root in members]


def solve_flow(
    problem: Problem, prepared: Prepared, strict: Collection[int], part: Component
) -> FlowOutcome:
    """One component's network, every member's chains cut into cliques but the `strict` ones'.
    Its cost covers the component's open slots and the choices made in it, nothing pinned."""
    weights = problem.weights
    pairs, costs = prepared.pairs, prepared.costs
    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    unit: list[int] = []
    nodes = 2

    slot_node: dict[tuple[int, str], int] = {}
    demand = sum(prepared.remaining[key] for key in part.slots)
    for key in part.slots:
        n = prepared.remaining[key]
        slot_node[key] = nodes
        tails += (SOURCE, nodes)
        heads += (nodes, SINK)
        caps += (n, n)
        unit += (weights.penalty(key[1]), 0)
        nodes += 1

    family_node: dict[int, int] = {}
    pick_arc: list[int] = []
    pick_pair: list[int] = []
    for member_id in part.members:
        member = pairs[prepared.layout[member_id][0].cliques[0][0]][0]
        m_node = nodes
        nodes += 1
        cap = problem.family_caps.get(member.family) if member.family is not None else None
        if cap is not None and member.family is not None:
            f_node = family_node.get(member.family)
            if f_node is None:
                f_node = family_node[member.family] = nodes
                nodes += 1
                tails.append(SOURCE)
                heads.append(f_node)
                caps.append(max(0, cap - prepared.family_used[member.family]))
                unit.append(0)
            tails.append(f_node)
        else:
            tails.append(SOURCE)
        heads.append(m_node)
        caps.append(demand)
        unit.append(0)
        exact = member_id in strict
        for week in prepared.layout[member_id]:
            w_node = nodes
            nodes += 1
            cuts = week.components if exact else week.cliques
            for k in range(1, min(member.weekly_cap - week.used, len(cuts)) + 1):
                tails.append(m_node)
                heads.append(w_node)
                caps.append(1)
                unit.append(
                    load_cost(problem, week.used + k) - load_cost(problem, week.used + k - 1)
                )
            for cut in cuts:
                p_node = nodes
                nodes += 1
                tails.append(w_node)
                heads.append(p_node)
                caps.append(1)
                unit.append(0)
                for i in cut:
                    pick_arc.append(len(tails))
                    pick_pair.append(i)
                    tails.append(p_node)
                    heads.append(slot_node[(pairs[i][1].id, member.group)])
                    caps.append(1)
                    unit.append(costs[i])

    flow = min_cost_flow.SimpleMinCostFlow()
    if tails:
        flow.add_arcs_with_capacity_and_unit_cost(
            np.array(tails, dtype=np.int32),
            np.array(heads, dtype=np.int32),
            np.array(caps, dtype=np.int64),
            np.array(unit, dtype=np.int64),
        )
    flow.set_node_supply(SOURCE, demand)
    flow.set_node_supply(SINK, -demand)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    chosen: list[Assignment] = []
    if pick_arc:
        flows = flow.flows(np.array(pick_arc, dtype=np.int32))
        for i, f in zip(pick_pair, flows.tolist(), strict=True):
            if f:
                m, s = pairs[i]
                chosen.append(Assignment(m.id, s.id, m.group))
    chosen.sort(key=Assignment.key)
    clashing = clashing_members(problem, chosen, prepared.chained - set(strict))
    return FlowOutcome(chosen, int(flow.optimal_cost()), clashing)
