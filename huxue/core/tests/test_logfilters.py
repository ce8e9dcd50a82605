"""The statement log never shows a secret that a statement names by value."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huxue.core.logfilters import SECRET_TABLES


def test_the_tables_of_secrets_are_the_models_tables() -> None:
    from django.contrib.sessions.models import Session
    from rest_framework.authtoken.models import Token

    from huxue.roster.models import CalendarFeed

    assert set(SECRET_TABLES) == {m._meta.db_table for m in (Token, Session, CalendarFeed)}


@pytest.mark.django_db
def test_a_token_check_in_logs_no_token(city, caplog) -> None:
    from rest_framework.authtoken.models import Token

    from huxue.orgs.models import Region

    token = Token.objects.create(user=city.users["volunteer"]).key
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    with CaptureQueriesContext(connection):  # statements are logged as with DEBUG on
        Token.objects.filter(key=token).exists()
        Region.objects.filter(code="230900").exists()
        response = Client().post(
            "/api/v1/checkins/",
            {"post": city.post_a1.pk, "method": "qr"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert response.status_code in (201, 422)  # answered, whatever the window
    logged = [r.getMessage() for r in caplog.records if r.name == "django.db.backends"]
    assert any("230900" in line for line in logged)  # other statements keep their values
    assert any("not shown" in line for line in logged)
    assert not any(token in line for line in logged)
    assert not any(token in str(getattr(r, "sql", "")) for r in caplog.records)
