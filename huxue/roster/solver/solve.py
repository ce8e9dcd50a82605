"""The roster solver: the min-cost flow first, CP-SAT only where a flow cannot say the rule."""

from __future__ import annotations

import time
from collections.abc import Callable

from huxue.roster.solver.checker import check
from huxue.roster.solver.costs import fixed_pairs, objective, slot_count
from huxue.roster.solver.cpsat import solve_cp
from huxue.roster.solver.explain import explain
from huxue.roster.solver.flow import Component, Prepared, components, prepare, solve_flow
from huxue.roster.solver.model import Assignment, Problem, Result, Violation

# progress(stage, done, total, note): "flow" over the independent parts, then "cp-sat" over the
# parts it polishes, with a note on each better roster CP-SAT finds. For bars, not for logic.
Progress = Callable[[str, int, int, str], None]


def _quiet(stage: str, done: int, total: int, note: str) -> None:
    return None


class InvalidPins(ValueError):
    """The sign-ups and locks alone already break a hard rule; no roster can keep them all."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(v.message for v in violations))
        self.violations = violations


def solve(
    problem: Problem,
    *,
    polish: bool = True,
    widen: bool = False,
    progress: Progress | None = None,
) -> Result:
    """Solve exactly where the rules are a flow; elsewhere return a valid roster and a proven bound.

    polish: run CP-SAT over the members whose overlapping windows chain (the only rule a flow
    cannot say), everyone else fixed; ``problem.time_limit_s`` is its deterministic-time budget.
    widen: free, with them, every member who could take one of their shifts. Closer to the bound
    (0.05% against 0.5% on the demo city) but about ten times slower, so off by default."""
    started = time.monotonic()
    report = progress or _quiet
    members = {m.id: m for m in problem.members}
    pins = [Assignment(m, s, members[m].group) for m, s in fixed_pairs(problem) if m in members]
    broken = check(problem, pins)
    if broken or len(pins) != len(problem.signups | problem.locks):
        raise InvalidPins(
            broken or [Violation("unknown", "a sign-up or lock names an unknown member")]
        )

    prepared = prepare(problem)
    parts = components(problem, prepared)
    # What no flow decides: the pinned shifts' costs, and the empty slots nobody could take.
    constant = objective(problem, prepared.fixed) - sum(
        prepared.remaining[key] * problem.weights.penalty(key[1]) for p in parts for key in p.slots
    )
    stages = [f"flow in {len(parts)} independent parts"]
    picks: list[Assignment] = []
    bound = constant
    polish_parts: list[tuple[Component, set[int]]] = []
    report("flow", 0, len(parts), "")
    for done, part in enumerate(parts, 1):
        # The relaxation first: its optimum is the bound, and usually a valid roster already.
        out = solve_flow(problem, prepared, (), part)
        bound += out.cost
        strict: set[int] = set()
        while out.clashing:
            strict |= out.clashing
            out = solve_flow(problem, prepared, strict, part)
        if strict:
            polish_parts.append((part, strict))
        picks += out.assignments
        report("flow", done, len(parts), "")
    if polish_parts:
        stages.append(
            f"flow again in {len(polish_parts)} parts with "
            f"{sum(len(s) for _p, s in polish_parts)} members' chains kept whole"
        )
    assignments = sorted(prepared.fixed + picks, key=Assignment.key)
    value = objective(problem, assignments)
    if value > bound and polish and problem.time_limit_s > 0 and polish_parts:
        stages.append(f"cp-sat on those {len(polish_parts)} parts")
        budget = problem.time_limit_s / len(polish_parts)
        total = len(polish_parts)
        report("cp-sat", 0, total, "")
        for done, (_part, strict) in enumerate(polish_parts):
            free = _neighbours(prepared, strict) if widen else strict

            def found(value: int, bound: int, done: int = done) -> None:
                report("cp-sat", done, total, f"part objective {value}, bound {bound}")

            better = _polish(problem, prepared, assignments, free, budget, on_solution=found)
            if better is not None:
                assignments = better
            report("cp-sat", done + 1, total, "")
        value = objective(problem, assignments)

    problems = check(problem, assignments)
    if problems:  # the checker is the last word; never hand back a roster it rejects
        raise RuntimeError(f"solver produced an invalid roster: {problems[0].message}")
    return Result(
        assignments=assignments,
        objective=value,
        bound=bound,
        optimal=value == bound,
        wall_s=time.monotonic() - started,
        unfilled=explain(problem, assignments),
        slots=slot_count(problem),
        stages=stages,
    )


def _polish(
    problem: Problem,
    prepared: Prepared,
    current: list[Assignment],
    strict: set[int],
    time_limit_s: float,
    on_solution: Callable[[int, int], None] | None = None,
) -> list[Assignment] | None:
    """CP-SAT over the members whose chains the flow kept whole (where it may have given
    something up), everyone else fixed where the flow put them; started from the flow's roster."""
    pins = set(fixed_pairs(problem))
    fixed = [a for a in current if a.member not in strict or (a.member, a.shift) in pins]
    pairs = [
        prepared.pairs[i]
        for member_id in sorted(strict)
        for week in prepared.layout[member_id]
        for cut in week.cliques
        for i in cut
    ]
    outcome = solve_cp(
        problem,
        pairs,
        fixed,
        hint=[a for a in current if a.member in strict],
        time_limit_s=time_limit_s,
        deterministic=True,
        on_solution=on_solution,
    )
    if not outcome.found or outcome.start is None or outcome.objective >= outcome.start:
        return None
    return outcome.assignments


def _neighbours(prepared: Prepared, strict: set[int]) -> set[int]:
    wanted = {
        prepared.pairs[i][1].id
        for member_id in strict
        for week in prepared.layout[member_id]
        for cut in week.cliques
        for i in cut
    }
    return strict | {m.id for m, s in prepared.pairs if s.id in wanted}
