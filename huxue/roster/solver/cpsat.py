"""CP-SAT: the whole problem as one model (the benchmark's reference), and the same model over a
few members with everyone else fixed (the polish stage after the flow, for chained overlaps)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from huxue.roster.solver.costs import load_cost, objective, pair_cost
from huxue.roster.solver.model import Assignment, Member, Problem, Shift


@dataclass
class CpOutcome:
    assignments: list[Assignment]  # fixed ones included
    objective: int  # of the part the model sees: see solve_cp
    bound: int
    optimal: bool
    found: bool  # False: no solution within the limit (the assignments are then the fixed ones)
    start: int | None = None  # the hint's value on the same scale, when a complete hint was given


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Tells a progress display of each better solution (objective and bound, model scale)."""

    def __init__(self, tell: Callable[[int, int], None]) -> None:
        super().__init__()
        self.tell = tell

    def on_solution_callback(self) -> None:
        self.tell(round(self.objective_value), round(self.best_objective_bound))


def solve_cp(
    problem: Problem,
    pairs: Iterable[tuple[Member, Shift]],
    fixed: Iterable[Assignment],
    *,
    hint: Iterable[Assignment] = (),
    time_limit_s: float,
    deterministic: bool = False,
    workers: int = 1,
    on_solution: Callable[[int, int], None] | None = None,
) -> CpOutcome:
    """Choose among `pairs` on top of `fixed` (kept as they are).

    The model sees only what the choice can change: the slots the pairs could fill, and the
    costs and loads of the members who have pairs. Its objective is therefore the full objective
    minus a constant (what the fixed assignments alone decide elsewhere)."""
    members = {m.id: m for m in problem.members}
    shifts = {s.id: s for s in problem.shifts}
    pairs = sorted(pairs, key=lambda p: (p[0].id, p[1].id))
    fixed = list(fixed)
    hinted = {(a.member, a.shift) for a in hint}
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    shift_of_var: dict[int, int] = {}
    for m, s in pairs:
        x[(m.id, s.id)] = model.new_bool_var(f"x_{m.id}_{s.id}")
        shift_of_var[x[(m.id, s.id)].index] = s.id
    free_members = {m.id for m, _s in pairs}
    free_families = {
        m.family for m, _s in pairs if m.family is not None and m.family in problem.family_caps
    }

    terms: list[cp_model.LinearExprT] = []
    start = 0  # the hint's value
    slot_vars: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)
    for m, s in pairs:
        var = x[(m.id, s.id)]
        slot_vars[(s.id, m.group)].append(var)
        cost = pair_cost(problem, m, s)
        if cost:
            terms.append(cost * var)
        if (m.id, s.id) in hinted:
            start += cost
    slot_fixed: Counter[tuple[int, str]] = Counter()
    mine: dict[int, list[Assignment]] = defaultdict(list)  # free members' fixed shifts
    family_fixed: Counter[int] = Counter()
    for a in fixed:
        if (a.shift, a.group) in slot_vars:
            slot_fixed[(a.shift, a.group)] += 1
        if a.member in free_members:
            mine[a.member].append(a)
        family = members[a.member].family
        if family in free_families and family is not None:
            family_fixed[family] += 1
    hint_count: Counter[tuple[int, str]] = Counter(
        (s, members[m].group) for m, s in hinted if (m, s) in x
    )
    for key in sorted(slot_vars):
        need = shifts[key[0]].requirements.get(key[1], 0) - slot_fixed[key]
        penalty = problem.weights.penalty(key[1])
        model.add(sum(slot_vars[key]) <= need)
        # Empty slots cost penalty × (need - filled): the constant part is left out.
        terms.append(-penalty * sum(slot_vars[key]))
        start -= penalty * hint_count[key]

    # One place at a time: in an interval graph the maximal cliques are the sets of shifts
    # running at some shift's start, so one constraint per start point is exact.
    day_shifts: dict[tuple[int, dt.date], list[tuple[Shift, cp_model.IntVar | int]]] = defaultdict(
        list
    )
    week_terms: dict[tuple[int, tuple[int, int]], list[cp_model.IntVar | int]] = defaultdict(list)
    for member_id in sorted(mine):
        for a in mine[member_id]:
            s = shifts[a.shift]
            day_shifts[(member_id, s.day)].append((s, 1))
            week_terms[(member_id, s.week())].append(1)
    for m, s in pairs:
        day_shifts[(m.id, s.day)].append((s, x[(m.id, s.id)]))
        week_terms[(m.id, s.week())].append(x[(m.id, s.id)])
    for member_day in sorted(day_shifts):
        items = day_shifts[member_day]
        for t in sorted({s.start for s, _v in items}):
            running = [v for s, v in items if s.start <= t < s.end]
            if len(running) > 1:
                model.add(sum(running) <= 1)

    family_free: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (member_id, week), vs in sorted(week_terms.items()):
        member = members[member_id]
        fixed_load = sum(v for v in vs if isinstance(v, int))
        free = [v for v in vs if not isinstance(v, int)]
        if member.family in free_families and member.family is not None:
            family_free[member.family] += free
        if not free:
            continue  # pinned shifts only: nothing to choose, a constant cost
        model.add(sum(free) <= member.weekly_cap - fixed_load)
        top = max(member.weekly_cap, fixed_load)
        hint_load = min(
            top,
            fixed_load
            + sum((member_id, s) in hinted for s in (shift_of_var[v.index] for v in free)),
        )
        start += load_cost(problem, hint_load)
        if problem.weights.spread:
            load = model.new_int_var(fixed_load, top, f"load_{member_id}_{week[0]}_{week[1]}")
            model.add(load == fixed_load + sum(free))
            spread = model.new_int_var(0, load_cost(problem, top), f"lc_{member_id}_{week[1]}")
            model.add_element(load, [load_cost(problem, n) for n in range(top + 1)], spread)
            terms.append(spread)
            if hinted:  # a complete hint is a solution to start from, not just a direction
                model.add_hint(load, hint_load)
                model.add_hint(spread, load_cost(problem, hint_load))
    for family, free_vars in sorted(family_free.items()):
        model.add(sum(free_vars) <= problem.family_caps[family] - family_fixed[family])

    model.minimize(sum(terms))
    if hinted:
        for pair, var in x.items():
            model.add_hint(var, pair in hinted)

    solver = cp_model.CpSolver()
    solver.parameters.random_seed = problem.seed
    solver.parameters.num_workers = workers
    if deterministic:
        solver.parameters.max_deterministic_time = time_limit_s
    else:
        solver.parameters.max_time_in_seconds = time_limit_s
    status = solver.solve(model, _Reporter(on_solution) if on_solution else None)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return CpOutcome(fixed, 0, round(solver.best_objective_bound), False, False)
    picked = fixed + [
        Assignment(m.id, s.id, m.group) for m, s in pairs if solver.boolean_value(x[(m.id, s.id)])
    ]
    picked.sort(key=Assignment.key)
    return CpOutcome(
        picked,
        round(solver.objective_value),
        round(solver.best_objective_bound),
        status == cp_model.OPTIMAL,
        True,
        start if hinted else None,
    )


def cpsat_plain(problem: Problem, time_limit_s: float = 30.0, workers: int = 2) -> CpOutcome:
    """The whole problem as one CP-SAT model, for the benchmark and the tests."""
    from huxue.roster.solver.flow import prepare

    prepared = prepare(problem)
    out = solve_cp(
        problem, prepared.pairs, prepared.fixed, time_limit_s=time_limit_s, workers=workers
    )
    if out.found:  # back to the full objective's scale
        full = objective(problem, out.assignments)
        out.bound += full - out.objective
        out.objective = full
    return out
