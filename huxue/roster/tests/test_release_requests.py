"""Release requests: a member who cannot come and has no colleague free to swap asks the school
lead to let them off; the lead sees it beside the swaps and decides; an approval opens the slot."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from huxue.core.models import AuditEvent
from huxue.notify.models import Notification
from huxue.people.models import Person
from huxue.roster.models import Assignment, Shift
from huxue.roster.planning import reminder_enqueue
from huxue.roster.selectors import drops_for_lead
from huxue.roster.services import availability_set, shifts_generate
from huxue.roster.swap_models import SwapRequest
from huxue.roster.swaps import open_groups, release_request, swap_decide
from huxue.testing import ROSTER_MONDAY, ROSTER_NOW, City, make_person, make_term

MONDAY = ROSTER_MONDAY
NOW = ROSTER_NOW
WINDOWS = [(d, dt.time(7), dt.time(8)) for d in range(5)]


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW, a week before the shifts."""


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
    """The volunteer login's own published shift (李红); no colleague of hers is free."""
    assignment = Assignment.objects.create(
        shift=shift,
        person=_vet(city.person_a1),
        group="volunteer",
        source="solver",
        published=True,
    )
    reminder_enqueue(assignment)
    return assignment


def ask_url(assignment: Assignment) -> str:
    return reverse("roster:swap_ask", args=[assignment.pk])


def test_with_no_colleague_free_the_member_asks_to_be_released_and_the_lead_approves(
    city: City, login, mine: Assignment
) -> None:
    member = login("volunteer")
    page = member.get(ask_url(mine))
    html = page.content.decode()
    assert page.context["colleagues"] == []
    assert "暂无同事有空接替" in html  # says no colleague is free …
    assert 'data-testid="release-form"' in html  # … and offers the way out

    assert member.post(ask_url(mine), {"ask": "release", "reason": ""}).status_code == 200
    assert not SwapRequest.objects.exists()  # a reason is required
    sent = member.post(ask_url(mine), {"ask": "release", "reason": "孩子发烧，要去医院"})
    assert sent.status_code == 302
    release = SwapRequest.objects.get()
    assert (release.kind, release.colleague, release.status, release.note) == (
        "release",
        None,
        "pending",
        "孩子发烧，要去医院",
    )
    assert 'data-testid="swap-pending"' in member.get(ask_url(mine)).content.decode()

    lead = login("school_lead")
    assert list(lead.get(reverse("roster:lead")).context["swaps"]) == [release]
    listing = lead.get(reverse("roster:swaps"))
    assert list(listing.context["pending"]) == [release]
    row = listing.content.decode().split(f'data-testid="swap-{release.pk}"')[1].split("</tr>")[0]
    for shown in (
        "市第六小学",
        city.post_a1.name,
        "12-07",
        "07:00–08:00",
        "李红",
        "孩子发烧，要去医院",
        "申请免除班次",
    ):
        assert shown in row, shown

    assert open_groups(mine.shift).get("volunteer", 0) == 1  # needs two, one rostered
    lead.post(reverse("roster:swap_decide", args=[release.pk]), {"decision": "approve"})
    lead.post(reverse("roster:swap_decide", args=[release.pk]), {"decision": "approve"})  # again

    release.refresh_from_db()
    mine.refresh_from_db()
    assert release.status == "approved" and release.decided_by == city.users["school_lead"]
    # Agreed: off the planned and the published roster at once, the reminder cancelled.
    assert mine.dropped_at == NOW and not mine.published
    assert mine.drop_reason == "孩子发烧，要去医院"
    reminders = Notification.objects.filter(kind="shift.reminder", user=city.users["volunteer"])
    assert reminders.exists() and all(n.status == "cancelled" for n in reminders)
    told = Notification.objects.get(dedupe_key=f"release:{release.pk}:approved")
    assert told.user == city.users["volunteer"] and "无需到岗" in told.body
    # The slot is now a gap: counted as open, listed to fill, and the shift page offers people.
    assert open_groups(mine.shift)["volunteer"] == 2
    assert mine in list(drops_for_lead(city.users["school_lead"]))
    decided = lead.get(reverse("roster:swaps")).content.decode()
    assert reverse("roster:shift_lead", args=[mine.shift_id]) in decided
    assert AuditEvent.objects.filter(action="release.request").count() == 1
    assert AuditEvent.objects.filter(action="release.approve").count() == 1
    assert mine.shift_id not in {
        a.shift_id for a in member.get(reverse("roster:my_shifts")).context["assignments"]
    }


def test_the_lead_declines_and_the_member_is_asked_to_come(
    city: City, login, mine: Assignment
) -> None:
    release = release_request(actor=city.users["volunteer"], assignment=mine, reason="出差")
    login("school_lead").post(
        reverse("roster:swap_decide", args=[release.pk]), {"decision": "reject"}
    )
    release.refresh_from_db()
    mine.refresh_from_db()
    assert release.status == "rejected" and mine.dropped_at is None and mine.published
    told = Notification.objects.get(dedupe_key=f"release:{release.pk}:rejected")
    assert told.user == city.users["volunteer"]
    assert "按计划" in told.body and "学校保卫干部" in told.body
    page = login("volunteer").get(ask_url(mine)).content.decode()
    assert 'data-testid="release-declined"' in page
    assert 'data-testid="release-form"' in page  # may ask again
    assert AuditEvent.objects.filter(action="release.reject").count() == 1


def test_a_member_with_a_free_colleague_is_pointed_to_the_swap(
    city: City, login, mine: Assignment
) -> None:
    colleague = _vet(make_person(city, unit=city.school_a1.unit, name="赵敏", force_type="parent"))
    page = login("volunteer").get(ask_url(mine))
    assert [c.person_id for c in page.context["colleagues"]] == [colleague.pk]
    assert 'data-testid="release-form"' not in page.content.decode()
    with pytest.raises(ValidationError) as raised:
        release_request(actor=city.users["volunteer"], assignment=mine, reason="出差")
    assert raised.value.code == "colleague_free"
    assert not SwapRequest.objects.exists()


def test_a_release_needs_a_reason_an_own_upcoming_shift_and_one_request_at_a_time(
    city: City, mine: Assignment
) -> None:
    volunteer = city.users["volunteer"]
    with pytest.raises(ValidationError) as raised:
        release_request(actor=volunteer, assignment=mine, reason="  ")
    assert raised.value.code == "reason"
    with pytest.raises(ValidationError) as raised:
        release_request(actor=city.users["school_lead"], assignment=mine, reason="出差")
    assert raised.value.code == "own"
    release_request(actor=volunteer, assignment=mine, reason="出差")
    with pytest.raises(ValidationError) as raised:
        release_request(actor=volunteer, assignment=mine, reason="出差")
    assert raised.value.code == "duplicate"
    assert SwapRequest.objects.count() == 1


def test_other_leads_and_members_cannot_decide_a_release(
    city: City, login, mine: Assignment
) -> None:
    release = release_request(actor=city.users["volunteer"], assignment=mine, reason="出差")
    for user in ("other_lead", "volunteer"):
        response = login(user).post(
            reverse("roster:swap_decide", args=[release.pk]), {"decision": "approve"}
        )
        assert response.status_code == 404
    assert login("other_lead").get(reverse("roster:swaps")).context["pending"].count() == 0
    release.refresh_from_db()
    mine.refresh_from_db()
    assert release.status == "pending" and mine.dropped_at is None


def test_a_decided_release_cannot_be_decided_again(city: City, mine: Assignment) -> None:
    release = release_request(actor=city.users["volunteer"], assignment=mine, reason="出差")
    swap_decide(actor=city.users["school_lead"], swap=release, approve=False)
    with pytest.raises(ValidationError):
        swap_decide(actor=city.users["school_lead"], swap=release, approve=True)
    mine.refresh_from_db()
    assert mine.dropped_at is None


def test_the_database_keeps_a_colleague_for_swaps_and_none_for_releases(
    city: City, mine: Assignment
) -> None:
    for kind, colleague in (("swap", None), ("release", city.person_b1)):
        with pytest.raises(IntegrityError), transaction.atomic():
            SwapRequest.objects.create(
                assignment=mine, requested_by=city.person_a1, kind=kind, colleague=colleague
            )


def test_a_release_over_the_api(city: City, login, mine: Assignment) -> None:
    member = login("volunteer")
    missing_reason = member.post(
        "/api/v1/swaps/",
        {"assignment": mine.pk, "kind": "release"},
        content_type="application/json",
    )
    assert missing_reason.status_code == 400, missing_reason.content
    assert "note" in str(missing_reason.json())
    created = member.post(
        "/api/v1/swaps/",
        {"assignment": mine.pk, "kind": "release", "note": "出差"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["colleague"], body["colleague_name"], body["status"]) == (
        "release",
        None,
        None,
        "pending",
    )
    lead = login("school_lead")
    assert [r["id"] for r in lead.get("/api/v1/swaps/").json()["results"]] == [body["id"]]
    approved = lead.post(f"/api/v1/swaps/{body['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    mine.refresh_from_db()
    assert mine.dropped_at is not None and not mine.published
    assert login("other_lead").post(f"/api/v1/swaps/{body['id']}/reject/").status_code == 404
