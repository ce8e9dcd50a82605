from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huxue.core.models import AuditEvent
from huxue.testing import PASSWORD, City


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_signing_in_lands_on_home_and_is_audited(city: City) -> None:
    client = Client()
    response = _login(client, "school_lead", PASSWORD)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="login", actor_username="school_lead", outcome="success"
    ).exists()
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_password_is_refused_and_audited(city: City) -> None:
    response = _login(Client(), "school_lead", "wrong-password")
    assert response.status_code == 200
    assert (
        AuditEvent.objects.filter(
            action="login", actor_username="school_lead", outcome="failure"
        ).count()
        == 1
    )


def test_the_account_locks_after_repeated_failures(city: City, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), "school_lead", "wrong-password")
    response = _login(Client(), "school_lead", PASSWORD)
    assert response.status_code == 429
    assert "locked" in response.content.decode().lower() or "锁定" in response.content.decode()


def test_pages_need_a_login() -> None:
    response = Client().get(reverse("people:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("weak", ["short1A", "alllowercaseletters", "1234567890123", "password123"])
def test_the_password_policy_refuses_weak_passwords(weak: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(weak)


def test_a_strong_password_passes() -> None:
    validate_password("Gate-Guard-2026")


def test_each_request_renews_the_idle_timer(settings, city: City) -> None:
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client = Client()
    _login(client, "school_lead", PASSWORD)
    session = Session.objects.get(session_key=client.session.session_key)
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() + dt.timedelta(minutes=1)
    )
    client.get(reverse("home"))
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert renewed > timezone.now() + dt.timedelta(minutes=29)


def test_an_idle_session_is_signed_out(city: City) -> None:
    client = Client()
    _login(client, "school_lead", PASSWORD)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get(reverse("people:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_language_switch_changes_the_page_language(city: City) -> None:
    client = Client()
    _login(client, "school_lead", PASSWORD)
    assert "退出" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Sign out" in client.get(reverse("home")).content.decode()
