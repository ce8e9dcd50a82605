"""Request bodies and renderers (huxue.api.content): the quick paths answer as DRF would."""

from __future__ import annotations

import pytest
from django.test import Client

from huxue.testing import City

URL = "/api/v1/schools/"
CHECKINS = "/api/v1/checkins/"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"name": ', "application/json"),  # cut off
        (b'{"latitude": NaN}', "application/json"),  # not JSON's numbers
        (b"\xff\xfe{}", "application/json"),  # not UTF-8
        (b'{"name": ', "application/json; charset=utf-8"),
    ],
)
def test_a_body_that_is_not_json_is_a_400(login, body: bytes, content_type: str) -> None:
    response = login("volunteer").generic(
        "POST", CHECKINS, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_json_body_in_another_declared_charset_is_read(city: City, login) -> None:
    body = '{"method": "传送"}'.encode("utf-16")
    response = login("volunteer").generic(
        "POST",
        CHECKINS,
        body,
        content_type="application/json; charset=utf-16",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    # Read by DRF's own parser: the answer is about the fields, not the body.
    assert response.status_code == 400
    assert "method" in response.json()


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        ("", "", "application/json"),
        ("*/*", "", "application/json"),
        ("application/json", "", "application/json"),
        ("text/html", "", "text/html"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "", "text/html"),
        ("*/*", "format=json", "application/json"),
        ("*/*", "format=api", "text/html"),
    ],
)
def test_the_renderer_is_the_one_drf_would_pick(
    city: City, login, accept: str, query: str, expected: str
) -> None:
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = login("school_lead").get(f"{URL}?{query}", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(expected)


def test_an_unacceptable_accept_is_406(login) -> None:
    response = login("school_lead").get(URL, HTTP_ACCEPT="image/png")
    assert response.status_code == 406


def test_anonymous_json_is_still_401(db) -> None:
    response = Client().post(URL, b"{}", content_type="application/json")
    assert response.status_code == 401
