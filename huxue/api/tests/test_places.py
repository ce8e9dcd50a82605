from __future__ import annotations

from typing import Any

from huxue.api.tests.helpers import send
from huxue.core.models import AuditEvent
from huxue.orgs.models import Unit
from huxue.posts.models import Post, School
from huxue.testing import City


def _new_post(city: City, **extra: Any) -> dict[str, Any]:
    return {
        "school": city.school_a1.pk,
        "name": "北门",
        "latitude": "45.771500",
        "longitude": "131.003500",
        "windows": [
            {"weekday": 0, "start": "07:00", "end": "08:00"},
            {"weekday": 0, "start": "15:30", "end": "17:00"},
            {"weekday": 4, "start": "15:30:00", "end": "17:00:00"},
        ],
        "requirements": [{"group": "police", "minimum": 1}, {"group": "volunteer", "minimum": 2}],
        **extra,
    }


def test_a_school_lead_adds_a_post_with_windows_and_staffing(city: City, login: Any) -> None:
    response = send(login("school_lead"), "POST", "/api/v1/posts/", _new_post(city))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["school_name"] == "市第六小学" and body["geofence_m"] == 150
    assert body["windows"] == [
        {"weekday": 0, "start": "07:00", "end": "08:00"},
        {"weekday": 0, "start": "15:30", "end": "17:00"},
        {"weekday": 4, "start": "15:30", "end": "17:00"},
    ]
    assert body["requirements"] == [
        {"group": "police", "minimum": 1},
        {"group": "volunteer", "minimum": 2},
    ]
    post = Post.objects.get(pk=body["id"])
    assert body["qr_token"] == post.qr_token
    assert AuditEvent.objects.filter(action="post.create", object_id=str(post.pk)).exists()


def test_windows_must_end_after_they_start_and_not_overlap(city: City, login: Any) -> None:
    client = login("school_lead")
    backwards = [{"weekday": 0, "start": "08:00", "end": "07:00"}]
    response = send(client, "POST", "/api/v1/posts/", _new_post(city, windows=backwards), lang="en")
    assert response.status_code == 400
    # Errors of one item of a list are keyed by its index.
    assert response.json() == {
        "windows": {
            "0": {"non_field_errors": ["The window “08:00-07:00” must end after it starts."]}
        }
    }
    overlapping = [
        {"weekday": 2, "start": "07:00", "end": "08:00"},
        {"weekday": 2, "start": "07:30", "end": "08:30"},
    ]
    response = send(
        client, "POST", "/api/v1/posts/", _new_post(city, windows=overlapping), lang="en"
    )
    assert response.json() == {"windows": ["Two duty windows overlap."]}
    response = send(client, "POST", "/api/v1/posts/", _new_post(city, windows=[]), lang="en")
    assert response.json() == {"windows": ["Enter at least one duty window, e.g. 07:00-08:00."]}
    assert not Post.objects.filter(name="北门").exists()


def test_staffing_names_each_group_once_and_needs_someone(city: City, login: Any) -> None:
    client = login("school_lead")
    twice = [{"group": "police", "minimum": 1}, {"group": "police", "minimum": 2}]
    response = send(
        client, "POST", "/api/v1/posts/", _new_post(city, requirements=twice), lang="en"
    )
    assert response.json() == {"requirements": ["Name each force group once."]}
    nobody = [{"group": "police", "minimum": 0}]
    response = send(
        client, "POST", "/api/v1/posts/", _new_post(city, requirements=nobody), lang="en"
    )
    assert response.json() == {
        "requirements": ["A post needs at least one person of some force group."]
    }
    too_many = [{"group": "guard", "minimum": 51}]
    response = send(
        client, "POST", "/api/v1/posts/", _new_post(city, requirements=too_many), lang="en"
    )
    assert response.status_code == 400 and "requirements" in response.json()


def test_a_gate_already_guarded_is_refused(city: City, login: Any) -> None:
    response = send(
        login("school_lead"), "POST", "/api/v1/posts/", _new_post(city, name="南门"), lang="en"
    )
    assert response.status_code == 400
    assert response.json() == {"name": ["This school already has a post at that gate."]}


def test_updating_a_post_replaces_its_windows_and_keeps_what_is_not_sent(
    city: City, login: Any
) -> None:
    url = f"/api/v1/posts/{city.post_a1.pk}/"
    windows = [{"weekday": 5, "start": "09:00", "end": "10:00"}]
    response = send(login("school_lead"), "PATCH", url, {"windows": windows})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["windows"] == windows
    assert body["requirements"] == [
        {"group": "guard", "minimum": 1},
        {"group": "police", "minimum": 1},
        {"group": "volunteer", "minimum": 2},
    ]
    assert body["name"] == "南门" and body["latitude"] == "45.771000"
    put = send(login("school_lead"), "PUT", url, {"windows": windows}, lang="en")
    assert put.status_code == 400 and set(put.json()) == {"latitude", "longitude", "requirements"}


def test_rotating_the_qr_token_retires_the_old_one(city: City, login: Any) -> None:
    old = city.post_a1.qr_token
    response = send(login("school_lead"), "POST", f"/api/v1/posts/{city.post_a1.pk}/rotate-qr/")
    assert response.status_code == 200
    new = response.json()["qr_token"]
    assert new and new != old and response.json()["qr_rotated_at"]
    assert Post.objects.get(pk=city.post_a1.pk).qr_token == new
    assert AuditEvent.objects.filter(
        action="post.rotate_qr", object_id=str(city.post_a1.pk)
    ).exists()


def test_a_voided_post_leaves_the_lists_and_its_url(city: City, login: Any) -> None:
    client = login("school_lead")
    url = f"/api/v1/posts/{city.post_a1.pk}/"
    response = send(client, "POST", url + "void/", {"reason": "校门改建"})
    assert response.status_code == 200 and response.json()["voided_at"]
    assert client.get("/api/v1/posts/").json()["count"] == 0
    assert client.get(url).status_code == 404
    assert Post.objects.get(pk=city.post_a1.pk).void_reason == "校门改建"


def test_the_post_list_filters_by_school(city: City, login: Any) -> None:
    client = login("city_admin")
    rows = client.get("/api/v1/posts/", {"school": city.school_b1.pk}).json()["results"]
    assert [row["name"] for row in rows] == ["正门"]


def test_a_station_adds_a_school_in_its_own_region(city: City, login: Any) -> None:
    body = {
        "name": "新兴第二中学",
        "stage": "middle",
        "station": city.station_a.pk,
        "pupils": 1200,
        "latitude": "45.780000",
        "longitude": "131.010000",
    }
    response = send(login("station_officer"), "POST", "/api/v1/schools/", body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["region"], created["station_name"], created["pupils"]) == (
        "230902",
        "新兴派出所",
        1200,
    )
    unit = Unit.objects.get(pk=created["unit"])
    assert (unit.kind, unit.parent_id) == (Unit.Kind.SCHOOL, city.station_a.pk)
    # The new school is in the station's scope at once, and its lead-to-be sees nothing of it yet.
    assert login("station_officer").get(f"/api/v1/schools/{created['id']}/").status_code == 200
    assert login("school_lead").get(f"/api/v1/schools/{created['id']}/").status_code == 404


def test_a_school_is_placed_only_within_its_stations_region(city: City, login: Any) -> None:
    body = {
        "name": "新兴第三中学",
        "stage": "middle",
        "station": city.station_a.pk,
        "region": "230903",
        "latitude": "45.780000",
        "longitude": "131.010000",
    }
    response = send(login("city_admin"), "POST", "/api/v1/schools/", body, lang="en")
    assert response.status_code == 400
    assert response.json() == {
        "region": ["A school's region must lie within its police station's region."]
    }


def test_a_school_cannot_be_put_under_another_stations_unit(city: City, login: Any) -> None:
    body = {
        "name": "某小学",
        "stage": "primary",
        "station": city.station_b.pk,
        "latitude": "45",
        "longitude": "131",
    }
    response = send(login("station_officer"), "POST", "/api/v1/schools/", body)
    assert response.status_code == 400 and "station" in response.json()


def test_renaming_a_school_to_a_sibling_name_is_refused(city: City, login: Any) -> None:
    url = f"/api/v1/schools/{city.school_a2.pk}/"
    response = send(login("station_officer"), "PATCH", url, {"name": "市第六小学"}, lang="en")
    assert response.status_code == 400
    assert response.json() == {"name": ["This police station already has a school of that name."]}
    assert School.objects.get(pk=city.school_a2.pk).unit.name == "新兴小学"
    renamed = send(
        login("station_officer"), "PATCH", url, {"name": "新兴实验小学", "address": "新兴路1号"}
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["address"]) == ("新兴实验小学", "新兴路1号")
