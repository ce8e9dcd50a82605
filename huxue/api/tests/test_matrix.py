"""Every named user against every endpoint: the status code each must get, and what lists show.

The test city (huxue/testing.py) has two sides:
  side A: 新兴派出所 (station_a, 新兴区) polices 市第六小学 (school_a1: post 南门, person 李红) and
          新兴小学 (school_a2);
  side B: 桃山派出所 (station_b, 桃山区) polices 桃山小学 (school_b1: post 正门, person 王刚).
For school_lead, station_officer, inspector and volunteer, side A is in scope and side B is not;
for other_lead it is the other way round. The rule the codes follow is in huxue/api/base.py:
404 for any object endpoint the caller may not use, 403 only for creating what no role of the
caller may create, an empty page for lists, 401 for anonymous callers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from huxue.api.tests.helpers import send
from huxue.testing import City

Request = Callable[[City], tuple[str, str, Any]]

USERS = [
    "city_admin",
    "station_officer",
    "education",
    "school_lead",
    "other_lead",
    "inspector",
    "volunteer",
    "sysadmin",
    "secadmin",
    "auditor",
    "stranger",
    "anonymous",
]

PEOPLE_ENDPOINTS: dict[str, Request] = {
    "get A": lambda c: ("GET", f"/api/v1/people/{c.person_a1.pk}/", None),
    "get B": lambda c: ("GET", f"/api/v1/people/{c.person_b1.pk}/", None),
    "create at A": lambda c: (
        "POST",
        "/api/v1/people/",
        {
            "unit": c.school_a1.unit.pk,
            "name": "赵六",
            "force_type": "parent",
            "id_number": "11010519491231002X",
            "phone": "13812345678",
        },
    ),
    "update A": lambda c: ("PATCH", f"/api/v1/people/{c.person_a1.pk}/", {"name": "李红红"}),
    "void A": lambda c: ("POST", f"/api/v1/people/{c.person_a1.pk}/void/", {"reason": "已调离"}),
    "reveal A": lambda c: (
        "POST",
        f"/api/v1/people/{c.person_a1.pk}/reveal/",
        {"field": "id_number", "reason": "核实身份信息"},
    ),
    "consent A": lambda c: (
        "POST",
        f"/api/v1/people/{c.person_a1.pk}/consents/",
        {"text_version": "2024-1", "method": "paper"},
    ),
}

# user:              get A, get B, create, update, void, reveal, consent
PEOPLE: dict[str, tuple[int, ...]] = {
    "city_admin":      (200, 200, 201, 200, 200, 200, 201),
    "station_officer": (200, 404, 201, 200, 200, 200, 201),
    "education":       (200, 200, 403, 404, 404, 404, 404),  # reads, never reveals or writes
    "school_lead":     (200, 404, 201, 200, 200, 200, 201),
    "other_lead":      (404, 200, 400, 404, 404, 404, 404),  # 400: unit A is not one of theirs
    "inspector":       (200, 404, 403, 404, 404, 404, 404),
    "volunteer":       (200, 404, 403, 404, 404, 404, 404),  # A is their own record
    "sysadmin":        (404, 404, 403, 404, 404, 404, 404),
    "secadmin":        (404, 404, 403, 404, 404, 404, 404),
    "auditor":         (404, 404, 403, 404, 404, 404, 404),
    "stranger":        (404, 404, 403, 404, 404, 404, 404),
    "anonymous":       (401, 401, 401, 401, 401, 401, 401),
}  # fmt: skip

POST_ENDPOINTS: dict[str, Request] = {
    "get A": lambda c: ("GET", f"/api/v1/posts/{c.post_a1.pk}/", None),
    "get B": lambda c: ("GET", f"/api/v1/posts/{c.post_b1.pk}/", None),
    "create at A": lambda c: (
        "POST",
        "/api/v1/posts/",
        {
            "school": c.school_a1.pk,
            "name": "北门",
            "latitude": "45.771500",
            "longitude": "131.003500",
            "windows": [{"weekday": 0, "start": "07:00", "end": "08:00"}],
            "requirements": [{"group": "police", "minimum": 1}],
        },
    ),
    "update A": lambda c: ("PATCH", f"/api/v1/posts/{c.post_a1.pk}/", {"geofence_m": 200}),
    "void A": lambda c: ("POST", f"/api/v1/posts/{c.post_a1.pk}/void/", {"reason": "校门改建"}),
    "rotate-qr A": lambda c: ("POST", f"/api/v1/posts/{c.post_a1.pk}/rotate-qr/", None),
}

# user:              get A, get B, create, update, void, rotate-qr
POSTS: dict[str, tuple[int, ...]] = {
    "city_admin":      (200, 200, 201, 200, 200, 200),
    "station_officer": (200, 404, 201, 200, 200, 200),
    "education":       (200, 200, 403, 404, 404, 404),
    "school_lead":     (200, 404, 201, 200, 200, 200),
    "other_lead":      (404, 200, 400, 404, 404, 404),
    "inspector":       (200, 404, 403, 404, 404, 404),
    "volunteer":       (404, 404, 403, 404, 404, 404),
    "sysadmin":        (404, 404, 403, 404, 404, 404),
    "secadmin":        (404, 404, 403, 404, 404, 404),
    "auditor":         (404, 404, 403, 404, 404, 404),
    "stranger":        (404, 404, 403, 404, 404, 404),
    "anonymous":       (401, 401, 401, 401, 401, 401),
}  # fmt: skip

SCHOOL_ENDPOINTS: dict[str, Request] = {
    "get A": lambda c: ("GET", f"/api/v1/schools/{c.school_a1.pk}/", None),
    "get B": lambda c: ("GET", f"/api/v1/schools/{c.school_b1.pk}/", None),
    "create at A": lambda c: (
        "POST",
        "/api/v1/schools/",
        {
            "name": "新兴第二中学",
            "stage": "middle",
            "station": c.station_a.pk,
            "latitude": "45.780000",
            "longitude": "131.010000",
        },
    ),
    "update A": lambda c: ("PATCH", f"/api/v1/schools/{c.school_a1.pk}/", {"pupils": 900}),
}

# user:              get A, get B, create, update
SCHOOLS: dict[str, tuple[int, ...]] = {
    "city_admin":      (200, 200, 201, 200),
    "station_officer": (200, 404, 201, 200),
    "education":       (200, 200, 201, 200),
    "school_lead":     (200, 404, 403, 404),  # reads their school; the station keeps its record
    "other_lead":      (404, 200, 403, 404),
    "inspector":       (200, 404, 403, 404),
    "volunteer":       (404, 404, 403, 404),
    "sysadmin":        (404, 404, 403, 404),
    "secadmin":        (404, 404, 403, 404),
    "auditor":         (404, 404, 403, 404),
    "stranger":        (404, 404, 403, 404),
    "anonymous":       (401, 401, 401, 401),
}  # fmt: skip

# What each user's lists show, by name: people, posts, schools, units (None: 401).
LISTS: dict[str, tuple[set[str], set[str], set[str], set[str]] | None] = {
    "city_admin": (
        {"李红", "王刚"},
        {"南门", "正门"},
        {"市第六小学", "新兴小学", "桃山小学"},
        {"七台河市公安局", "新兴派出所", "桃山派出所", "市第六小学", "新兴小学", "桃山小学"},
    ),
    "station_officer": (
        {"李红"},
        {"南门"},
        {"市第六小学", "新兴小学"},
        {"新兴派出所", "市第六小学", "新兴小学"},
    ),
    "education": (
        {"李红", "王刚"},
        {"南门", "正门"},
        {"市第六小学", "新兴小学", "桃山小学"},
        {
            "七台河市公安局",
            "新兴派出所",
            "桃山派出所",
            "七台河市教育局",
            "市第六小学",
            "新兴小学",
            "桃山小学",
        },
    ),
    "school_lead": ({"李红"}, {"南门"}, {"市第六小学"}, {"市第六小学"}),
    "other_lead": ({"王刚"}, {"正门"}, {"桃山小学"}, {"桃山小学"}),
    "inspector": (
        {"李红"},
        {"南门"},
        {"市第六小学", "新兴小学"},
        {"新兴派出所", "市第六小学", "新兴小学"},
    ),
    "volunteer": ({"李红"}, set(), set(), set()),
    "sysadmin": (
        set(),
        set(),
        set(),
        {
            "七台河市公安局",
            "新兴派出所",
            "桃山派出所",
            "七台河市教育局",
            "市第六小学",
            "新兴小学",
            "桃山小学",
        },
    ),
    "secadmin": (
        set(),
        set(),
        set(),
        {
            "七台河市公安局",
            "新兴派出所",
            "桃山派出所",
            "七台河市教育局",
            "市第六小学",
            "新兴小学",
            "桃山小学",
        },
    ),
    "auditor": (set(), set(), set(), set()),
    "stranger": (set(), set(), set(), set()),
    "anonymous": None,
}


def _check(
    client: Client, city: City, secrets_of: list[str], endpoint: Request, expected: int
) -> None:
    method, url, body = endpoint(city)
    # Each call is undone afterwards, so that one city serves the whole row of the table.
    with transaction.atomic():
        response = send(client, method, url, body)
        transaction.set_rollback(True)
    assert response.status_code == expected, response.content.decode()
    if "/reveal/" not in url or expected != 200:
        text = response.content.decode()
        for secret in secrets_of:
            assert secret not in text


def _row(
    table: dict[str, tuple[int, ...]],
    endpoints: dict[str, Request],
    user: str,
    client_for: Callable[[str], Client],
    city: City,
    secrets_of: list[str],
    subtests: Any,
) -> None:
    assert set(table) == set(USERS)
    client = client_for(user)
    for (name, endpoint), expected in zip(endpoints.items(), table[user], strict=True):
        with subtests.test(endpoint=name, expected=expected):
            _check(client, city, secrets_of, endpoint, expected)


@pytest.mark.parametrize("user", USERS)
def test_people_endpoints_answer_each_role_by_scope(
    client_for: Any, city: City, secrets_of: list[str], subtests: Any, user: str
) -> None:
    _row(PEOPLE, PEOPLE_ENDPOINTS, user, client_for, city, secrets_of, subtests)


@pytest.mark.parametrize("user", USERS)
def test_post_endpoints_answer_each_role_by_scope(
    client_for: Any, city: City, secrets_of: list[str], subtests: Any, user: str
) -> None:
    _row(POSTS, POST_ENDPOINTS, user, client_for, city, secrets_of, subtests)


@pytest.mark.parametrize("user", USERS)
def test_school_endpoints_answer_each_role_by_scope(
    client_for: Any, city: City, secrets_of: list[str], subtests: Any, user: str
) -> None:
    _row(SCHOOLS, SCHOOL_ENDPOINTS, user, client_for, city, secrets_of, subtests)


def _names(response: Any, key: str = "name") -> set[str]:
    assert response.status_code == 200
    return {row[key] for row in response.json()["results"]}


@pytest.mark.parametrize("user", USERS)
def test_lists_show_each_role_exactly_its_scope(
    client_for: Any, city: City, secrets_of: list[str], user: str
) -> None:
    client = client_for(user)
    urls = ["/api/v1/people/", "/api/v1/posts/", "/api/v1/schools/", "/api/v1/units/"]
    expected = LISTS[user]
    if expected is None:
        for url in [*urls, "/api/v1/regions/", "/api/v1/me/"]:
            response = client.get(url)
            assert response.status_code == 401
            assert response["WWW-Authenticate"] == "Token"
        return
    for url, names in zip(urls, expected, strict=True):
        response = client.get(url)
        assert _names(response) == names, url
        for secret in secrets_of:
            assert secret not in response.content.decode()
    # The GB/T 2260 table is public reference data: every signed-in account reads all of it.
    assert _names(client.get("/api/v1/regions/"), "code") == {"230900", "230902", "230903"}


@pytest.mark.parametrize("user", [u for u in USERS if u != "anonymous"])
def test_me_shows_the_callers_own_roles_and_record(client_for: Any, city: City, user: str) -> None:
    body = client_for(user).get("/api/v1/me/").json()
    assert body["username"] == user
    assert body["roles"] == sorted({m["role"] for m in body["memberships"]})
    assert body["person"] == (city.person_a1.pk if user == "volunteer" else None)
    if user == "stranger":
        assert body["roles"] == []


def test_the_qr_token_is_shown_only_to_those_who_may_write_the_post(
    client_for: Any, city: City
) -> None:
    url = f"/api/v1/posts/{city.post_a1.pk}/"
    assert client_for("school_lead").get(url).json()["qr_token"] == city.post_a1.qr_token
    assert client_for("station_officer").get(url).json()["qr_token"] == city.post_a1.qr_token
    for reader in ("education", "inspector"):
        assert client_for(reader).get(url).json()["qr_token"] is None
        rows = client_for(reader).get("/api/v1/posts/").json()["results"]
        assert rows and all(row["qr_token"] is None for row in rows)
    rows = client_for("city_admin").get("/api/v1/posts/").json()["results"]
    assert {row["qr_token"] for row in rows} == {city.post_a1.qr_token, city.post_b1.qr_token}


def test_there_is_no_hard_delete(client_for: Any, city: City) -> None:
    client = client_for("city_admin")
    assert client.delete(f"/api/v1/people/{city.person_a1.pk}/").status_code == 405
    assert client.delete(f"/api/v1/posts/{city.post_a1.pk}/").status_code == 405
    assert client.delete(f"/api/v1/schools/{city.school_a1.pk}/").status_code == 405


def test_ids_that_cannot_exist_are_simply_not_found(client_for: Any, city: City) -> None:
    client = client_for("city_admin")
    huge = "9" * 25
    for url in (f"/api/v1/people/{huge}/", f"/api/v1/posts/{huge}/", f"/api/v1/schools/{huge}/"):
        assert client.get(url).status_code == 404
    assert client.get("/api/v1/people/abc/").status_code == 404
    assert client.get("/api/v1/posts/", {"school": huge}).status_code == 400
    assert client.get("/api/v1/people/", {"unit": huge}).status_code == 400
