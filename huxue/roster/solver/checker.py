"""The independent checker: every hard rule re-derived from the Problem alone.

It shares nothing with the solvers but the input dataclasses, so a bug in how a solver builds
its network or model cannot hide itself here. A roster is saved only if this returns [].
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from huxue.roster.solver.model import Assignment, Problem, Violation


def check(problem: Problem, assignments: Iterable[Assignment]) -> list[Violation]:
    members = {m.id: m for m in problem.members}
    shifts = {s.id: s for s in problem.shifts}
    given = sorted(assignments, key=lambda a: (a.member, a.shift, a.group))
    found: list[Violation] = []

    def flag(rule: str, message: str, member: int | None = None, shift: int | None = None) -> None:
        found.append(Violation(rule=rule, message=message, member=member, shift=shift))

    seen: set[tuple[int, int]] = set()
    per_slot: dict[tuple[int, str], int] = defaultdict(int)
    per_member: dict[int, list[int]] = defaultdict(list)
    for a in given:
        member, shift = members.get(a.member), shifts.get(a.shift)
        if member is None or shift is None:
            flag("unknown", f"assignment {a} names an unknown member or shift", a.member, a.shift)
            continue
        if (a.member, a.shift) in seen:
            flag("duplicate", f"member {a.member} is on shift {a.shift} twice", a.member, a.shift)
            continue
        seen.add((a.member, a.shift))
        pinned = (a.member, a.shift) in problem.signups or (a.member, a.shift) in problem.locks
        if a.group != member.group:
            flag("group", f"member {a.member} is {member.group}, not {a.group}", a.member, a.shift)
        if not member.vetted:
            flag("vetted", f"member {a.member} is not vetted", a.member, a.shift)
        if not member.trained:
            flag("trained", f"member {a.member} is not trained", a.member, a.shift)
        if not pinned and a.shift not in problem.availability.get(a.member, frozenset()):
            flag(
                "available",
                f"member {a.member} is not available for shift {a.shift}",
                a.member,
                a.shift,
            )
        per_slot[(a.shift, a.group)] += 1
        per_member[a.member].append(a.shift)

    for (shift_id, group), count in sorted(per_slot.items()):
        need = shifts[shift_id].requirements.get(group, 0)
        if count > need:
            flag("slots", f"shift {shift_id} has {count} {group} for {need} slots", shift=shift_id)

    family_load: dict[int, int] = defaultdict(int)
    for member_id, shift_ids in sorted(per_member.items()):
        member = members[member_id]
        mine = sorted((shifts[s] for s in shift_ids), key=lambda s: (s.day, s.start, s.id))
        for i, first in enumerate(mine):
            for second in mine[i + 1 :]:
                if second.day != first.day or second.start >= first.end:
                    break  # sorted by start: nothing later can overlap `first` either
                flag(
                    "overlap",
                    f"member {member_id} is on shifts {first.id} and {second.id} at once",
                    member_id,
                    second.id,
                )
        weeks: dict[tuple[int, int], int] = defaultdict(int)
        for s in mine:
            iso = s.day.isocalendar()
            weeks[(iso[0], iso[1])] += 1
        for week, count in sorted(weeks.items()):
            if count > member.weekly_cap:
                flag(
                    "weekly_cap",
                    f"member {member_id} has {count} shifts in week {week[0]}-W{week[1]:02d} "
                    f"(cap {member.weekly_cap})",
                    member_id,
                )
        if member.family is not None:
            family_load[member.family] += len(mine)
    for family, load in sorted(family_load.items()):
        cap = problem.family_caps.get(family)
        if cap is not None and load > cap:
            flag("family_cap", f"family {family} has {load} shifts (cap {cap})")

    for member_id, shift_id in sorted(problem.signups | problem.locks):
        if (member_id, shift_id) not in seen:
            flag(
                "kept",
                f"sign-up or lock ({member_id}, {shift_id}) was dropped",
                member_id,
                shift_id,
            )
    return found
