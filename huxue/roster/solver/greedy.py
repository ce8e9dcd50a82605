"""A simple greedy baseline for the benchmark: most important slots first, cheapest member next."""

from __future__ import annotations

from collections import Counter, defaultdict

from huxue.roster.solver.costs import load_cost, objective, pair_cost
from huxue.roster.solver.flow import prepare
from huxue.roster.solver.model import Assignment, Member, Problem, Shift


def greedy(problem: Problem) -> tuple[list[Assignment], int]:
    prepared = prepare(problem)
    members = {m.id: m for m in problem.members}
    shifts = {s.id: s for s in problem.shifts}
    options: dict[tuple[int, str], list[tuple[int, Member, Shift]]] = defaultdict(list)
    for m, s in prepared.pairs:
        options[(s.id, m.group)].append((pair_cost(problem, m, s), m, s))
    chosen = list(prepared.fixed)
    week_load = Counter(prepared.week_used)
    family_load = Counter(prepared.family_used)
    on: dict[int, list[Shift]] = defaultdict(list)
    for a in prepared.fixed:
        on[a.member].append(shifts[a.shift])
    order = sorted(prepared.remaining, key=lambda k: (-problem.weights.penalty(k[1]), k))
    taken: set[tuple[int, int]] = set()
    for key in order:
        for _ in range(prepared.remaining[key]):
            best: tuple[int, int, Member, Shift] | None = None
            for cost, m, s in options[key]:
                if (m.id, s.id) in taken:
                    continue
                load = week_load[(m.id, s.week())]
                if load >= m.weekly_cap:
                    continue
                cap = problem.family_caps.get(m.family) if m.family is not None else None
                if cap is not None and m.family is not None and family_load[m.family] >= cap:
                    continue
                if any(o.day == s.day and o.start < s.end and s.start < o.end for o in on[m.id]):
                    continue
                marginal = cost + load_cost(problem, load + 1) - load_cost(problem, load)
                if best is None or (marginal, m.id) < (best[0], best[1]):
                    best = (marginal, m.id, m, s)
            if best is None:
                break
            _c, _i, m, s = best
            taken.add((m.id, s.id))
            chosen.append(Assignment(m.id, s.id, m.group))
            week_load[(m.id, s.week())] += 1
            if members[m.id].family is not None:
                family_load[members[m.id].family] += 1  # type: ignore[index]
            on[m.id].append(s)
    chosen.sort(key=Assignment.key)
    return chosen, objective(problem, chosen)
