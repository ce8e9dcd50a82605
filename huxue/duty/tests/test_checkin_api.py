"""Check-in and check-out through the API: the rules, idempotency and the answers a phone gets."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from huxue.duty.models import CheckIn, DutyRules
from huxue.roster.models import Assignment
from huxue.testing import ROSTER_MONDAY, City, local_at, make_shift

URL = "/api/v1/checkins/"


@pytest.fixture
def shift(city: City):
    return make_shift(city.post_a1)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """at(hh, mm) freezes the clock at that time on the shift's day."""

    def freeze(hh: int, mm: int = 0) -> dt.datetime:
        moment = local_at(ROSTER_MONDAY, hh, mm)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def rostered(city: City, shift) -> Assignment:
    return Assignment.objects.create(
        published=True,
        shift=shift,
        person=city.person_a1,
        group=city.person_a1.force_group,
        source="manual",
    )


def post_checkin(client, body, key=None):
    return client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def at_gate(city: City, **extra):
    return {
        "post": city.post_a1.pk,
        "method": "gps",
        "latitude": str(city.post_a1.latitude),
        "longitude": str(city.post_a1.longitude),
        "accuracy": 10,
        **extra,
    }


def test_rostered_member_checks_in_at_the_gate(city, login, shift, at):
    rostered(city, shift)
    at(6, 55)
    response = post_checkin(login("volunteer"), at_gate(city))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["flags"] == []
    assert body["shift"] == shift.pk
    row = CheckIn.objects.get()
    assert row.person == city.person_a1 and row.assignment is not None
    assert row.distance_m == 0.0 and row.method == "gps"


def test_retry_returns_the_original_answer_and_writes_nothing(city, login, shift, at):
    rostered(city, shift)
    at(7, 1)
    client = login("volunteer")
    first = post_checkin(client, at_gate(city), key="k-1")
    again = post_checkin(client, at_gate(city), key="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert CheckIn.objects.count() == 1


def test_same_key_with_another_body_is_422(city, login, shift, at):
    rostered(city, shift)
    at(7, 1)
    client = login("volunteer")
    assert post_checkin(client, at_gate(city), key="k-2").status_code == 201
    other = post_checkin(client, at_gate(city, accuracy=30), key="k-2")
    assert other.status_code == 422
    assert other.json()["reason"] == "key_reused"


def test_missing_key_is_a_clear_400(city, login, shift, at):
    at(7, 1)
    response = login("volunteer").post(URL, at_gate(city), content_type="application/json")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()


def test_second_check_in_for_the_window_with_a_new_key_is_409(city, login, shift, at):
    rostered(city, shift)
    at(7, 1)
    client = login("volunteer")
    first = post_checkin(client, at_gate(city)).json()
    second = post_checkin(client, at_gate(city))
    assert second.status_code == 409
    assert second.json()["checkin"] == first["id"]
    assert CheckIn.objects.count() == 1


def test_late_and_walkin_are_flagged(city, login, shift, at):
    at(7, 20)
    body = post_checkin(login("volunteer"), at_gate(city)).json()
    assert sorted(body["flags"]) == ["late", "walkin"]


def test_walkins_refused_when_the_city_says_so(city, login, shift, at):
    DutyRules.objects.create(region=city.city, walkins="refuse")
    at(7, 1)
    response = post_checkin(login("volunteer"), at_gate(city))
    assert response.status_code == 422
    assert response.json()["reason"] == "not_rostered"
    assert not CheckIn.objects.exists()


def far_away(city: City):
    # About 1.1 km north of the gate.
    return at_gate(city, latitude=str(city.post_a1.latitude + Decimal("0.01")))


def test_outside_the_geofence_is_flagged_by_default(city, login, shift, at):
    rostered(city, shift)
    at(7, 0)
    body = post_checkin(login("volunteer"), far_away(city)).json()
    assert body["flags"] == ["outside"]
    assert 1000 < body["distance_m"] < 1200


def test_outside_the_geofence_refused_when_the_city_says_so(city, login, shift, at):
    DutyRules.objects.create(region=city.city, geofence_mode="refuse")
    rostered(city, shift)
    at(7, 0)
    response = post_checkin(login("volunteer"), far_away(city))
    assert response.status_code == 422
    assert response.json()["reason"] == "outside"
    message = response.json()["non_field_errors"][0]
    assert "1112" in message and "米" in message  # how far, in the user's language (zh-hans)


def test_city_radius_overrides_the_posts(city, login, shift, at):
    DutyRules.objects.create(region=city.city, geofence_m=2000, geofence_mode="refuse")
    rostered(city, shift)
    at(7, 0)
    assert post_checkin(login("volunteer"), far_away(city)).status_code == 201


def test_too_early_and_after_the_window_are_refused(city, login, shift, at):
    rostered(city, shift)
    at(6, 40)
    early = post_checkin(login("volunteer"), at_gate(city))
    assert early.status_code == 422 and early.json()["reason"] == "too_early"
    at(8, 1)
    late = post_checkin(login("volunteer"), at_gate(city))
    # Every shift of the post is over: there is no window to judge.
    assert late.status_code == 422 and late.json()["reason"] == "no_window"


def test_offline_check_in_keeps_both_times_and_is_flagged(city, login, shift, at):
    rostered(city, shift)
    now = at(9, 30)  # the phone was offline at the gate; it sends at 09:30
    tapped = local_at(ROSTER_MONDAY, 7, 2)
    body = post_checkin(login("volunteer"), at_gate(city, device_at=tapped.isoformat())).json()
    assert body["flags"] == ["delayed"]
    row = CheckIn.objects.get()
    assert row.at == tapped and row.server_at == now and row.device_at == tapped


def test_offline_check_in_older_than_the_maximum_is_refused(city, login, shift, monkeypatch):
    rostered(city, shift)
    moment = local_at(ROSTER_MONDAY + dt.timedelta(days=2), 9, 0)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    tapped = local_at(ROSTER_MONDAY, 7, 2)
    response = post_checkin(login("volunteer"), at_gate(city, device_at=tapped.isoformat()))
    assert response.status_code == 422
    assert response.json()["reason"] == "too_old"


def test_one_open_check_in_per_member(city, login, at):
    first = make_shift(city.post_a1)
    other = make_shift(city.post_b1)
    at(7, 0)
    client = login("volunteer")
    assert post_checkin(client, at_gate(city)).status_code == 201
    response = post_checkin(
        client,
        {
            "post": city.post_b1.pk,
            "method": "gps",
            "latitude": str(city.post_b1.latitude),
            "longitude": str(city.post_b1.longitude),
        },
    )
    assert response.status_code == 409
    assert response.json()["reason"] == "open_elsewhere"
    assert CheckIn.objects.filter(shift=other).count() == 0
    assert CheckIn.objects.filter(shift=first).count() == 1


def test_check_out_then_duty_hours(city, login, shift, at):
    rostered(city, shift)
    at(6, 58)
    client = login("volunteer")
    made = post_checkin(client, at_gate(city)).json()
    at(8, 0)
    out = client.post(
        f"{URL}{made['id']}/checkout/",
        {},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="out-1",
    )
    assert out.status_code == 200, out.json()
    row = CheckIn.objects.get()
    assert row.checked_out_at - row.at == dt.timedelta(minutes=62)
    again = client.post(
        f"{URL}{made['id']}/checkout/",
        {},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="out-2",
    )
    assert again.status_code == 409


def test_a_check_out_retried_with_its_key_gets_its_first_answer(city, login, shift, at):
    """A phone that lost the answer to its check-out sends it again with the same key: the
    same 200 answer, marked replayed, and the check-out time is the first one; the same key
    with another body is refused."""
    rostered(city, shift)
    at(6, 58)
    client = login("volunteer")
    made = post_checkin(client, at_gate(city)).json()

    def check_out(body: dict):  # type: ignore[no-untyped-def]
        return client.post(
            f"{URL}{made['id']}/checkout/",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="out-1",
        )

    at(8, 0)
    first = check_out({})
    assert first.status_code == 200 and "Idempotent-Replayed" not in first
    closed_at = CheckIn.objects.get().checked_out_at
    at(8, 5)
    again = check_out({})
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CheckIn.objects.get().checked_out_at == closed_at
    position = {k: at_gate(city)[k] for k in ("latitude", "longitude", "accuracy")}
    other = check_out(position)
    assert other.status_code == 422 and other.json()["reason"] == "key_reused"
    assert CheckIn.objects.get().checked_out_at == closed_at


def test_qr_token_names_the_post(city, login, shift, at):
    at(7, 0)
    response = post_checkin(login("volunteer"), {"qr": city.post_a1.qr_token, "method": "qr"})
    assert response.status_code == 201
    assert response.json()["method"] == "qr"


def test_unknown_qr_token_is_explained(city, login, shift, at):
    at(7, 0)
    response = post_checkin(login("volunteer"), {"qr": "nope", "method": "qr"})
    assert response.status_code == 422 and response.json()["reason"] == "no_post"


def test_gps_without_position_is_refused_in_chinese(city, login, shift, at):
    at(7, 0)
    response = post_checkin(
        login("volunteer"),
        {"post": city.post_a1.pk, "method": "gps"},
    )
    assert response.status_code == 422
    assert response.json()["reason"] == "position_needed"


def test_account_without_member_record_gets_404_and_admins_403(city, login, shift, at):
    at(7, 0)
    assert post_checkin(login("school_lead"), at_gate(city)).status_code == 404
    assert post_checkin(login("sysadmin"), at_gate(city)).status_code == 403


def test_member_lists_only_own_check_ins(city, login, shift, at):
    at(7, 0)
    post_checkin(login("volunteer"), at_gate(city))
    mine = login("volunteer").get(URL).json()
    assert [r["person"] for r in mine["results"]] == [city.person_a1.pk]
    assert login("other_lead").get(URL).json()["results"] == []
    assert len(login("station_officer").get(URL).json()["results"]) == 1


# -- with an API token: the member and the gate are read in one statement ----------------------


def token_checkin(user, body, *, key=None, token=None):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    header = token if token is not None else Token.objects.get_or_create(user=user)[0].key
    return Client().post(
        URL,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {header}",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_a_token_check_in_is_three_statements(city, shift, at):
    """The token with its user and member, the gate, the INSERT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    rostered(city, shift)
    at(6, 55)
    volunteer = city.users["volunteer"]
    token = Token.objects.create(user=volunteer).key
    with CaptureQueriesContext(connection) as queries:
        response = token_checkin(volunteer, at_gate(city), key="k-1", token=token)
    statements = [q["sql"].split()[0] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert statements == ["SELECT", "SELECT", "INSERT"]  # (a test runs in a transaction)
    assert response.status_code == 201, response.json()
    assert response.json()["flags"] == []
    row = CheckIn.objects.get()
    assert row.person == city.person_a1 and row.assignment is not None
    again = token_checkin(volunteer, at_gate(city), key="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert CheckIn.objects.count() == 1


def test_a_token_check_in_by_qr_and_its_refusals(city, shift, at):
    at(6, 55)
    volunteer = city.users["volunteer"]
    by_qr = token_checkin(volunteer, {"qr": city.post_a1.qr_token, "method": "qr"})
    assert by_qr.status_code == 201, by_qr.json()
    assert by_qr.json()["flags"] == ["walkin"]
    nowhere = token_checkin(volunteer, at_gate(city, post=10**9))
    assert nowhere.status_code == 422 and nowhere.json()["reason"] == "no_post"


def test_a_bad_token_is_401_before_a_bad_body(city, shift, at):
    at(6, 55)
    for body in (at_gate(city), {"method": "teleport"}, '{"post": '):
        response = token_checkin(None, body, token="not-a-token")
        assert response.status_code == 401, response.json()
        assert response["WWW-Authenticate"] == "Token"
    assert not CheckIn.objects.exists()


def test_a_good_token_with_a_bad_body_is_400(city, shift, at):
    at(6, 55)
    response = token_checkin(city.users["volunteer"], {"post": city.post_a1.pk, "method": "gps"})
    assert response.status_code == 422 and response.json()["reason"] == "position_needed"
    response = token_checkin(city.users["volunteer"], {"method": "teleport"})
    assert response.status_code == 400 and "method" in response.json()


def test_an_inactive_members_token_is_401(city, shift, at):
    at(6, 55)
    volunteer = city.users["volunteer"]
    token_checkin(volunteer, at_gate(city), key="made")
    CheckIn.objects.all().delete()
    volunteer.is_active = False
    volunteer.save(update_fields=["is_active"])
    response = token_checkin(volunteer, at_gate(city))
    assert response.status_code == 401
    assert not CheckIn.objects.exists()


def test_a_token_without_a_member_or_the_right_is_refused_as_before(city, shift, at):
    from huxue.people.services import person_link_user
    from huxue.testing import make_person

    at(6, 55)
    # No member record, no role that checks in: 403, whatever the body.
    for body in (at_gate(city), {"method": "teleport"}):
        assert token_checkin(city.users["stranger"], body).status_code == 403
    # A member record, but a role that does not check in: 403 too (judged with the gate, so
    # after the body: a body that is not right is 400 first).
    inspector = city.users["inspector"]
    person_link_user(
        actor=None, person=make_person(city, unit=city.school_a1.unit, name="王五"), user=inspector
    )
    assert token_checkin(inspector, at_gate(city)).status_code == 403
    assert token_checkin(inspector, {"method": "teleport"}).status_code == 400
    assert not CheckIn.objects.exists()


def test_a_permission_class_of_the_api_holds_for_token_check_ins(city, shift, at, monkeypatch):
    """One path: the viewset's permission classes run for every check-in, token or session."""
    from rest_framework.permissions import BasePermission

    from huxue.api.duty import CheckInViewSet

    class ClosedForMaintenance(BasePermission):
        def has_permission(self, request, view):  # type: ignore[no-untyped-def]
            return False

    at(6, 55)
    monkeypatch.setattr(
        CheckInViewSet,
        "permission_classes",
        [*CheckInViewSet.permission_classes, ClosedForMaintenance],
    )
    assert token_checkin(city.users["volunteer"], at_gate(city)).status_code == 403
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [{"latitude": "NaN"}, {"longitude": "Infinity"}, {"accuracy": "nan"}, {"latitude": 91}],
)
def test_a_position_that_is_not_a_number_is_400(city, login, shift, at, bad):
    at(6, 55)
    response = post_checkin(login("volunteer"), at_gate(city, **bad))
    assert response.status_code == 400, response.json()
    assert set(bad) <= set(response.json())
    assert not CheckIn.objects.exists()


def test_a_position_is_kept_to_six_places(city, login, shift, at):
    at(6, 55)
    lat, lng = city.post_a1.latitude, city.post_a1.longitude
    body = at_gate(city, latitude=float(lat) + 0.0000004, longitude=str(lng))
    response = post_checkin(login("volunteer"), body)
    assert response.status_code == 201, response.json()
    row = CheckIn.objects.get()
    assert (row.latitude, row.longitude) == (lat, lng)
