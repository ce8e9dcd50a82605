"""A round's score: the weight of the items passed, out of the weight of the items judged (pass
or fail), as a percentage with one decimal; items not applicable do not count. None when nothing
was judged. The one place the score is computed."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

PASS, FAIL = "pass", "fail"


def round_score(answers: Iterable[tuple[str, int]]) -> Decimal | None:
    """``answers``: (result, weight) pairs."""
    passed = judged = 0
    for result, weight in answers:
        if result in (PASS, FAIL):
            judged += weight
            passed += weight if result == PASS else 0
    if not judged:
        return None
    return (Decimal(100 * passed) / judged).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
