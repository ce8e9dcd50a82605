"""Swaps: a member asks, the school lead approves or rejects, the shift moves, both are told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from huxue.core.models import AuditEvent
from huxue.notify.models import Notification
from huxue.people.models import Person
from huxue.roster.models import Assignment, Shift
from huxue.roster.services import availability_set, shifts_generate
from huxue.roster.swap_models import SwapRequest
from huxue.roster.swaps import swap_decide, swap_request
from huxue.testing import ROSTER_MONDAY, ROSTER_NOW, City, make_person, make_term, make_user

MONDAY = ROSTER_MONDAY
NOW = ROSTER_NOW
WINDOWS = [(d, dt.time(7), dt.time(8)) for d in range(5)]


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW."""


def _vet(person: Person) -> Person:
    Person.objects.filter(pk=person.pk).update(
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
    )
    availability_set(actor=None, person=person, windows=WINDOWS)
    person.refresh_from_db()
    return person


@pytest.fixture
def shift(city: City) -> Shift:
    make_term(city)
    shifts_generate(actor=None, posts=[city.post_a1], start=MONDAY, end=MONDAY)
    return Shift.objects.filter(post=city.post_a1).order_by("starts_at").first()  # type: ignore[return-value]


@pytest.fixture
def mine(city: City, shift: Shift) -> Assignment:
    """The volunteer login's own rostered shift (李红, community volunteer of school_a1)."""
    return Assignment.objects.create(
        published=True, shift=shift, person=_vet(city.person_a1), group="volunteer", source="solver"
    )


@pytest.fixture
def colleague(city: City) -> Person:
    person = _vet(make_person(city, unit=city.school_a1.unit, name="赵敏", force_type="parent"))
    user = make_user("zhaomin", "member", unit=city.school_a1.unit)
    Person.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    return person


def test_a_member_asks_the_lead_approves_and_the_shift_moves(
    city: City, login, mine: Assignment, colleague: Person
) -> None:
    member = login("volunteer")
    page = member.get(reverse("roster:swap_ask", args=[mine.pk]))
    assert page.status_code == 200
    assert [c.person_id for c in page.context["colleagues"]] == [colleague.pk]

    member.post(
        reverse("roster:swap_ask", args=[mine.pk]), {"colleague": colleague.pk, "note": "出差"}
    )
    swap = SwapRequest.objects.get()
    assert (swap.status, swap.requested_by, swap.colleague, swap.note) == (
        "pending",
        city.person_a1,
        colleague,
        "出差",
    )
    lead = login("school_lead")
    listing = lead.get(reverse("roster:swaps"))
    assert list(listing.context["pending"]) == [swap]

    lead.post(reverse("roster:swap_decide", args=[swap.pk]), {"decision": "approve"})
    lead.post(reverse("roster:swap_decide", args=[swap.pk]), {"decision": "approve"})  # again

    swap.refresh_from_db()
    mine.refresh_from_db()
    assert swap.status == "approved" and swap.decided_by == city.users["school_lead"]
    assert (mine.dropped_at, mine.drop_reason) == (NOW, "swap")
    new = Assignment.objects.get(shift=mine.shift, dropped_at__isnull=True)
    assert (new.person, new.source, new.group) == (colleague, "swap", "volunteer")
    assert swap.new_assignment == new
    told = Notification.objects.filter(dedupe_key__startswith=f"swap:{swap.pk}:")
    assert sorted(n.user_id for n in told) == sorted(
        [city.users["volunteer"].pk, colleague.user_id]
    )
    assert AuditEvent.objects.filter(action="swap.approve").count() == 1
    assert AuditEvent.objects.filter(action="swap.request").count() == 1


def test_the_lead_rejects_and_nothing_moves(
    city: City, login, mine: Assignment, colleague: Person
) -> None:
    swap = swap_request(actor=city.users["volunteer"], assignment=mine, colleague=colleague)
    login("school_lead").post(reverse("roster:swap_decide", args=[swap.pk]), {"decision": "reject"})
    swap.refresh_from_db()
    mine.refresh_from_db()
    assert swap.status == "rejected" and mine.dropped_at is None
    assert Assignment.objects.filter(dropped_at__isnull=True).count() == 1
    told = Notification.objects.filter(dedupe_key__startswith=f"swap:{swap.pk}:")
    assert [n.user_id for n in told] == [city.users["volunteer"].pk]
    assert AuditEvent.objects.filter(action="swap.reject").count() == 1


def test_a_decided_swap_cannot_be_decided_again(
    city: City, mine: Assignment, colleague: Person
) -> None:
    swap = swap_request(actor=city.users["volunteer"], assignment=mine, colleague=colleague)
    swap_decide(actor=city.users["school_lead"], swap=swap, approve=False)
    with pytest.raises(ValidationError):
        swap_decide(actor=city.users["school_lead"], swap=swap, approve=True)


def test_other_leads_and_members_cannot_see_or_decide_swaps(
    city: City, login, mine: Assignment, colleague: Person
) -> None:
    swap = swap_request(actor=city.users["volunteer"], assignment=mine, colleague=colleague)
    for user in ("other_lead", "volunteer"):
        client = login(user)
        response = client.post(
            reverse("roster:swap_decide", args=[swap.pk]), {"decision": "approve"}
        )
        assert response.status_code == 404
    assert login("other_lead").get(reverse("roster:swaps")).context["pending"].count() == 0
    swap.refresh_from_db()
    assert swap.status == "pending"


def test_a_member_cannot_ask_for_someone_elses_shift_or_an_ineligible_colleague(
    city: City, login, mine: Assignment, colleague: Person
) -> None:
    stranger_shift = Assignment.objects.create(
        published=True, shift=mine.shift, person=colleague, group="volunteer", source="solver"
    )
    assert (
        login("volunteer").get(reverse("roster:swap_ask", args=[stranger_shift.pk])).status_code
        == 404
    )
    with pytest.raises(ValidationError):
        swap_request(actor=city.users["volunteer"], assignment=stranger_shift, colleague=colleague)
    unvetted = make_person(city, unit=city.school_a1.unit, name="未审", force_type="parent")
    with pytest.raises(ValidationError):
        swap_request(actor=city.users["volunteer"], assignment=mine, colleague=unvetted)
    guard = _vet(make_person(city, unit=city.school_a1.unit, name="保安", force_type="guard"))
    with pytest.raises(ValidationError):  # another force group
        swap_request(actor=city.users["volunteer"], assignment=mine, colleague=guard)
    other_school = _vet(
        make_person(city, unit=city.school_a2.unit, name="外校", force_type="parent")
    )
    with pytest.raises(ValidationError):
        swap_request(actor=city.users["volunteer"], assignment=mine, colleague=other_school)
    assert not SwapRequest.objects.exists()


def test_one_pending_request_per_shift(city: City, mine: Assignment, colleague: Person) -> None:
    swap_request(actor=city.users["volunteer"], assignment=mine, colleague=colleague)
    with pytest.raises(ValidationError):
        swap_request(actor=city.users["volunteer"], assignment=mine, colleague=colleague)


def test_approval_fails_cleanly_when_the_colleague_became_busy(
    city: City, mine: Assignment, colleague: Person
) -> None:
    swap = swap_request(actor=city.users["volunteer"], assignment=mine, colleague=colleague)
    other_post_shift = Shift.objects.create(
        post=city.post_b1,
        day=mine.shift.day,
        start=mine.shift.start,
        end=mine.shift.end,
        starts_at=mine.shift.starts_at,
        ends_at=mine.shift.ends_at,
        requirements={"volunteer": 1},
    )
    Assignment.objects.create(
        published=True, shift=other_post_shift, person=colleague, group="volunteer", source="manual"
    )
    with pytest.raises(ValidationError):
        swap_decide(actor=city.users["school_lead"], swap=swap, approve=True)
    mine.refresh_from_db()
    swap.refresh_from_db()
    assert mine.dropped_at is None and swap.status == "pending"
    assert not Notification.objects.filter(dedupe_key__startswith="swap:").exists()
