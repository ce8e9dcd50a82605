"""Why a slot stayed empty, and what would fill it.

Reasons are checked in this order for each slot; the first that holds is given:
  no_group        nobody of that force group at all
  not_vetted      nobody of the group has passed the background check
  not_trained     nobody vetted has valid training
  not_available   nobody eligible is available at that time
  cap_or_busy     every eligible, available member is at a cap or on another shift then
  not_chosen      someone could still stand there, but only by emptying a slot that counts more
                  (or, when overlaps chain, the solver's restriction kept them out)
Codes and params are what the Django layer translates; the English sentences are defaults.

Besides the counts, params name the people nearest to a fix, as [member id, km to the post]:
  capped    eligible and free then, kept out only by their weekly cap (nearest first)
  unready   free then and within reach of the post, but not vetted or not trained: each with
            "vet" or "train", what they still need
At most NAMED of each: the Django layer shows them (masked) as the people to ask first.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from huxue.roster.solver.model import Assignment, Member, Problem, Shift, UnfilledSlot, km

NAMED = 3  # people named per list (capped, unready) for one empty slot

REASONS = (
    "no_group",
    "not_vetted",
    "not_trained",
    "not_available",
    "cap_or_busy",
    "not_chosen",
)

# English defaults, as (one, many): the solver stays free of Django, so it picks the plural form
# itself (english_plural) rather than through ngettext; the Django layer translates by code.
_MESSAGES: dict[str, tuple[str, str]] = {
    "no_group": ("Nobody in the {group} group is registered.",) * 2,
    "not_vetted": ("Nobody in the {group} group has passed the background check.",) * 2,
    "not_trained": ("Nobody vetted in the {group} group has valid training.",) * 2,
    "not_available": ("No eligible {group} member is available at this time.",) * 2,
    "cap_or_busy": (
        "The one eligible {group} member available then is at their cap or on another shift.",
        "All {candidates} eligible {group} members available then are at their cap "
        "or on another shift.",
    ),
    "not_chosen": ("Filling this slot would leave a more important slot empty.",) * 2,
}
_SUGGESTIONS: dict[str, tuple[str, tuple[str, str]]] = {
    "no_group": (
        "recruit",
        (
            "Recruit {count} {group} member near school {school}.",
            "Recruit {count} {group} members near school {school}.",
        ),
    ),
    "not_vetted": (
        "vet",
        (
            "Complete the background check of {count} {group} member near school {school}.",
            "Complete the background check of {count} {group} members near school {school}.",
        ),
    ),
    "not_trained": (
        "train",
        (
            "Train {count} vetted {group} member near school {school}.",
            "Train {count} vetted {group} members near school {school}.",
        ),
    ),
    "not_available": (
        "recruit",
        (
            "Recruit {count} vetted {group} member near school {school}.",
            "Recruit {count} vetted {group} members near school {school}.",
        ),
    ),
    "cap_or_busy": (
        "raise_cap",
        (
            "Recruit {count} more {group} member near school {school} or raise the weekly cap.",
            "Recruit {count} more {group} members near school {school} or raise the weekly cap.",
        ),
    ),
    "not_chosen": (
        "recruit",
        (
            "Recruit {count} more {group} member near school {school}.",
            "Recruit {count} more {group} members near school {school}.",
        ),
    ),
}


def english_plural(forms: tuple[str, str], count: int) -> str:
    """English has one form for exactly one and another for every other count (0 included)."""
    return forms[0] if count == 1 else forms[1]


def explain(problem: Problem, assignments: list[Assignment]) -> list[UnfilledSlot]:
    members = sorted(problem.members, key=lambda m: m.id)
    shifts = {s.id: s for s in problem.shifts}
    filled: Counter[tuple[int, str]] = Counter((a.shift, a.group) for a in assignments)
    on: dict[int, list[Shift]] = defaultdict(list)
    week_load: Counter[tuple[int, tuple[int, int]]] = Counter()
    family_load: Counter[int] = Counter()
    by_id = {m.id: m for m in members}
    for a in assignments:
        s = shifts[a.shift]
        on[a.member].append(s)
        week_load[(a.member, s.week())] += 1
        family = by_id[a.member].family
        if family is not None:
            family_load[family] += 1

    def at_cap(m: Member, shift: Shift) -> bool:
        return week_load[(m.id, shift.week())] >= m.weekly_cap

    def blocked_otherwise(m: Member, shift: Shift) -> bool:
        """By the family cap or another shift at the same time: not a cap a lead can raise."""
        cap = problem.family_caps.get(m.family) if m.family is not None else None
        if cap is not None and m.family is not None and family_load[m.family] >= cap:
            return True
        return any(
            o.day == shift.day and o.start < shift.end and shift.start < o.end for o in on[m.id]
        )

    def blocked(m: Member, shift: Shift) -> bool:
        return at_cap(m, shift) or blocked_otherwise(m, shift)

    def nearest(people: list[Member], shift: Shift) -> list[tuple[float, Member]]:
        by_distance = sorted(
            ((round(km(m.lat, m.lng, shift.lat, shift.lng), 1), m) for m in people),
            key=lambda pair: (pair[0], pair[1].id),
        )
        return by_distance[:NAMED]

    pool: Counter[str] = Counter(m.group for m in members)
    vetted: Counter[str] = Counter(m.group for m in members if m.vetted)
    trained: Counter[str] = Counter(m.group for m in members if m.vetted and m.trained)
    who_can: dict[int, set[int]] = defaultdict(set)  # shift → members available for it
    for member_id, shift_ids in problem.availability.items():
        for shift_id in shift_ids:
            who_can[shift_id].add(member_id)
    for member_id, shift_id in problem.signups | problem.locks:
        who_can[shift_id].add(member_id)

    out: list[UnfilledSlot] = []
    for shift in sorted(problem.shifts, key=lambda s: s.id):
        for group, need in sorted(shift.requirements.items()):
            missing = need - filled[(shift.id, group)]
            if missing <= 0:
                continue
            of_group = [by_id[i] for i in sorted(who_can[shift.id]) if i in by_id]
            of_group = [m for m in of_group if m.group == group]
            available = [m for m in of_group if m.vetted and m.trained]
            capped = [
                [m.id, d]
                for d, m in nearest(
                    [m for m in available if at_cap(m, shift) and not blocked_otherwise(m, shift)],
                    shift,
                )
            ]
            unready = [
                [m.id, d, "train" if m.vetted else "vet"]
                for d, m in nearest([m for m in of_group if not (m.vetted and m.trained)], shift)
            ]
            if not pool[group]:
                reason = "no_group"
            elif not vetted[group]:
                reason = "not_vetted"
            elif not trained[group]:
                reason = "not_trained"
            elif not available:
                reason = "not_available"
            elif all(blocked(m, shift) for m in available):
                reason = "cap_or_busy"
            else:
                reason = "not_chosen"
            params: dict[str, int | str] = {
                "count": missing,
                "group": group,
                "school": shift.school,
                "post": shift.post,
                "candidates": len(available),
            }
            extra = {"capped": capped, "unready": unready}
            code, suggestion = _SUGGESTIONS[reason]
            out.append(
                UnfilledSlot(
                    shift=shift.id,
                    group=group,
                    missing=missing,
                    reason=reason,
                    message=english_plural(_MESSAGES[reason], len(available)).format(**params),
                    suggestion=code,
                    suggestion_text=english_plural(suggestion, missing).format(**params),
                    params={**params, **extra},
                )
            )
    return out
