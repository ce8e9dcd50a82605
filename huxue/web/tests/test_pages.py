"""Every page against a role-by-scope matrix: in scope 200, out of scope or not allowed 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from huxue.core.models import AuditEvent
from huxue.testing import City

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
]

# page → the users who get 200 (everyone else gets 404)
EXPORTERS = {"city_admin", "station_officer", "education", "school_lead", "other_lead"}
PEOPLE_IMPORTERS = {"city_admin", "station_officer", "school_lead", "other_lead"}
SCHOOL_IMPORTERS = {"city_admin", "station_officer", "education"}
PEOPLE_READERS = {
    "city_admin",
    "station_officer",
    "education",
    "school_lead",
    "other_lead",
    "inspector",
    "volunteer",
}


def _pages(city: City) -> dict[str, tuple[str, set[str]]]:
    a1, b1 = city.person_a1, city.person_b1
    return {
        "people list": (reverse("people:list"), PEOPLE_READERS),
        "person a1": (
            reverse("people:detail", args=[a1.pk]),
            {"city_admin", "station_officer", "education", "school_lead", "inspector", "volunteer"},
        ),
        "person b1": (
            reverse("people:detail", args=[b1.pk]),
            {"city_admin", "education", "other_lead"},
        ),
        "edit person a1": (
            reverse("people:edit", args=[a1.pk]),
            {"city_admin", "station_officer", "school_lead"},
        ),
        "register": (
            reverse("people:create"),
            {"city_admin", "station_officer", "school_lead", "other_lead"},
        ),
        "schools": (
            reverse("posts:school_list"),
            {
                "city_admin",
                "station_officer",
                "education",
                "school_lead",
                "other_lead",
                "inspector",
            },
        ),
        "school a1": (
            reverse("posts:school_detail", args=[city.school_a1.pk]),
            {"city_admin", "station_officer", "education", "school_lead", "inspector"},
        ),
        "school b1": (
            reverse("posts:school_detail", args=[city.school_b1.pk]),
            {"city_admin", "education", "other_lead"},
        ),
        "posts": (
            reverse("posts:post_list"),
            {
                "city_admin",
                "station_officer",
                "education",
                "school_lead",
                "other_lead",
                "inspector",
            },
        ),
        "post a1": (
            reverse("posts:post_detail", args=[city.post_a1.pk]),
            {"city_admin", "station_officer", "education", "school_lead", "inspector"},
        ),
        "post b1": (
            reverse("posts:post_detail", args=[city.post_b1.pk]),
            {"city_admin", "education", "other_lead"},
        ),
        "edit post a1": (
            reverse("posts:post_edit", args=[city.post_a1.pk]),
            {"city_admin", "station_officer", "school_lead"},
        ),
        "poster a1": (
            reverse("posts:post_poster", args=[city.post_a1.pk]),
            {"city_admin", "station_officer", "school_lead"},
        ),
        "add post a1": (
            reverse("posts:post_create", args=[city.school_a1.pk]),
            {"city_admin", "station_officer", "school_lead"},
        ),
        "add school": (
            reverse("posts:school_create"),
            {"city_admin", "station_officer", "education"},
        ),
        "audit": (reverse("audit:list"), {"auditor"}),
        "import / export": (reverse("imports:index"), EXPORTERS | {"inspector"}),
        "people template": (reverse("imports:template", args=["people"]), PEOPLE_IMPORTERS),
        "schools template": (reverse("imports:template", args=["schools"]), SCHOOL_IMPORTERS),
        "posts template": (reverse("imports:template", args=["posts"]), PEOPLE_IMPORTERS),
        "people export": (reverse("imports:export", args=["people"]), EXPORTERS),
        "schools export": (
            reverse("imports:export", args=["schools"]),
            {"city_admin", "station_officer", "education", "inspector"},
        ),
        "posts export": (reverse("imports:export", args=["posts"]), EXPORTERS | {"inspector"}),
    }


@pytest.mark.parametrize("username", USERS)
def test_every_page_answers_by_role_and_scope(city: City, login, username: str) -> None:
    client = login(username)
    for name, (url, allowed) in _pages(city).items():
        expected = 200 if username in allowed else 404
        assert client.get(url).status_code == expected, f"{username} → {name}"


def test_the_people_list_shows_masked_values_only(city: City, login) -> None:
    body = login("school_lead").get(reverse("people:list")).content.decode()
    person = city.person_a1
    assert person.id_masked in body and person.phone_masked in body
    assert person.id_number not in body and person.phone not in body
    assert city.person_b1.name not in body


def test_the_edit_page_never_prints_full_values(city: City, login) -> None:
    body = (
        login("school_lead").get(reverse("people:edit", args=[city.person_a1.pk])).content.decode()
    )
    assert city.person_a1.id_number not in body and city.person_a1.phone not in body


def test_searching_by_full_id_number_finds_the_person(city: City, login) -> None:
    number = city.person_a1.id_number.lower()
    body = login("school_lead").get(reverse("people:list"), {"q": number}).content.decode()
    assert city.person_a1.name in body


def test_reveal_needs_a_reason_and_is_audited(city: City, login) -> None:
    client = login("school_lead")
    url = reverse("people:reveal", args=[city.person_a1.pk])
    refused = client.post(url, {"field": "id_number", "reason": ""}).content.decode()
    assert city.person_a1.id_number not in refused
    shown = client.post(url, {"field": "id_number", "reason": "核对身份"}).content.decode()
    assert city.person_a1.id_number in shown
    event = AuditEvent.objects.get(action="person.reveal")
    assert event.actor_username == "school_lead" and event.detail == {
        "field": "id_number",
        "reason": "核对身份",
    }


@pytest.mark.parametrize(
    "username", ["education", "inspector", "volunteer", "other_lead", "auditor"]
)
def test_reveal_is_not_found_without_the_permission_in_scope(
    city: City, login, username: str
) -> None:
    response = login(username).post(
        reverse("people:reveal", args=[city.person_a1.pk]),
        {"field": "phone", "reason": "test reason"},
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="person.reveal").exists()


def test_a_lead_registers_a_member_and_sees_errors_in_chinese(city: City, login) -> None:
    client = login("school_lead")
    data = {
        "name": "赵敏",
        "force_type": "parent",
        "unit": city.school_a1.unit_id,
        "phone": "138 1234 5678",
        "id_number": "23090219800101123",
        "vetting_status": "pending",
        "training_status": "none",
    }
    body = client.post(reverse("people:create"), data).content.decode()
    assert "18" in body and "身份证" in body  # "公民身份号码由 18 位组成" style message
    from huxue.core.validators import id_check_char

    data["id_number"] = "23090219800101123" + id_check_char("23090219800101123")
    response = client.post(reverse("people:create"), data)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="person.create", actor_username="school_lead").exists()


def test_a_lead_cannot_register_into_another_school(city: City, login) -> None:
    data = {
        "name": "赵敏",
        "force_type": "parent",
        "unit": city.school_b1.unit_id,
        "phone": "13812345678",
        "id_number": "11010519491231002X",
        "vetting_status": "pending",
        "training_status": "none",
    }
    response = login("school_lead").post(reverse("people:create"), data)
    assert response.status_code == 200 and "unit" in response.context["form"].errors


def test_voiding_keeps_the_record_and_needs_a_reason(city: City, login) -> None:
    client = login("school_lead")
    client.post(reverse("people:void", args=[city.person_a1.pk]), {"reason": ""})
    city.person_a1.refresh_from_db()
    assert city.person_a1.voided_at is None
    client.post(reverse("people:void", args=[city.person_a1.pk]), {"reason": "moved away"})
    city.person_a1.refresh_from_db()
    assert city.person_a1.voided_at is not None and city.person_a1.void_reason == "moved away"


def test_rotating_the_qr_token_retires_the_old_poster(city: City, login) -> None:
    old = city.post_a1.qr_token
    assert login("volunteer").get(reverse("posts:qr_landing", args=[old])).status_code == 200
    login("school_lead").post(reverse("posts:post_rotate_qr", args=[city.post_a1.pk]))
    city.post_a1.refresh_from_db()
    assert city.post_a1.qr_token != old
    client = login("volunteer")
    assert client.get(reverse("posts:qr_landing", args=[old])).status_code == 404
    assert client.get(reverse("posts:qr_landing", args=[city.post_a1.qr_token])).status_code == 200


def test_the_poster_carries_a_qr_code_for_the_current_token(city: City, login) -> None:
    body = (
        login("school_lead")
        .get(reverse("posts:post_poster", args=[city.post_a1.pk]))
        .content.decode()
    )
    assert "<svg" in body and city.post_a1.name in body


def test_a_lead_adds_a_post_with_windows_and_requirements(city: City, login) -> None:
    client = login("school_lead")
    data = {
        "name": "北门",
        "latitude": "45.771",
        "longitude": "131.004",
        "geofence_m": 120,
        "weekdays": [0, 1, 2, 3, 4],
        "windows": "07:10-08:00，15:30-16:30",
        "police": 1,
        "guard": 0,
        "staff": 1,
        "volunteer": 2,
    }
    response = client.post(reverse("posts:post_create", args=[city.school_a1.pk]), data)
    assert response.status_code == 302
    post = city.school_a1.posts.get(name="北门")
    assert post.windows.count() == 10 and {r.group: r.minimum for r in post.requirements.all()} == {
        "police": 1,
        "staff": 1,
        "volunteer": 2,
    }
    bad = client.post(
        reverse("posts:post_create", args=[city.school_a1.pk]),
        {**data, "name": "西门", "windows": "08:00-07:00"},
    )
    assert bad.status_code == 200 and "windows" in bad.context["form"].errors
    saturday = client.post(
        reverse("posts:post_create", args=[city.school_a1.pk]),
        {**data, "name": "西门", "weekdays": [5], "windows": "08:00-09:00"},
    )
    assert saturday.status_code == 302
    assert list(
        city.school_a1.posts.get(name="西门").windows.values_list("weekday", flat=True)
    ) == [5]


def test_the_edit_form_starts_from_the_posts_own_days(city: City, login) -> None:
    response = login("school_lead").get(reverse("posts:post_edit", args=[city.post_a1.pk]))
    assert response.context["form"].initial["weekdays"] == [0, 1, 2, 3, 4]


def test_list_pages_use_a_constant_number_of_queries(
    city: City, login, django_assert_max_num_queries
) -> None:
    client = login("city_admin")
    for url in (reverse("people:list"), reverse("posts:post_list"), reverse("posts:school_list")):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "username,expected",
    [
        (
            "school_lead",
            [
                "duty:board",
                "duty:alerts",
                "people:list",
                "posts:school_list",
                "posts:post_list",
                "imports:index",
                "calendar:index",
                "roster:lead",
                "duty:stats",
                "supervision:home",
                "supervision:hazards",
                "city_rules",
            ],
        ),
        ("volunteer", ["duty:today", "roster:my_shifts", "duty:my_hours"]),
        ("auditor", ["audit:list"]),
        ("stranger", []),
    ],
)
def test_the_menu_offers_only_what_the_role_may_open(
    city: City, login, username: str, expected: list[str]
) -> None:
    items = login(username).get(reverse("home")).context["nav_items"]
    assert [i["url"] for i in items] == [reverse(name) for name in expected]


def test_the_posters_header_names_the_post_once_in_chinese_and_adds_english_in_english(
    city: City, login
) -> None:
    url = reverse("posts:post_poster", args=[city.post_a1.pk])
    client = login("school_lead")
    chinese = client.get(url).content.decode()
    assert '<p class="kicker">护学岗</p>' in chinese and "护学岗 · 护学岗" not in chinese
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "护学岗 · School-gate guard post" in english


def test_only_the_deepest_menu_item_is_active(city: City, login) -> None:
    """/supervision/hazards/ is under /supervision/: only 隐患 is marked, not 督导 as well."""
    client = login("school_lead")
    items = client.get(reverse("supervision:hazards")).context["nav_items"]
    assert [i["url"] for i in items if i["active"]] == [reverse("supervision:hazards")]
    items = client.get(reverse("supervision:rounds")).context["nav_items"]
    assert [i["url"] for i in items if i["active"]] == [reverse("supervision:home")]
    items = client.get(reverse("duty:stats")).context["nav_items"]
    assert [i["url"] for i in items if i["active"]] == [reverse("duty:stats")]
