from __future__ import annotations

import re
from typing import Any

from django.contrib.staticfiles import finders
from django.test import Client
from drf_spectacular.validation import validate_schema

from huxue.testing import City

ENDPOINTS = {
    "/api/v1/shifts/": {"get"},
    "/api/v1/shifts/{id}/": {"get"},
    "/api/v1/shifts/generate/": {"post"},
    "/api/v1/signups/": {"get", "post"},
    "/api/v1/signups/{id}/withdraw/": {"post"},
    "/api/v1/signups/{id}/accept/": {"post"},
    "/api/v1/signups/{id}/decline/": {"post"},
    "/api/v1/availability/": {"get", "put"},
    "/api/v1/availability/exceptions/": {"post"},
    "/api/v1/roster-runs/": {"get", "post"},
    "/api/v1/roster-runs/{id}/": {"get"},
    "/api/v1/roster-versions/": {"get", "post"},
    "/api/v1/roster-versions/{id}/": {"get"},
    "/api/v1/assignments/": {"get", "post"},
    "/api/v1/assignments/{id}/drop/": {"post"},
    "/api/v1/assignments/{id}/lock/": {"post"},
    "/api/v1/shifts/{id}/substitutes/": {"get"},
    "/api/v1/swaps/": {"get", "post"},
    "/api/v1/swaps/{id}/approve/": {"post"},
    "/api/v1/swaps/{id}/reject/": {"post"},
    "/api/v1/me/calendar-feed/": {"post"},
    "/api/v1/people/": {"get", "post"},
    "/api/v1/people/{id}/": {"get", "put", "patch"},
    "/api/v1/people/{id}/void/": {"post"},
    "/api/v1/people/{id}/reveal/": {"post"},
    "/api/v1/people/{id}/consents/": {"post"},
    "/api/v1/schools/": {"get", "post"},
    "/api/v1/schools/{id}/": {"get", "put", "patch"},
    "/api/v1/posts/": {"get", "post"},
    "/api/v1/posts/{id}/": {"get", "put", "patch"},
    "/api/v1/posts/{id}/void/": {"post"},
    "/api/v1/posts/{id}/rotate-qr/": {"post"},
    "/api/v1/units/": {"get"},
    "/api/v1/regions/": {"get"},
    "/api/v1/me/": {"get"},
    "/api/v1/auth/token/": {"post", "delete"},
    "/api/v1/checkins/": {"get", "post"},
    "/api/v1/checkins/{id}/checkout/": {"post"},
    "/api/v1/board/": {"get"},
    "/api/v1/person-times/": {"get"},
    "/api/v1/shifts/{id}/rollcall/": {"post"},
    "/api/v1/gap-alerts/": {"get"},
    "/api/v1/callouts/": {"get", "post"},
    "/api/v1/callouts/{id}/accept/": {"post"},
    "/api/v1/callouts/{id}/decline/": {"post"},
    "/api/v1/messages/": {"get"},
    "/api/v1/messages/{id}/read/": {"post"},
    "/api/v1/checklist/": {"get"},
    "/api/v1/photos/": {"post"},
    "/api/v1/rounds/": {"get", "post"},
    "/api/v1/rounds/{id}/": {"get"},
    "/api/v1/rounds/{id}/answer/": {"post"},
    "/api/v1/rounds/{id}/submit/": {"post"},
    "/api/v1/hazards/": {"get", "post"},
    "/api/v1/hazards/{id}/": {"get"},
    "/api/v1/hazards/{id}/step/": {"post"},
}


def _schema() -> dict[str, Any]:
    response = Client().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def test_the_schema_is_valid_openapi_and_lists_every_endpoint(db: None) -> None:
    schema = _schema()
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert set(paths) == set(ENDPOINTS)
    for path, methods in ENDPOINTS.items():
        assert set(paths[path]) - {"parameters"} == methods, path


def test_the_schema_shows_numbers_masked_on_the_way_out_and_write_only_on_the_way_in(
    db: None,
) -> None:
    components = _schema()["components"]["schemas"]
    for name in ("Person", "PersonDetail"):
        properties = components[name]["properties"]
        assert {"id_number_masked", "phone_masked"} <= set(properties)
        assert not {"id_number", "phone"} & set(properties)
    for name in ("PersonWrite", "PersonUpdate", "PatchedPersonUpdate"):
        properties = components[name]["properties"]
        assert properties["id_number"]["writeOnly"] and properties["phone"]["writeOnly"]
    assert set(components["PersonWrite"]["required"]) == {
        "unit",
        "name",
        "force_type",
        "id_number",
        "phone",
    }
    assert "id_number" not in components["PersonUpdate"]["required"]
    assert components["Revealed"]["required"] == ["field", "value"]


def test_the_schema_describes_nested_windows_and_staffing(db: None) -> None:
    components = _schema()["components"]["schemas"]
    post = components["PostCreate"]["properties"]
    assert post["windows"]["items"]["$ref"].endswith("/Window")
    assert post["requirements"]["items"]["$ref"].endswith("/Requirement")
    assert set(components["Window"]["properties"]) == {"weekday", "start", "end"}
    assert components["Post"]["properties"]["qr_token"]["nullable"] is True


def test_the_list_endpoints_document_their_filters_and_pages(db: None) -> None:
    paths = _schema()["paths"]
    people = {p["name"] for p in paths["/api/v1/people/"]["get"]["parameters"]}
    assert people == {"page", "unit", "force_type", "vetting_status", "training_status", "search"}
    assert {p["name"] for p in paths["/api/v1/posts/"]["get"]["parameters"]} == {"page", "school"}
    response = paths["/api/v1/people/"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PaginatedPersonList"
    )


def test_the_docs_page_loads_only_our_own_static_files(city: City, login: Any) -> None:
    for client in (Client(), login("school_lead")):
        response = client.get("/api/docs/")
        assert response.status_code == 200
        html = response.content.decode()
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert len(assets) >= 3
        for url in assets:
            assert url.startswith("/static/"), url
            assert finders.find(url.removeprefix("/static/")), url
        assert "/api/schema/" in html
        assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
