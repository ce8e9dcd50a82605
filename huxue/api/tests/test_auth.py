from __future__ import annotations

from typing import Any

from django.test import Client
from rest_framework.authtoken.models import Token

from huxue.api.tests.helpers import send
from huxue.core.models import AuditEvent
from huxue.testing import PASSWORD, City

URL = "/api/v1/auth/token/"


def _token(username: str, password: str = PASSWORD, **headers: Any) -> Any:
    return send(Client(), "POST", URL, {"username": username, "password": password}, **headers)


def test_a_password_buys_a_token_that_opens_the_api(city: City) -> None:
    response = _token("school_lead")
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=city.users["school_lead"]).key == token
    me = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200 and me.json()["username"] == "school_lead"
    people = Client().get("/api/v1/people/", HTTP_AUTHORIZATION=f"Token {token}").json()
    assert [p["name"] for p in people["results"]] == ["李红"]
    event = AuditEvent.objects.filter(action="login").latest("id")
    assert (event.actor_username, event.outcome, event.channel) == ("school_lead", "success", "api")
    city.users["school_lead"].refresh_from_db()
    assert city.users["school_lead"].last_login is not None


def test_a_wrong_password_is_refused_and_audited(city: City) -> None:
    response = _token("school_lead", "not-the-password", lang="en")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert not Token.objects.exists()
    event = AuditEvent.objects.filter(action="login").latest("id")
    assert (event.actor_username, event.outcome, event.channel) == ("school_lead", "failure", "api")
    assert "not-the-password" not in str(event.detail)


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    city: City, settings: Any
) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _token("school_lead", "guess-guess-1")
    response = _token("school_lead", lang="en")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "locked" in response.json()["detail"]
    assert not Token.objects.exists()
    # Another account is not affected by the guesses at this one.
    assert _token("other_lead").status_code == 200


def test_a_success_resets_the_failure_count(city: City, settings: Any) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _token("school_lead", "guess-guess-1")
    assert _token("school_lead").status_code == 200
    _token("school_lead", "guess-guess-1")
    assert _token("school_lead").status_code == 200


def test_an_inactive_account_gets_no_token(city: City) -> None:
    user = city.users["school_lead"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _token("school_lead").status_code == 400


def test_a_stale_token_header_does_not_block_logging_in(city: City) -> None:
    response = _token("school_lead", HTTP_AUTHORIZATION="Token deadbeef")
    assert response.status_code == 200


def test_revoking_the_token_closes_the_api_to_it(city: City) -> None:
    token = _token("volunteer").json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert Client().delete(URL, **auth).status_code == 204
    assert Client().get("/api/v1/me/", **auth).status_code == 401
    assert AuditEvent.objects.filter(action="api.token.revoke", actor_username="volunteer").exists()
    assert Client().delete(URL).status_code == 401


def test_anonymous_callers_are_asked_to_authenticate(city: City) -> None:
    response = Client().get("/api/v1/people/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}
