"""The one objective every solver here is measured by, and the candidate pairs they share.

objective = Σ empty slots × coverage weight of their group
          + Σ assignments × (distance + away from home school + new post
                             + change, for a pair not in the roster being re-solved)
          + Σ members and weeks × spread × L(L-1)/2 for a load of L shifts (convex: even spread)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from huxue.roster.solver.model import Assignment, Member, Problem, Shift, km


def pair_cost(problem: Problem, member: Member, shift: Shift) -> int:
    w = problem.weights
    cost = round(w.distance_per_km * km(member.lat, member.lng, shift.lat, shift.lng))
    if member.home_school != shift.school:
        cost += w.away_from_home_school
    if shift.post not in member.recent_posts:
        cost += w.new_post
    if problem.current and (member.id, shift.id) not in problem.current:
        cost += w.change
    return int(cost)


def load_cost(problem: Problem, load: int) -> int:
    return problem.weights.spread * load * (load - 1) // 2


def slot_count(problem: Problem) -> int:
    return sum(max(0, n) for s in problem.shifts for n in s.requirements.values())


def fixed_pairs(problem: Problem) -> list[tuple[int, int]]:
    """Sign-ups and locks: kept as they are, whatever else the solver does."""
    return sorted(problem.signups | problem.locks)


def candidates(problem: Problem) -> list[tuple[Member, Shift]]:
    """Every (member, shift) a solver may choose, sorted: eligible and available, not fixed."""
    fixed = set(fixed_pairs(problem))
    shifts = {s.id: s for s in problem.shifts}
    pairs = []
    for member in sorted(problem.members, key=lambda m: m.id):
        if not (member.vetted and member.trained):
            continue
        for shift_id in sorted(problem.availability.get(member.id, frozenset())):
            shift = shifts.get(shift_id)
            if shift is None or (member.id, shift_id) in fixed:
                continue
            if shift.requirements.get(member.group, 0) > 0:
                pairs.append((member, shift))
    return pairs


def objective(problem: Problem, assignments: Iterable[Assignment]) -> int:
    members = {m.id: m for m in problem.members}
    shifts = {s.id: s for s in problem.shifts}
    total = 0
    filled: Counter[tuple[int, str]] = Counter()
    loads: Counter[tuple[int, tuple[int, int]]] = Counter()
    for a in assignments:
        member, shift = members[a.member], shifts[a.shift]
        total += pair_cost(problem, member, shift)
        filled[(a.shift, a.group)] += 1
        loads[(a.member, shift.week())] += 1
    for shift in problem.shifts:
        for group, need in shift.requirements.items():
            total += max(0, need - filled[(shift.id, group)]) * problem.weights.penalty(group)
    total += sum(load_cost(problem, n) for n in loads.values())
    return total
