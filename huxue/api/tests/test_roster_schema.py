"""The rostering endpoints in the OpenAPI document: every path, method, filter and shape."""

from __future__ import annotations

from typing import Any

from django.test import Client
from drf_spectacular.validation import validate_schema

from huxue.api.tests.test_schema import ENDPOINTS

# The rostering part of the one list of paths in test_schema.
_ROSTER_PREFIXES = (
    "/api/v1/shifts/",
    "/api/v1/signups/",
    "/api/v1/availability/",
    "/api/v1/roster-runs/",
    "/api/v1/roster-versions/",
    "/api/v1/assignments/",
    "/api/v1/me/calendar-feed/",
)
ROSTER_ENDPOINTS = {
    path: methods for path, methods in ENDPOINTS.items() if path.startswith(_ROSTER_PREFIXES)
}


def _schema() -> dict[str, Any]:
    response = Client().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def test_the_schema_lists_every_roster_endpoint_and_stays_valid(db: None) -> None:
    schema = _schema()
    validate_schema(schema)
    paths = schema["paths"]
    for path, methods in ROSTER_ENDPOINTS.items():
        assert set(paths[path]) - {"parameters"} == methods, path


def test_the_roster_lists_document_their_filters(db: None) -> None:
    paths = _schema()["paths"]

    def names(path: str) -> set[str]:
        return {p["name"] for p in paths[path]["get"]["parameters"]}

    assert names("/api/v1/shifts/") == {"page", "school", "post", "from", "to"}
    for path in ("/api/v1/signups/", "/api/v1/roster-versions/"):
        assert names(path) == {"page", "school", "from", "to"}, path
    assert names("/api/v1/assignments/") == {"page", "school", "from", "to", "roster"}


def test_the_schema_describes_requests_and_explanations(db: None) -> None:
    components = _schema()["components"]["schemas"]
    assert set(components["Solve"]["required"]) == {"from", "to"}
    assert set(components["Solve"]["properties"]) == {"school", "unit", "from", "to", "seed"}
    assert set(components["Publish"]["required"]) == {"school", "from", "to"}
    assert components["SignUpCreate"]["required"] == ["shift"]
    unfilled = components["RosterRunDetail"]["properties"]["unfilled"]
    assert unfilled["items"]["$ref"].endswith("/Unfilled")
    assert {"reason", "reason_text", "suggestion_text"} <= set(components["Unfilled"]["properties"])
    detail = components["ShiftDetail"]["properties"]["requirements"]
    assert detail["items"]["$ref"].endswith("/NeedFill")
    assert components["CalendarFeed"]["properties"]["url"]["format"] == "uri"
