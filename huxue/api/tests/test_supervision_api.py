"""Supervision over the API (issue 17, items 2, 5, 8, 9): rounds started, answered and sent whole
from offline once; photos uploaded without EXIF, refused when not a photo, 404 out of scope;
hazards reported and stepped, 409 when stale; everything within scope."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from huxue.api.tests.helpers import send
from huxue.files.tests.test_images import GPS_IFD, jpeg
from huxue.supervision.models import Hazard, InspectionRound
from huxue.testing import City

ROUNDS, HAZARDS, PHOTOS = "/api/v1/rounds/", "/api/v1/hazards/", "/api/v1/photos/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.HUXUE_MEDIA_DIR = tmp_path


def post_photo(client: Any, data: bytes, name: str = "IMG_0001.jpg", **headers: Any) -> Any:
    f = io.BytesIO(data)
    f.name = name
    return client.post(PHOTOS, {"file": f}, **headers)


def test_a_photo_with_gps_comes_back_with_no_exif(city: City, client_for: Any) -> None:
    lead = client_for("school_lead")
    response = post_photo(lead, jpeg())
    assert response.status_code == 201, response.content
    body = response.json()
    got = lead.get(body["url"])
    assert got.status_code == 200
    image = Image.open(io.BytesIO(b"".join(got.streaming_content)))
    assert dict(image.getexif()) == {} and not image.getexif().get_ifd(GPS_IFD)


def test_a_file_named_jpg_that_is_not_an_image_is_refused_with_a_clear_message(
    city: City, client_for: Any
) -> None:
    response = post_photo(
        client_for("school_lead"), b"<html>not a photo</html>", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert "不是照片" in str(response.json())
    response = post_photo(
        client_for("school_lead"), b"<html>not a photo</html>", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "not a photo" in str(response.json())


def test_a_photo_url_opened_out_of_scope_is_404(city: City, client_for: Any) -> None:
    lead = client_for("school_lead")
    token = post_photo(lead, jpeg()).json()["token"]
    hazard = send(
        lead,
        "POST",
        HAZARDS,
        {
            "school": city.school_a1.pk,
            "title": "南门护栏倒伏",
            "category": "facilities",
            "grade": "general",
            "photos": [token],
        },
    )
    assert hazard.status_code == 201, hazard.content
    url = f"/files/photos/{token}/"
    assert client_for("station_officer").get(url).status_code == 200
    assert client_for("other_lead").get(url).status_code == 404
    assert client_for("volunteer").get(url).status_code == 404


def test_a_round_is_started_answered_and_submitted(city: City, client_for: Any) -> None:
    inspector = client_for("inspector")
    checklist = send(inspector, "GET", "/api/v1/checklist/", {"post": city.post_a1.pk}).json()
    assert [i["title"] for i in checklist["items"]][:2] == ["查到岗", "查装备"]
    started = send(inspector, "POST", ROUNDS, {"post": city.post_a1.pk})
    assert started.status_code == 201, started.content
    round_id = started.json()["id"]
    for item in checklist["items"]:
        if item["auto"]:
            continue
        result = "fail" if item["title"] == "看设施" else "pass"
        answered = send(
            inspector,
            "POST",
            f"{ROUNDS}{round_id}/answer/",
            {"item": item["id"], "result": result, "note": "护栏倒伏" if result == "fail" else ""},
        )
        assert answered.status_code == 200, answered.content
    done = send(inspector, "POST", f"{ROUNDS}{round_id}/submit/")
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    assert done.json()["score"] is not None
    # Other roles: the school reads it; another school does not.
    assert send(client_for("school_lead"), "GET", f"{ROUNDS}{round_id}/").status_code == 200
    assert send(client_for("other_lead"), "GET", f"{ROUNDS}{round_id}/").status_code == 404
    assert send(client_for("other_lead"), "POST", f"{ROUNDS}{round_id}/submit/").status_code == 404


def test_a_whole_offline_round_is_recorded_once(city: City, client_for: Any) -> None:
    inspector = client_for("inspector")
    checklist = send(inspector, "GET", "/api/v1/checklist/", {"post": city.post_a1.pk}).json()
    body = {
        "post": city.post_a1.pk,
        "at": "2026-12-07T07:20:00+08:00",
        "answers": [
            {"item": i["id"], "result": "pass"} for i in checklist["items"] if not i["auto"]
        ],
    }
    first = send(inspector, "POST", ROUNDS, body, HTTP_IDEMPOTENCY_KEY="round-1")
    again = send(inspector, "POST", ROUNDS, body, HTTP_IDEMPOTENCY_KEY="round-1")
    assert first.status_code == again.status_code == 201, first.content
    assert first.json()["id"] == again.json()["id"] and InspectionRound.objects.count() == 1
    assert first.json()["status"] == "submitted"
    assert send(inspector, "POST", ROUNDS, body).status_code == 400  # a whole round needs a key


def test_starting_a_round_out_of_scope_reads_as_no_such_post(city: City, client_for: Any) -> None:
    response = send(client_for("inspector"), "POST", ROUNDS, {"post": city.post_b1.pk})
    assert response.status_code == 400 and "post" in response.json()
    assert (
        send(client_for("volunteer"), "POST", ROUNDS, {"post": city.post_a1.pk}).status_code == 403
    )


def test_a_stale_hazard_step_is_409_and_writes_nothing(city: City, client_for: Any) -> None:
    created = send(
        client_for("inspector"),
        "POST",
        HAZARDS,
        {
            "school": city.school_a1.pk,
            "post": city.post_a1.pk,
            "title": "南门护栏倒伏",
            "category": "facilities",
            "grade": "general",
        },
    )
    assert created.status_code == 201, created.content
    hazard = created.json()
    assert hazard["state"] == "reported" and hazard["version"] == 1
    step = {
        "step": "assign",
        "version": 1,
        "responsible": city.school_a1.unit.pk,
        "deadline": "2099-01-01",
    }
    first = send(client_for("station_officer"), "POST", f"{HAZARDS}{hazard['id']}/step/", step)
    assert first.status_code == 200, first.content
    assert first.json()["state"] == "assigned" and first.json()["version"] == 2
    late = send(client_for("city_admin"), "POST", f"{HAZARDS}{hazard['id']}/step/", step)
    assert late.status_code == 409
    assert late.json()["state"] == "assigned" and late.json()["version"] == 2
    assert Hazard.objects.get().steps.count() == 2
    # The school sees it assigned to the school, and may start it.
    seen = send(client_for("school_lead"), "GET", f"{HAZARDS}{hazard['id']}/").json()
    assert seen["responsible"] == city.school_a1.unit.pk and seen["steps_open"] == ["start"]
    assert send(client_for("other_lead"), "GET", f"{HAZARDS}{hazard['id']}/").status_code == 404


def test_a_forbidden_step_is_a_clear_400(city: City, client_for: Any) -> None:
    hazard = send(
        client_for("school_lead"),
        "POST",
        HAZARDS,
        {
            "school": city.school_a1.pk,
            "title": "门口积水",
            "category": "surroundings",
            "grade": "general",
        },
    ).json()
    refused = send(
        client_for("school_lead"),
        "POST",
        f"{HAZARDS}{hazard['id']}/step/",
        {"step": "close", "version": 1},
        lang="en",
    )
    assert refused.status_code == 409  # not possible in this state
    refused = send(
        client_for("school_lead"),
        "POST",
        f"{HAZARDS}{hazard['id']}/step/",
        {
            "step": "assign",
            "version": 1,
            "responsible": city.school_a1.unit.pk,
            "deadline": "2099-01-01",
        },
        lang="en",
    )
    assert refused.status_code == 400 and "role may not" in str(refused.json())


def test_lists_are_scoped(city: City, client_for: Any) -> None:
    send(
        client_for("school_lead"),
        "POST",
        HAZARDS,
        {"school": city.school_a1.pk, "title": "a", "category": "other", "grade": "general"},
    )
    send(
        client_for("other_lead"),
        "POST",
        HAZARDS,
        {"school": city.school_b1.pk, "title": "b", "category": "other", "grade": "general"},
    )

    def titles(who: str) -> list[str]:
        listed = send(client_for(who), "GET", HAZARDS).json()["results"]
        return sorted(h["title"] for h in listed)

    assert titles("city_admin") == titles("education") == ["a", "b"]
    assert titles("school_lead") == titles("inspector") == ["a"]
    assert titles("other_lead") == ["b"]
    assert titles("volunteer") == titles("auditor") == []
