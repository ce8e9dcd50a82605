"""Check-in and check-out through the API: the rules, idempotency and the answers a phone gets."""

from __future__ import annotations

import contextlib
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
        shift=shift, person=city.person_a1, group=city.person_a1.force_group, source="manual"
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


def test_a_token_check_in_reads_once_and_writes_once(city, shift, at):
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
    assert statements == ["SELECT", "INSERT"]  # (a test runs in a transaction: savepoints)
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
    # A member record, but a role that does not check in: 403 too.
    inspector = city.users["inspector"]
    person_link_user(
        actor=None, person=make_person(city, unit=city.school_a1.unit, name="王五"), user=inspector
    )
    for body in (at_gate(city), {"method": "teleport"}):
        assert token_checkin(inspector, body).status_code == 403
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


# -- on PostgreSQL, once the gate is known: the member is read and the check-in written at once --


def member_with_token(city: City, username: str, *, force_type: str = "police"):
    from rest_framework.authtoken.models import Token

    from huxue.orgs.roles import Role
    from huxue.people.services import person_link_user
    from huxue.testing import make_person, make_user

    user = make_user(username, Role.MEMBER, unit=city.school_a1.unit)
    person = make_person(city, unit=city.school_a1.unit, name=username, force_type=force_type)
    person_link_user(actor=None, person=person, user=user)
    user.token = Token.objects.create(user=user).key
    return user, person


def statements_of(do):
    """What ``do()`` returns and the first word of each statement it sent (no savepoints: a
    test runs in a transaction)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = do()
    return result, [q["sql"].split()[0] for q in queries if "SAVEPOINT" not in q["sql"]]


def one_statement() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


# Every column of a check-in but its id and the client's key.
def row_of(checkin: CheckIn) -> dict:
    return {
        f.attname: getattr(checkin, f.attname)
        for f in CheckIn._meta.concrete_fields
        if f.attname not in ("id", "client_key")
    }


@pytest.mark.parametrize(
    ("clock", "force_type", "on_roster", "extra", "flags"),
    [
        ((7, 1), "police", True, {}, []),
        ((7, 1), "parent", False, {}, ["walkin"]),
        ((7, 30), "auxiliary", True, {}, ["late"]),
        ((7, 40), "guard", True, {"device_at": "2026-12-07T07:02:00+08:00"}, ["delayed"]),
        ((7, 1), "staff", False, {"latitude": "x"}, ["outside", "walkin"]),
    ],
)
def test_a_check_in_at_a_known_gate_writes_the_row_the_usual_way_writes(
    city, shift, at, clock, force_type, on_roster, extra, flags
):
    from huxue.duty import gate

    rostered(city, shift)
    at(*clock)
    first, _ = statements_of(lambda: token_checkin(city.users["volunteer"], at_gate(city)))
    assert first.status_code == 201, first.json()
    user, person = member_with_token(city, "m1", force_type=force_type)
    if on_roster:
        Assignment.objects.create(shift=shift, person=person, group=person.force_group)
    if extra.get("latitude") == "x":
        extra = {"latitude": far_away(city)["latitude"]}
    body = at_gate(city, **extra)

    answer, sent = statements_of(lambda: token_checkin(user, body, key="k-m1", token=user.token))
    assert answer.status_code == 201, answer.json()
    assert sent == (["WITH"] if one_statement() else ["SELECT", "INSERT"])
    assert sorted(answer.json()["flags"]) == flags
    written = CheckIn.objects.get(person=person)
    assert written.group == person.force_group and written.force_type == force_type
    assert (written.assignment is not None) == on_roster

    # The same check-in made the usual way (no gate known): the same row, the same answer.
    CheckIn.objects.filter(pk=written.pk).delete()
    gate._KNOWN.clear()
    usual, sent = statements_of(lambda: token_checkin(user, body, key="k-m1", token=user.token))
    assert sent == ["SELECT", "INSERT"]
    assert row_of(CheckIn.objects.get(person=person)) == row_of(written)
    assert {**usual.json(), "id": 0} == {**answer.json(), "id": 0}


def test_a_changed_gate_is_read_again_before_the_check_in_is_judged(city, shift, at):
    from huxue.posts.models import Post

    at(7, 5)
    assert token_checkin(city.users["volunteer"], at_gate(city)).status_code == 201
    user, _ = member_with_token(city, "m2")
    # The post moves about 1.1 km north after this process read its gate: the phone at the
    # old place is now outside (flagged), though the gate it remembers says otherwise.
    moved = far_away(city)["latitude"]
    Post.objects.filter(pk=city.post_a1.pk).update(latitude=Decimal(moved))
    answer, sent = statements_of(lambda: token_checkin(user, at_gate(city), token=user.token))
    assert answer.status_code == 201, answer.json()
    assert "outside" in answer.json()["flags"]
    assert sent == (["WITH", "SELECT", "INSERT"] if one_statement() else ["SELECT", "INSERT"])
    # A cancelled window: nothing is written, and the refusal says why.
    shift.cancelled_at = timezone.now()
    shift.save(update_fields=["cancelled_at"])
    other, _ = member_with_token(city, "m3")
    refused = token_checkin(other, at_gate(city, latitude=moved))
    assert refused.status_code == 422 and refused.json()["reason"] == "no_window"
    assert CheckIn.objects.count() == 2


def _touch_gate_row(city: City, shift, which: str) -> None:
    """Change one row the gate of ``city.post_a1`` is read from (or, for "other", a row it is
    not); a check-in at 07:05 is accepted with the same flags either way."""
    from huxue.orgs.models import Region, Unit
    from huxue.posts.models import Post, School

    unit = city.school_a1.unit
    if which == "post":
        Post.objects.filter(pk=city.post_a1.pk).update(name="南门（东）")
    elif which == "school":
        School.objects.filter(pk=city.school_a1.pk).update(unit_id=unit.pk)  # the same value
    elif which == "unit":
        Unit.objects.filter(pk=unit.pk).update(name=unit.name + "（东）")
    elif which == "region":
        Region.objects.filter(pk=unit.region_id).update(name="改名区")
    elif which == "new rules":
        DutyRules.objects.create(region=city.city)
    elif which == "rules":
        DutyRules.objects.filter(region=city.city).update(late_minutes=15)
    elif which == "window":
        type(shift).objects.filter(pk=shift.pk).update(requirements={"police": 1, "volunteer": 3})
    elif which == "other":
        School.objects.filter(pk=city.school_a2.pk).update(unit_id=city.school_a2.unit_id)


@pytest.mark.parametrize(
    "which", ["post", "school", "unit", "region", "new rules", "rules", "window", "other"]
)
def test_any_new_version_of_a_gate_row_is_read_again(city, shift, at, which):
    # The one statement writes only against the very row versions its gate was read from: an
    # UPDATE of any of them, even one that leaves every value as it was, and a new rules row up
    # the tree, send the check-in the usual way; a change elsewhere does not.
    if which == "rules":
        DutyRules.objects.create(region=city.city)
    at(7, 5)
    assert token_checkin(city.users["volunteer"], at_gate(city)).status_code == 201
    _touch_gate_row(city, shift, which)
    user, _ = member_with_token(city, "m9")
    answer, sent = statements_of(lambda: token_checkin(user, at_gate(city), token=user.token))
    assert answer.status_code == 201, answer.json()
    if not one_statement():
        assert sent == ["SELECT", "INSERT"]
    elif which == "other":
        assert sent == ["WITH"]
    else:
        assert sent == ["WITH", "SELECT", "INSERT"]
    # And the gate read again is known at once: the next member's check-in is one statement.
    user, _ = member_with_token(city, "m10")
    _, sent = statements_of(lambda: token_checkin(user, at_gate(city), token=user.token))
    assert sent == (["WITH"] if one_statement() else ["SELECT", "INSERT"])


def test_at_a_known_gate_the_rules_and_the_token_still_hold(city, shift, at):
    from huxue.people.services import person_link_user
    from huxue.testing import make_person

    DutyRules.objects.create(region=city.city, walkins="refuse")
    rostered(city, shift)
    at(7, 5)
    assert token_checkin(city.users["volunteer"], at_gate(city)).status_code == 201
    # A walk-in where the city takes rostered members only.
    user, _ = member_with_token(city, "m4")
    walkin = token_checkin(user, at_gate(city))
    assert walkin.status_code == 422 and walkin.json()["reason"] == "not_rostered"
    # A token that is no member's, a member's whose role does not check in, an inactive one.
    assert token_checkin(None, at_gate(city), token="not-a-token").status_code == 401
    inspector = city.users["inspector"]
    person_link_user(
        actor=None, person=make_person(city, unit=city.school_a1.unit, name="王五"), user=inspector
    )
    assert token_checkin(inspector, at_gate(city)).status_code == 403
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert token_checkin(user, at_gate(city)).status_code == 401
    assert CheckIn.objects.count() == 1


def test_a_retry_after_a_check_in_in_one_statement_gets_the_first_answer(city, shift, at):
    at(7, 5)
    assert token_checkin(city.users["volunteer"], at_gate(city)).status_code == 201
    user, person = member_with_token(city, "m5")
    first = token_checkin(user, at_gate(city), key="k-m5")
    again = token_checkin(user, at_gate(city), key="k-m5")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = token_checkin(user, at_gate(city, accuracy=30), key="k-m5")
    assert other.status_code == 422 and other.json()["reason"] == "key_reused"
    assert CheckIn.objects.filter(person=person).count() == 1


# -- the lane: a token check-in answered without DRF's dispatch, with the viewset's answers ---


def both_ways(monkeypatch, do):
    """``do()`` with the lane, then from the same state without it: for each, the answer, the
    check-in rows it left and whether the viewset answered."""
    from django.db import transaction
    from django.test import override_settings

    from huxue.api.duty import CheckInViewSet

    asked: list[bool] = []
    create = CheckInViewSet.create
    monkeypatch.setattr(
        CheckInViewSet, "create", lambda self, request: asked.append(True) or create(self, request)
    )
    ways = []
    for lane in (True, False):
        asked.clear()
        with override_settings(HUXUE_CHECKIN_LANE=lane):
            before = transaction.savepoint()
            response = do()
            rows = [row_of(c) for c in CheckIn.objects.order_by("person_id", "at")]
            transaction.savepoint_rollback(before)
        ways.append((response, rows, bool(asked)))
    return ways


def answer_of(response) -> tuple:
    if response["Content-Type"] != "application/json":  # DRF's browsable page: its status
        return response.status_code, response["Content-Type"]
    body = response.json()
    if isinstance(body, dict) and "id" in body:
        body["id"] = 0  # (a new row's id: the sequence is not rolled back)
    return response.status_code, body, dict(response.headers)


@pytest.mark.parametrize(
    ("case", "status", "by_lane"),
    [
        ("rostered", 201, True),
        ("walkin", 201, True),
        ("by_qr", 201, True),
        ("retry", 201, True),
        ("key_reused", 422, True),
        ("again", 409, True),
        ("outside_refused", 422, True),
        ("too_early", 422, True),
        ("no_position", 422, True),
        ("bad_body", 400, False),
        ("bad_token", 401, False),
        ("no_key", 400, False),
        ("html", 400, False),
        ("no_member", 403, False),
    ],
)
def test_the_lane_answers_as_the_viewset_does(city, shift, at, monkeypatch, case, status, by_lane):
    from django.test import Client

    rostered(city, shift)
    at(6, 55)
    volunteer = city.users["volunteer"]
    token_checkin(volunteer, at_gate(city, post=10**9))  # (a token, and nothing written)
    user, _ = member_with_token(city, "m6")
    body, key, headers = at_gate(city), "k-lane", {}
    who = volunteer
    if case == "walkin":
        who = user
    elif case == "by_qr":
        body = {"qr": city.post_a1.qr_token, "method": "qr"}
    elif case in ("retry", "key_reused", "again"):
        assert token_checkin(volunteer, body, key=key).status_code == 201
        if case == "key_reused":
            body = at_gate(city, accuracy=30)
        elif case == "again":
            key = "k-lane-2"
    elif case == "outside_refused":
        DutyRules.objects.create(region=city.city, geofence_mode="refuse")
        body = far_away(city)
    elif case == "too_early":
        at(6, 0)
    elif case == "no_position":
        body = {"post": city.post_a1.pk, "method": "gps"}
    elif case == "bad_body":
        body = {"post": city.post_a1.pk, "method": "teleport"}
    elif case == "html":
        headers = {"HTTP_ACCEPT": "text/html"}
        body = {"method": "teleport"}
    elif case == "no_member":
        who = city.users["stranger"]
    from rest_framework.authtoken.models import Token

    token = "not-a-token" if case == "bad_token" else Token.objects.get_or_create(user=who)[0].key

    def do():
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if case != "no_key" else {}
        return Client().post(
            URL,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
            **extra,
            **headers,
        )

    (lane, lane_rows, lane_asked), (usual, usual_rows, usual_asked) = both_ways(monkeypatch, do)
    assert lane.status_code == status, lane.content
    assert answer_of(lane) == answer_of(usual)
    assert lane_rows == usual_rows
    assert (lane_asked, usual_asked) == (not by_lane, True)


def test_the_lane_stands_aside_for_a_viewset_that_throttles_or_versions():
    from rest_framework.throttling import UserRateThrottle
    from rest_framework.versioning import URLPathVersioning

    from huxue.api.duty import CheckInViewSet, checkin_lane

    actions = {"get": "list", "post": "create"}
    assert CheckInViewSet.as_view(actions).__wrapped__  # the lane, in front of the view
    for extra in (
        {"throttle_classes": [UserRateThrottle]},
        {"versioning_class": URLPathVersioning},
    ):
        throttled = type("Throttled", (CheckInViewSet,), extra)
        view = super(CheckInViewSet, throttled).as_view(actions)
        assert checkin_lane(view) is view


@pytest.mark.parametrize(
    "header",
    [
        "Token abc123",
        "token abc123",
        "TOKEN  abc123 ",
        "Token\tabc123",
        "Token abc\xa0123",  # not whitespace in the header's bytes
        "Token abc 123",
        "Bearer abc123",
        "Token",
        "",
        "Token caf\xc3\xa9",  # UTF-8 bytes, as a WSGI server hands them over (Latin-1)
        "Token \xff\xfe",  # not UTF-8
    ],
)
def test_the_lanes_token_is_the_one_token_authentication_reads(rf, header):
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.exceptions import AuthenticationFailed

    from huxue.api.duty import _token_of

    request = rf.post(URL, HTTP_AUTHORIZATION=header) if header else rf.post(URL)
    seen: list[str] = []

    class Reader(TokenAuthentication):
        def authenticate_credentials(self, key):
            seen.append(key)
            return None

    with contextlib.suppress(AuthenticationFailed):  # (a key that is not UTF-8: none read)
        Reader().authenticate(request)
    assert _token_of(request) == (seen[0] if seen else "")
