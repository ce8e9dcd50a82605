"""Changing a roster by hand over the API: substitutes, manual assignments, drops, locks, swaps.

Uses the shared roster fixtures of test_roster_matrix.py (side A 市第六小学, side B 桃山小学).
"""

# The shared fixtures are imported by name, which pytest needs and ruff reads as redefinition.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from huxue.api.tests.helpers import send
from huxue.api.tests.test_roster_matrix import (  # noqa: F401 (fixtures)
    Roster,
    _now,
    new_member,
    roster,
    term,
)
from huxue.notify.models import Notification
from huxue.people.models import Person
from huxue.roster.models import Assignment
from huxue.roster.swap_models import SwapRequest
from huxue.testing import City


class Hand:
    """On top of the roster: the volunteer on two shifts, a colleague, a pending swap, side B."""

    def __init__(self, city: City, roster: Roster) -> None:
        self.colleague = new_member(city, "张三")
        self.mine = Assignment.objects.create(
            published=True,
            shift=roster.a[2],
            person=city.person_a1,
            group="volunteer",
            source="solver",
        )
        self.swapped = Assignment.objects.create(
            published=True,
            shift=roster.a[4],
            person=city.person_a1,
            group="volunteer",
            source="solver",
        )
        self.pending = SwapRequest.objects.create(
            assignment=self.swapped, requested_by=city.person_a1, colleague=self.colleague
        )
        self.b = Assignment.objects.create(
            published=True,
            shift=roster.b[0],
            person=city.person_b1,
            group="volunteer",
            source="solver",
        )


@pytest.fixture
def hand(city: City, roster: Roster) -> Hand:
    return Hand(city, roster)


Call = Callable[[City, Roster, Hand], tuple[str, str, Any]]

ENDPOINTS: dict[str, Call] = {
    "substitutes A": lambda c, r, h: ("GET", f"/api/v1/shifts/{r.a[0].pk}/substitutes/", None),
    "substitutes B": lambda c, r, h: ("GET", f"/api/v1/shifts/{r.b[0].pk}/substitutes/", None),
    "add A": lambda c, r, h: (
        "POST",
        "/api/v1/assignments/",
        {"shift": r.a[1].pk, "person": h.colleague.pk},
    ),
    "drop A": lambda c, r, h: (
        "POST",
        f"/api/v1/assignments/{h.mine.pk}/drop/",
        {"reason": "生病"},
    ),
    "lock A": lambda c, r, h: (
        "POST",
        f"/api/v1/assignments/{h.mine.pk}/lock/",
        {"locked": True},
    ),
    "drop B": lambda c, r, h: ("POST", f"/api/v1/assignments/{h.b.pk}/drop/", {"reason": "生病"}),
    "list swaps": lambda c, r, h: ("GET", "/api/v1/swaps/", None),
    "ask swap": lambda c, r, h: (
        "POST",
        "/api/v1/swaps/",
        {"assignment": h.mine.pk, "colleague": h.colleague.pk},
    ),
    "approve": lambda c, r, h: ("POST", f"/api/v1/swaps/{h.pending.pk}/approve/", None),
    "reject": lambda c, r, h: ("POST", f"/api/v1/swaps/{h.pending.pk}/reject/", None),
}

# 400 for other_lead adding: shift A is not one they may name. 400 for leads asking a swap: no
# assignment of their own to name. 403: no role of theirs may plan (add) or sign up (ask).
# user:        sub A, sub B, add, drop A, lock A, drop B, list, ask, approve, reject
MATRIX: dict[str, tuple[int, ...]] = {
    "school_lead": (200, 404, 201, 200, 200, 404, 200, 400, 200, 200),
    "other_lead":  (404, 200, 400, 404, 404, 200, 200, 400, 404, 404),
    "volunteer":   (404, 404, 403, 404, 404, 404, 200, 201, 404, 404),
    "stranger":    (404, 404, 403, 404, 404, 404, 200, 403, 404, 404),
    "anonymous":   (401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
}  # fmt: skip


@pytest.mark.parametrize("user", list(MATRIX))
def test_hand_changes_answer_each_role_by_scope(
    client_for: Callable[[str], Client],
    city: City,
    roster: Roster,
    hand: Hand,
    subtests: Any,
    user: str,
) -> None:
    client = client_for(user)
    for (name, endpoint), expected in zip(ENDPOINTS.items(), MATRIX[user], strict=True):
        method, url, body = endpoint(city, roster, hand)
        with subtests.test(endpoint=name, expected=expected):
            with transaction.atomic():
                response = send(client, method, url, body)
                transaction.set_rollback(True)
            assert response.status_code == expected, response.content.decode()


SWAP_LISTS = {"school_lead": 1, "other_lead": 0, "volunteer": 1, "stranger": 0}


@pytest.mark.parametrize("user", list(SWAP_LISTS))
def test_swap_lists_show_leads_what_they_decide_and_members_their_own(
    client_for: Callable[[str], Client], hand: Hand, user: str
) -> None:
    rows = client_for(user).get("/api/v1/swaps/").json()["results"]
    assert [row["id"] for row in rows] == [hand.pending.pk] * SWAP_LISTS[user]


def test_add_drop_then_a_ranked_substitute_takes_the_shift(
    login: Any, city: City, roster: Roster, hand: Hand
) -> None:
    client = login("school_lead")
    shift = roster.a[1]
    added = send(
        client,
        "POST",
        "/api/v1/assignments/",
        {"shift": shift.pk, "person": hand.colleague.pk, "group": "volunteer"},
    )
    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["person"], body["source"], body["locked"]) == (hand.colleague.pk, "manual", True)
    assert body["shift"]["id"] == shift.pk and body["dropped_at"] is None

    dropped = send(client, "POST", f"/api/v1/assignments/{body['id']}/drop/", {"reason": "生病"})
    assert dropped.status_code == 200, dropped.content
    assert dropped.json()["drop_reason"] == "生病" and dropped.json()["dropped_at"]

    other = new_member(city, "王五")
    url = f"/api/v1/shifts/{shift.pk}/substitutes/"
    ranked = client.get(url, {"group": "volunteer"}).json()
    ids = [row["id"] for row in ranked]
    assert other.pk in ids
    assert hand.colleague.pk not in ids  # just taken off this shift: not offered for it again
    # The volunteer has reached the weekly cap of three (a sign-up and two assignments).
    assert city.person_a1.pk not in ids
    row = next(r for r in ranked if r["id"] == other.pk)
    assert row == {
        "id": other.pk,
        "name": "王五",
        "group": "volunteer",
        "week_shifts": 0,
        "home": True,
        "distance_km": 0.0,
    }
    every_group = client.get(url).json()
    assert {r["group"] for r in every_group} == {"volunteer"}  # no police or guard in the pool

    substitute = send(
        client,
        "POST",
        "/api/v1/assignments/",
        {"shift": shift.pk, "person": other.pk, "substitute": True},
    )
    assert substitute.status_code == 201, substitute.content
    assert substitute.json()["source"] == "substitute"
    live = Assignment.objects.filter(shift=shift, dropped_at__isnull=True)
    assert list(live.values_list("person_id", flat=True)) == [other.pk]


def test_the_rules_still_hold_when_adding_by_hand(
    login: Any, city: City, roster: Roster, hand: Hand
) -> None:
    client = login("school_lead")
    wrong_group = send(
        client,
        "POST",
        "/api/v1/assignments/",
        {"shift": roster.a[1].pk, "person": hand.colleague.pk, "group": "police"},
        lang="en",
    )
    assert wrong_group.status_code == 400
    assert wrong_group.json() == {"group": ["This member's force group is not the one chosen."]}
    unvetted = new_member(city, "赵六")
    Person.objects.filter(pk=unvetted.pk).update(vetting_status="pending")
    response = send(
        client,
        "POST",
        "/api/v1/assignments/",
        {"shift": roster.a[1].pk, "person": unvetted.pk},
        lang="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["This member has not passed the background check."]
    }
    no_reason = send(client, "POST", f"/api/v1/assignments/{hand.mine.pk}/drop/", {"reason": ""})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()


def test_a_lead_unlocks_and_locks_an_assignment(login: Any, hand: Hand) -> None:
    client = login("school_lead")
    url = f"/api/v1/assignments/{hand.mine.pk}/lock/"
    assert send(client, "POST", url, {"locked": True}).json()["locked"] is True
    assert send(client, "POST", url, {"locked": False}).json()["locked"] is False
    hand.mine.refresh_from_db()
    assert hand.mine.locked is False
    assert send(client, "POST", url, {}).status_code == 400


def test_a_swap_asked_by_the_member_and_approved_moves_the_assignment(
    login: Any, city: City, roster: Roster, hand: Hand
) -> None:
    member = login("volunteer")
    asked = send(
        member,
        "POST",
        "/api/v1/swaps/",
        {"assignment": hand.mine.pk, "colleague": hand.colleague.pk, "note": "出差"},
    )
    assert asked.status_code == 201, asked.content
    swap = asked.json()
    assert swap["status"] == "pending" and swap["colleague_name"] == "张三"
    assert swap["shift"]["id"] == roster.a[2].pk and swap["note"] == "出差"

    again = send(
        member,
        "POST",
        "/api/v1/swaps/",
        {"assignment": hand.mine.pk, "colleague": hand.colleague.pk},
        lang="en",
    )
    assert again.status_code == 400

    lead = login("school_lead")
    pending = {row["id"] for row in lead.get("/api/v1/swaps/").json()["results"]}
    assert pending == {swap["id"], hand.pending.pk}
    approved = send(lead, "POST", f"/api/v1/swaps/{swap['id']}/approve/")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"

    hand.mine.refresh_from_db()
    assert hand.mine.dropped_at is not None
    new = Assignment.objects.get(pk=approved.json()["new_assignment"])
    assert (new.shift_id, new.person_id, new.source) == (roster.a[2].pk, hand.colleague.pk, "swap")
    assert Notification.objects.filter(user=city.users["volunteer"]).exists()
    # Decided: no longer in the lead's list, still in the member's own, not decided twice.
    assert {row["id"] for row in lead.get("/api/v1/swaps/").json()["results"]} == {hand.pending.pk}
    mine = {row["id"]: row["status"] for row in member.get("/api/v1/swaps/").json()["results"]}
    assert mine[swap["id"]] == "approved"
    twice = send(lead, "POST", f"/api/v1/swaps/{swap['id']}/reject/", lang="en")
    assert twice.status_code == 400
    assert twice.json() == {"non_field_errors": ["This swap request has already been decided."]}


def test_a_rejected_swap_leaves_the_member_on_the_shift(login: Any, hand: Hand) -> None:
    response = send(login("school_lead"), "POST", f"/api/v1/swaps/{hand.pending.pk}/reject/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected" and response.json()["new_assignment"] is None
    hand.swapped.refresh_from_db()
    assert hand.swapped.dropped_at is None


def test_a_member_may_ask_only_a_colleague_from_the_list(
    login: Any, city: City, hand: Hand
) -> None:
    response = send(
        login("volunteer"),
        "POST",
        "/api/v1/swaps/",
        {"assignment": hand.mine.pk, "colleague": city.person_b1.pk},
        lang="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "colleague": ["This colleague cannot take the shift; choose one from the list."]
    }
    someone_elses = send(
        login("volunteer"),
        "POST",
        "/api/v1/swaps/",
        {"assignment": hand.b.pk, "colleague": hand.colleague.pk},
    )
    assert someone_elses.status_code == 400 and "assignment" in someone_elses.json()
