"""A member-only account keeps its session for days; staff keep the short idle timeout."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from huxue.testing import PASSWORD


def _login(username: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_member_session_lasts_days(city):
    client = _login("volunteer")
    assert client.session.get_expiry_age() == settings.HUXUE_MEMBER_SESSION_DAYS * 86400
    assert not client.session.get_expire_at_browser_close()


def test_staff_session_keeps_the_idle_timeout(city):
    client = _login("school_lead")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert client.session.get_expire_at_browser_close()
