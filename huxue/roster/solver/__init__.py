"""The roster solver (issue 3): plain Python, no ORM. Selectors build a Problem; ``solve`` returns
assignments, the proven bound and an explanation for every empty slot; ``check`` is the
independent checker every roster passes before it is saved."""

from huxue.roster.solver.checker import check
from huxue.roster.solver.costs import objective
from huxue.roster.solver.cpsat import cpsat_plain
from huxue.roster.solver.greedy import greedy
from huxue.roster.solver.model import (
    Assignment,
    Member,
    Problem,
    Result,
    Shift,
    UnfilledSlot,
    Violation,
    Weights,
    minutes,
)
from huxue.roster.solver.solve import InvalidPins, Progress, solve

__all__ = [
    "Assignment",
    "InvalidPins",
    "Member",
    "Problem",
    "Progress",
    "Result",
    "Shift",
    "UnfilledSlot",
    "Violation",
    "Weights",
    "check",
    "cpsat_plain",
    "greedy",
    "minutes",
    "objective",
    "solve",
]
