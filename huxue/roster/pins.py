"""The sign-ups and kept assignments a solve must keep as they are (its pins), judged before it runs.

The solver keeps every pin whatever else it does, so one pin that breaks a rule makes a whole
run impossible. Each pin is judged first alone, on its shift's day (``rules.ineligibility``:
vetted and trained by then, of a force group the shift needs), then with the others by the
solver's own checker (a slot not over-filled, no two shifts at once, the weekly and family
caps), kept ones before sign-ups and earlier shifts first, so that the pins left out are the
later ones. A run then either stops and names each broken pin, or, when asked, leaves them out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from huxue.people.models import Person
from huxue.roster import solver
from huxue.roster.models import Shift
from huxue.roster.rules import ineligibility
from huxue.roster.wording import shift_label

if TYPE_CHECKING:
    from huxue.roster.planning import Plan

RULE_TEXT = {
    "void": gettext_lazy("The member's record has been voided."),
    "not_vetted": gettext_lazy("The member had not passed the background check by that day."),
    "not_trained": gettext_lazy(
        "The member had no valid training on that day (trained later, never, or expired)."
    ),
    "group_not_needed": gettext_lazy("The shift needs no one of the member's force group."),
    "slots": gettext_lazy(
        "The shift's slots for this force group are already taken by other sign-ups or kept "
        "assignments."
    ),
    "overlap": gettext_lazy("The member is already on another shift at that time."),
    "weekly_cap": gettext_lazy("The member would have more shifts that week than the weekly cap."),
    "family_cap": gettext_lazy(
        "The member's family would have more shifts this term than the family cap."
    ),
}
OTHER_RULE = gettext_lazy("It breaks a rostering rule.")
SHOWN = 3  # broken pins named in a page's message; the command line names them all


@dataclass(frozen=True)
class BrokenPin:
    person: Person
    shift: Shift
    kept: bool  # an assignment the solve keeps (locked, or put there by a person); else a sign-up
    rule: str  # a RULE_TEXT key (or another checker rule)

    @property
    def pair(self) -> tuple[int, int]:
        return self.person.pk, self.shift.pk

    @property
    def text(self) -> str:
        """e.g. 王小华 的报名（七台河市第六小学 正门，2021-09-06 星期一 07:00–08:00）：…"""
        who = (_("%(name)s's kept assignment") if self.kept else _("%(name)s's sign-up")) % {
            "name": self.person.name
        }
        return _("%(who)s (%(shift)s): %(rule)s") % {
            "who": who,
            "shift": shift_label(self.shift),
            "rule": RULE_TEXT.get(self.rule, OTHER_RULE),
        }


class PinsRejected(ValidationError):
    """A run that cannot keep its sign-ups and kept assignments: each broken one, named."""

    def __init__(self, broken: list[BrokenPin]) -> None:
        self.broken = broken
        head = ngettext(
            "%(count)d sign-up or kept assignment breaks a rule, so the roster was not solved; "
            "withdraw or change it, then solve again.",
            "%(count)d sign-ups or kept assignments break a rule, so the roster was not solved; "
            "withdraw or change them, then solve again.",
            len(broken),
        ) % {"count": len(broken)}
        lines = [head] + [pin.text for pin in broken[:SHOWN]]
        if len(broken) > SHOWN:
            lines.append(_("… and %(count)d more.") % {"count": len(broken) - SHOWN})
        super().__init__(lines, code="broken_pins")


def pins_broken(plan: Plan) -> list[BrokenPin]:
    """The plan's pins that break a rule, in the order they are judged (see the module)."""
    problem = plan.problem
    pins = sorted(
        problem.signups | problem.locks,
        key=lambda pair: (
            pair not in problem.locks,
            plan.shifts[pair[1]].day,
            plan.shifts[pair[1]].start,
            pair[1],
            pair[0],
        ),
    )
    broken: list[BrokenPin] = []

    def reject(pair: tuple[int, int], rule: str) -> None:
        broken.append(
            BrokenPin(
                person=plan.people[pair[0]],
                shift=plan.shifts[pair[1]],
                kept=pair in problem.locks,
                rule=rule,
            )
        )

    alone = []
    for pair in pins:
        rule = ineligibility(plan.people[pair[0]], plan.shifts[pair[1]])
        if rule:
            reject(pair, rule)
        else:
            alone.append(pair)
    groups = {m.id: m.group for m in problem.members}
    families = {m.id: m.family for m in problem.members}

    def pinned(pairs: list[tuple[int, int]]) -> list[solver.Assignment]:
        return [solver.Assignment(m, s, groups[m]) for m, s in pairs]

    def rules_broken(pairs: list[tuple[int, int]]) -> list[solver.Violation]:
        # The checker also reports every pin left out of `pairs` ("kept"): not a rule here.
        return [v for v in solver.check(problem, pinned(pairs)) if v.rule != "kept"]

    together = rules_broken(alone)
    if not together:
        return broken
    # Only pins that share a member, a shift or (for the family cap) a family with a broken
    # rule can break one; they are added one by one, each kept if the ones kept so far allow it.
    members = {v.member for v in together if v.member is not None}
    shifts = {v.shift for v in together if v.shift is not None and v.rule == "slots"}
    any_family = any(v.rule == "family_cap" for v in together)
    involved = [
        (m, s)
        for m, s in alone
        if m in members or s in shifts or (any_family and families[m] is not None)
    ]
    accepted: list[tuple[int, int]] = []
    for pair in involved:
        found = rules_broken([*accepted, pair])
        if found:
            reject(pair, found[0].rule)
        else:
            accepted.append(pair)
    return broken


def pins_without(plan: Plan, broken: list[BrokenPin]) -> Plan:
    """The plan with the broken pins left out: neither kept nor signed up for this run."""
    drop = {pin.pair for pin in broken}
    problem = dataclasses.replace(
        plan.problem,
        signups=frozenset(plan.problem.signups - drop),
        locks=frozenset(plan.problem.locks - drop),
    )
    return dataclasses.replace(plan, problem=problem)


def pins_checked(plan: Plan, *, drop: bool = False) -> Plan:
    """The plan, if its pins break no rule; without the broken ones if ``drop``; else raises
    PinsRejected, which names them."""
    broken = pins_broken(plan)
    if not broken:
        return plan
    if not drop:
        raise PinsRejected(broken)
    return pins_without(plan, broken)
