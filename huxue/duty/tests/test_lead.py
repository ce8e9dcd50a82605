"""The lead's shift page at the gate: roll call, call-outs of substitutes and the member's answer;
the same over the API."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from huxue.core.models import AuditEvent
from huxue.duty.alerts.services import callout_answer, callout_create, callouts_expire, gap_scan
from huxue.duty.models import CallOut, CheckIn, GapAlert
from huxue.notify.models import Notification
from huxue.people.models import Person
from huxue.roster.models import Assignment
from huxue.roster.services import availability_set
from huxue.testing import ROSTER_MONDAY, City, local_at, make_person, make_shift, make_user

VOLUNTEERS_2 = {"volunteer": 2}


@pytest.fixture(autouse=True)
def _base_url(settings) -> None:
    settings.HUXUE_BASE_URL = "http://testserver.example"


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """at(hh, mm) freezes the clock at that time on the shift's day (before logging in)."""

    def freeze(hh: int, mm: int = 0) -> dt.datetime:
        moment = local_at(ROSTER_MONDAY, hh, mm)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def vet(person: Person) -> Person:
    """Vetted, trained and free on Monday mornings."""
    Person.objects.filter(pk=person.pk).update(
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
    )
    availability_set(actor=None, person=person, windows=[(0, dt.time(6, 30), dt.time(9))])
    person.refresh_from_db()
    return person


@pytest.fixture
def shift(city: City):
    """07:00–08:00 at 市第六小学's south gate, needing two volunteers."""
    return make_shift(city.post_a1, requirements=VOLUNTEERS_2)


@pytest.fixture
def rostered(city: City, shift) -> dict[str, Assignment]:
    """李红 (the volunteer login) and 周平 (no account) are rostered on the shift."""
    no_phone = vet(make_person(city, unit=city.school_a1.unit, name="周平", force_type="parent"))
    return {
        name: Assignment.objects.create(
            published=True, shift=shift, person=person, group="volunteer", source="solver"
        )
        for name, person in (("lihong", city.person_a1), ("zhouping", no_phone))
    }


@pytest.fixture
def sub(city: City) -> Person:
    """赵敏: a parent volunteer of the school with an account, free to stand in."""
    person = vet(make_person(city, unit=city.school_a1.unit, name="赵敏", force_type="parent"))
    user = make_user("zhaomin", "member", unit=city.school_a1.unit)
    city.users["zhaomin"] = user
    Person.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    return person


@pytest.fixture
def offline_sub(city: City) -> Person:
    """孙丽: free to stand in, but has no account: the lead must phone her."""
    return vet(make_person(city, unit=city.school_a1.unit, name="孙丽", force_type="parent"))


def page_url(shift) -> str:
    return reverse("duty:shift", args=[shift.pk])


def rollcall(client, shift, person, present: bool):
    return client.post(
        reverse("duty:shift_rollcall", args=[shift.pk]),
        {"person": person.pk, "present": "1" if present else "0"},
    )


def checked_in_at_0658(assignment: Assignment, *, out: dt.datetime | None = None) -> CheckIn:
    """The rostered member checked in by phone at 06:58 (and out at ``out``)."""
    person = assignment.person
    return CheckIn.objects.create(
        person=person,
        post=assignment.shift.post,
        shift=assignment.shift,
        assignment=assignment,
        group=assignment.group,
        force_type=person.force_type,
        day=assignment.shift.day,
        method="gps",
        at=local_at(ROSTER_MONDAY, 6, 58),
        server_at=local_at(ROSTER_MONDAY, 6, 58),
        checked_out_at=out,
    )


# ---------------------------------------------------------------------------------------------
# Who sees the page


def test_the_lead_sees_needs_roster_and_buttons(city: City, login, shift, rostered, at) -> None:
    at(7, 5)
    lihong = rostered["lihong"].person
    checked_in_at_0658(rostered["lihong"])
    response = login("school_lead").get(page_url(shift))
    assert response.status_code == 200
    html = response.content.decode()
    need = response.context["needs"][0]
    assert (need["group"], need["need"], need["rostered"], need["on_duty"], need["missing"]) == (
        "volunteer",
        2,
        2,
        1,
        1,
    )
    zhou = rostered["zhouping"].person_id
    assert f'data-testid="present-{zhou}"' in html
    assert f'data-testid="left-{lihong.pk}"' in html
    assert f'data-testid="present-{lihong.pk}"' not in html


def test_an_ended_window_counts_who_came_not_who_is_still_there(
    city: City, login, shift, rostered, at
) -> None:
    """After 08:00 a lead reads what happened: 李红 came and went home at 07:55, 周平 never came;
    one volunteer came, one is missing (not two because nobody is there any more)."""
    checked_in_at_0658(rostered["lihong"], out=local_at(ROSTER_MONDAY, 7, 55))
    at(7, 30)
    during = login("school_lead").get(page_url(shift))
    assert (during.context["needs"][0]["on_duty"], during.context["needs"][0]["missing"]) == (0, 2)

    at(9, 0)
    response = login("school_lead").get(page_url(shift))
    need = response.context["needs"][0]
    assert (need["need"], need["on_duty"], need["missing"]) == (2, 1, 1)
    html = response.content.decode()
    assert "到岗" in html and "正在值守" not in html
    assert "已签退 · 06:58–07:55" in html
    assert 'name="present"' not in html  # no roll call on a window that is over


@pytest.mark.parametrize("name", ["education", "inspector"])
def test_watchers_see_the_page_without_buttons(
    city: City, login, shift, rostered, sub, at, name: str
) -> None:
    at(7, 15)
    response = login(name).get(page_url(shift))
    assert response.status_code == 200
    html = response.content.decode()
    assert "rostered-" in html
    assert "present-" not in html and "left-" not in html
    assert response.context["substitutes"] == []
    assert 'name="present"' not in html


@pytest.mark.parametrize("name", ["volunteer", "other_lead", "stranger", "sysadmin", "auditor"])
def test_others_get_404(city: City, login, shift, rostered, at, name: str) -> None:
    at(7, 15)
    client = login(name)
    assert client.get(page_url(shift)).status_code == 404
    assert rollcall(client, shift, rostered["zhouping"].person, True).status_code == 404
    assert not CheckIn.objects.exists()


def test_the_gap_alert_shows_on_the_page(city: City, login, shift, rostered, at) -> None:
    at(7, 12)
    gap_scan()
    response = login("station_officer").get(page_url(shift))
    assert response.context["alert"] == GapAlert.objects.get()
    assert 'data-testid="gap-alert"' in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Roll call


def test_roll_call_present_then_left_is_recorded_and_audited(
    city: City, login, shift, rostered, at
) -> None:
    at(7, 3)
    lead = login("school_lead")
    person = rostered["zhouping"].person

    assert rollcall(lead, shift, person, True).status_code == 302
    checkin = CheckIn.objects.get(person=person)
    assert checkin.method == CheckIn.Method.ROLLCALL
    assert checkin.recorded_by == city.users["school_lead"]
    assert checkin.assignment == rostered["zhouping"] and not checkin.is_walkin
    assert checkin.shift == shift and checkin.is_open
    assert AuditEvent.objects.filter(
        action="duty.rollcall", object_id=str(checkin.pk), actor_id=city.users["school_lead"].pk
    ).exists()

    rollcall(lead, shift, person, True)  # a second tap: still one check-in
    assert CheckIn.objects.filter(person=person).count() == 1

    assert rollcall(lead, shift, person, False).status_code == 302
    checkin.refresh_from_db()
    assert checkin.checked_out_at == local_at(ROSTER_MONDAY, 7, 3)
    assert checkin.checkout_method == CheckIn.Checkout.ROLLCALL
    assert AuditEvent.objects.filter(action="duty.rollcall.out", object_id=str(checkin.pk)).exists()


def test_roll_call_over_the_api(city: City, login, shift, rostered, at) -> None:
    at(7, 6)
    officer = login("station_officer")
    person = rostered["zhouping"].person
    url = f"/api/v1/shifts/{shift.pk}/rollcall/"

    made = officer.post(
        url, {"person": person.pk, "present": True}, content_type="application/json"
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["method"] == "rollcall" and body["shift"] == shift.pk
    assert body["flags"] == ["late"]  # 07:06, past the city's 5 minutes
    row = CheckIn.objects.get(pk=body["id"])
    assert row.recorded_by == city.users["station_officer"]

    again = officer.post(
        url, {"person": person.pk, "present": True}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["reason"] == "already_here"

    gone = officer.post(
        url, {"person": person.pk, "present": False}, content_type="application/json"
    )
    assert gone.status_code == 200 and gone.json()["checked_out_at"]
    row.refresh_from_db()
    assert row.checkout_method == "rollcall"

    none_open = officer.post(
        url, {"person": person.pk, "present": False}, content_type="application/json"
    )
    assert none_open.status_code == 409 and none_open.json()["reason"] == "not_open"


@pytest.mark.parametrize("name", ["education", "volunteer", "other_lead"])
def test_roll_call_api_is_404_without_the_right(
    city: City, login, shift, rostered, at, name: str
) -> None:
    at(7, 6)
    response = login(name).post(
        f"/api/v1/shifts/{shift.pk}/rollcall/",
        {"person": rostered["zhouping"].person_id, "present": True},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not CheckIn.objects.exists()


def test_roll_call_of_someone_elses_member_is_refused(city: City, login, shift, at) -> None:
    at(7, 6)
    response = login("school_lead").post(
        f"/api/v1/shifts/{shift.pk}/rollcall/",
        {"person": city.person_b1.pk, "present": True},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not CheckIn.objects.exists()


# ---------------------------------------------------------------------------------------------
# Call-outs


def test_the_short_post_lists_ranked_substitutes_with_phone_only_members_masked(
    city: City, login, shift, rostered, sub, offline_sub, at
) -> None:
    at(7, 15)
    response = login("school_lead").get(page_url(shift))
    html = response.content.decode()
    [group] = response.context["substitutes"]
    assert group["group"] == "volunteer" and group["missing"] == 2
    ids = [p["candidate"].person_id for p in group["people"]]
    assert set(ids) == {sub.pk, offline_sub.pk}  # rostered members are not offered
    assert f'data-testid="callout-{sub.pk}"' in html
    assert f'data-testid="callout-{offline_sub.pk}"' not in html
    assert offline_sub.phone_masked in html
    assert offline_sub.phone not in html


def test_call_out_accept_and_the_member_checks_in_as_rostered(
    city: City, login, shift, rostered, sub, at
) -> None:
    at(7, 15)
    lead = login("school_lead")
    response = lead.post(
        reverse("duty:shift_callout", args=[shift.pk]), {"person": sub.pk, "group": "volunteer"}
    )
    assert response.status_code == 302
    callout = CallOut.objects.get()
    assert (callout.shift, callout.person, callout.group, callout.status, callout.called_by) == (
        shift,
        sub,
        "volunteer",
        "pending",
        city.users["school_lead"],
    )
    told = Notification.objects.get(dedupe_key=f"callout:{callout.pk}")
    assert told.user == sub.user
    assert f"http://testserver.example/duty/callouts/{callout.pk}/" in told.body
    assert AuditEvent.objects.filter(action="callout.create", object_id=str(callout.pk)).exists()
    # Called already: no second button, no second call-out.
    assert sub.pk not in {
        p["candidate"].person_id
        for g in lead.get(page_url(shift)).context["substitutes"]
        for p in g["people"]
    }
    lead.post(reverse("duty:shift_callout", args=[shift.pk]), {"person": sub.pk})
    assert CallOut.objects.count() == 1

    member = login("zhaomin")
    page = member.get(reverse("duty:callout", args=[callout.pk]))
    assert page.status_code == 200
    assert 'data-testid="accept"' in page.content.decode()
    answered = member.post(reverse("duty:callout", args=[callout.pk]), {"answer": "accept"})
    assert answered.status_code == 302

    callout.refresh_from_db()
    assert callout.status == "accepted" and callout.answered_at is not None
    assignment = callout.assignment
    assert (assignment.shift, assignment.person, assignment.source, assignment.dropped_at) == (
        shift,
        sub,
        Assignment.Source.SUBSTITUTE,
        None,
    )
    assert AuditEvent.objects.filter(action="callout.accept", actor_id=sub.user_id).exists()
    # Written by the roster's own assignment service: audited and the member told.
    assert AuditEvent.objects.filter(
        action="assignment.substitute", object_id=str(assignment.pk)
    ).exists()
    assert Notification.objects.filter(
        dedupe_key=f"roster.assigned:assignment:{assignment.pk}", user=sub.user
    ).exists()
    assert (
        Notification.objects.get(dedupe_key=f"callout:{callout.pk}:answer").user
        == (city.users["school_lead"])
    )
    done = member.get(reverse("duty:callout", args=[callout.pk])).content.decode()
    assert 'data-testid="check-in-link"' in done and 'data-testid="accept"' not in done

    checked = member.post(
        "/api/v1/checkins/",
        {
            "post": shift.post_id,
            "method": "gps",
            "latitude": str(shift.post.latitude),
            "longitude": str(shift.post.longitude),
            "accuracy": 10,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert checked.status_code == 201, checked.json()
    assert "walkin" not in checked.json()["flags"]
    row = CheckIn.objects.get(person=sub)
    assert row.assignment == assignment and not row.is_walkin


def test_a_member_declines(city: City, login, shift, sub, at) -> None:
    at(7, 15)
    callout = callout_create(actor=city.users["school_lead"], shift=shift, person=sub)
    member = login("zhaomin")
    member.post(reverse("duty:callout", args=[callout.pk]), {"answer": "decline"})
    callout.refresh_from_db()
    assert callout.status == "declined" and callout.assignment is None
    assert not Assignment.objects.filter(person=sub).exists()
    assert AuditEvent.objects.filter(action="callout.decline", object_id=str(callout.pk)).exists()
    # Declined, then accepted by a second tap on the old page: refused, nothing rostered.
    member.post(reverse("duty:callout", args=[callout.pk]), {"answer": "accept"})
    callout.refresh_from_db()
    assert callout.status == "declined"
    assert not Assignment.objects.filter(person=sub).exists()


@pytest.mark.parametrize("name", ["volunteer", "school_lead", "station_officer"])
def test_nobody_else_can_see_or_answer_a_call_out(
    city: City, login, shift, sub, at, name: str
) -> None:
    at(7, 15)
    callout = callout_create(actor=city.users["school_lead"], shift=shift, person=sub)
    client = login(name)
    url = reverse("duty:callout", args=[callout.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"answer": "accept"}).status_code == 404
    assert client.post(f"/api/v1/callouts/{callout.pk}/accept/").status_code == 404
    callout.refresh_from_db()
    assert callout.status == "pending"


def test_a_call_out_expires_when_the_window_ends(city: City, login, shift, sub, at) -> None:
    at(7, 15)
    callout = callout_create(actor=city.users["school_lead"], shift=shift, person=sub)
    at(8, 1)
    member = login("zhaomin")
    page = member.get(reverse("duty:callout", args=[callout.pk])).content.decode()
    assert 'data-testid="accept"' not in page
    with pytest.raises(ValidationError):
        callout_answer(actor=sub.user, callout=callout, accept=True)
    callout.refresh_from_db()
    assert callout.status == "expired"
    assert not Assignment.objects.filter(person=sub).exists()
    assert callouts_expire() == 0


def test_callouts_expire_in_bulk(city: City, shift, sub, at) -> None:
    at(7, 15)
    callout = callout_create(actor=city.users["school_lead"], shift=shift, person=sub)
    assert callouts_expire(now=local_at(ROSTER_MONDAY, 7, 59)) == 0
    assert callouts_expire(now=local_at(ROSTER_MONDAY, 8, 0)) == 1
    callout.refresh_from_db()
    assert callout.status == "expired"
    assert callouts_expire(now=local_at(ROSTER_MONDAY, 8, 1)) == 0
    from huxue.core.models import AuditEvent

    line = AuditEvent.objects.get(action="callout.expire")
    assert line.object_id == str(callout.pk) and line.actor_id is None


def test_the_lead_withdraws_a_call_out(city: City, login, shift, sub, at) -> None:
    at(7, 15)
    callout = callout_create(actor=city.users["school_lead"], shift=shift, person=sub)
    response = login("school_lead").post(reverse("duty:callout_cancel", args=[callout.pk]))
    assert response.status_code == 302
    callout.refresh_from_db()
    assert callout.status == "cancelled"
    # The request had not gone out yet: it never will.
    assert Notification.objects.get(dedupe_key=f"callout:{callout.pk}").status == "cancelled"
    assert AuditEvent.objects.filter(action="callout.cancel", object_id=str(callout.pk)).exists()


def test_the_member_cannot_withdraw_their_own_call_out(city: City, login, shift, sub, at) -> None:
    at(7, 15)
    callout = callout_create(actor=city.users["school_lead"], shift=shift, person=sub)
    response = login("zhaomin").post(reverse("duty:callout_cancel", args=[callout.pk]))
    assert response.status_code == 404
    callout.refresh_from_db()
    assert callout.status == "pending"


def test_an_ineligible_member_cannot_be_called(city: City, shift, at) -> None:
    at(7, 15)
    unvetted = make_person(city, unit=city.school_a1.unit, name="钱多", force_type="parent")
    with pytest.raises(ValidationError) as refused:
        callout_create(actor=city.users["school_lead"], shift=shift, person=unvetted)
    assert refused.value.code == "not_vetted"
    guard = vet(make_person(city, unit=city.school_a1.unit, name="保安", force_type="guard"))
    with pytest.raises(ValidationError) as refused:
        callout_create(actor=city.users["school_lead"], shift=shift, person=guard)
    assert refused.value.code == "wrong_group"
    assert not CallOut.objects.exists()


def test_education_cannot_call_out(city: City, shift, sub, at) -> None:
    from django.http import Http404

    at(7, 15)
    with pytest.raises(Http404):
        callout_create(actor=city.users["education"], shift=shift, person=sub)


# ---------------------------------------------------------------------------------------------
# The API


def test_call_outs_over_the_api(city: City, login, shift, sub, at) -> None:
    at(7, 15)
    lead = login("school_lead")
    made = lead.post(
        "/api/v1/callouts/", {"shift": shift.pk, "person": sub.pk}, content_type="application/json"
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["status"] == "pending" and body["group"] == "volunteer"
    assert body["answer_url"].endswith(f"/duty/callouts/{body['id']}/")

    twice = lead.post(
        "/api/v1/callouts/", {"shift": shift.pk, "person": sub.pk}, content_type="application/json"
    )
    assert twice.status_code == 422 and twice.json()["reason"] == "duplicate"

    assert [c["id"] for c in lead.get("/api/v1/callouts/").json()["results"]] == [body["id"]]
    assert login("other_lead").get("/api/v1/callouts/").json()["results"] == []
    assert login("volunteer").get("/api/v1/callouts/").json()["results"] == []
    member = login("zhaomin")
    assert [c["id"] for c in member.get("/api/v1/callouts/").json()["results"]] == [body["id"]]

    accepted = member.post(f"/api/v1/callouts/{body['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Assignment.objects.get(pk=accepted.json()["assignment"]).person == sub
    late_no = member.post(f"/api/v1/callouts/{body['id']}/decline/")
    assert late_no.status_code == 422


def test_the_api_decline(city: City, login, shift, sub, at) -> None:
    at(7, 15)
    callout = callout_create(actor=city.users["school_lead"], shift=shift, person=sub)
    answer = login("zhaomin").post(f"/api/v1/callouts/{callout.pk}/decline/")
    assert answer.status_code == 200 and answer.json()["status"] == "declined"


@pytest.mark.parametrize(("name", "code"), [("education", 403), ("other_lead", 400)])
def test_call_out_api_refuses_shifts_out_of_reach(
    city: City, login, shift, sub, at, name: str, code: int
) -> None:
    at(7, 15)
    response = login(name).post(
        "/api/v1/callouts/", {"shift": shift.pk, "person": sub.pk}, content_type="application/json"
    )
    assert response.status_code == code
    assert not CallOut.objects.exists()


def test_gap_alerts_api_is_scoped(city: City, login, shift, at) -> None:
    at(7, 12)
    gap_scan()
    alert = GapAlert.objects.get()
    for name in ("school_lead", "station_officer", "education", "city_admin", "inspector"):
        rows = login(name).get("/api/v1/gap-alerts/").json()["results"]
        assert [r["id"] for r in rows] == [alert.pk], name
    first = login("school_lead").get("/api/v1/gap-alerts/", {"open": "true"}).json()["results"][0]
    assert first["short"] == {"volunteer": 2} and first["window"] == "2026-12-07 07:00–08:00"
    assert (
        login("school_lead").get("/api/v1/gap-alerts/", {"open": "false"}).json()["results"] == []
    )
    for name in ("other_lead", "volunteer", "stranger"):
        assert login(name).get("/api/v1/gap-alerts/").json()["results"] == [], name


def test_the_new_endpoints_are_in_a_valid_schema(db: None, client) -> None:
    from drf_spectacular.validation import validate_schema

    schema = client.get("/api/schema/", {"format": "json"}).json()
    validate_schema(schema)
    paths = schema["paths"]
    assert set(paths["/api/v1/shifts/{id}/rollcall/"]) == {"post"}
    assert set(paths["/api/v1/gap-alerts/"]) == {"get"}
    assert set(paths["/api/v1/callouts/"]) == {"get", "post"}
    assert set(paths["/api/v1/callouts/{id}/accept/"]) == {"post"}
    assert set(paths["/api/v1/callouts/{id}/decline/"]) == {"post"}


def test_the_lead_page_and_lists_take_the_same_queries_for_more_people(
    city: City, login, shift, rostered, sub, offline_sub, at
) -> None:
    at(7, 15)
    gap_scan()
    callout_create(actor=city.users["school_lead"], shift=shift, person=sub)
    lead = login("school_lead")
    urls = [page_url(shift), "/api/v1/callouts/", "/api/v1/gap-alerts/"]

    def counts() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert lead.get(url).status_code == 200
            found.append(len(queries))
        return found

    few = counts()
    for i in range(3):
        extra = vet(
            make_person(city, unit=city.school_a1.unit, name=f"队员{i}", force_type="parent")
        )
        Assignment.objects.create(
            published=True, shift=shift, person=extra, group="volunteer", source="solver"
        )
        vet(make_person(city, unit=city.school_a1.unit, name=f"候补{i}", force_type="parent"))
        user = make_user(f"caller{i}", "member", unit=city.school_a1.unit)
        called = vet(
            make_person(city, unit=city.school_a1.unit, name=f"应召{i}", force_type="parent")
        )
        Person.objects.filter(pk=called.pk).update(user=user)
        callout_create(actor=city.users["school_lead"], shift=shift, person=called)
        other = make_shift(city.post_a1, start=dt.time(6, 50 + i), requirements=VOLUNTEERS_2)
        GapAlert.objects.create(shift=other, raised_at=timezone.now(), short={"volunteer": 2})
    assert counts() == few
