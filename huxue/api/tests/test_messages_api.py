"""GET /api/v1/messages/ and POST /api/v1/messages/{id}/read/: one's own inbox, and nobody else's."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huxue.api.tests.helpers import send
from huxue.notify.dispatch import dispatch_pass
from huxue.notify.models import InboxMessage
from huxue.notify.services import notify_enqueue
from huxue.testing import City


def _deliver(city: City, key: str, to: str, subject: str = "护学岗值守提醒") -> InboxMessage:
    notification, _new = notify_enqueue(
        dedupe_key=key,
        kind="shift.reminder",
        subject=subject,
        body="市第六小学 · 南门",
        user=city.users[to],
    )
    dispatch_pass()
    return InboxMessage.objects.get(notification=notification)


def test_the_list_is_the_callers_own_newest_first(city: City, client_for: Any) -> None:
    first = _deliver(city, "1", "volunteer", "第一条")
    second = _deliver(city, "2", "volunteer", "第二条")
    _deliver(city, "3", "school_lead", "别人的")

    body = send(client_for("volunteer"), "GET", "/api/v1/messages/").json()

    assert [m["id"] for m in body["results"]] == [second.pk, first.pk]
    assert body["results"][0] == {
        "id": second.pk,
        "kind": "shift.reminder",
        "subject": "第二条",
        "body": "市第六小学 · 南门",
        "link": "",
        "delivered_at": body["results"][0]["delivered_at"],
        "read_at": None,
    }
    assert body["results"][0]["delivered_at"].endswith("+08:00")  # Asia/Shanghai


@pytest.mark.parametrize("user", ["city_admin", "sysadmin", "auditor", "stranger", "school_lead"])
def test_nobody_else_lists_or_marks_a_members_messages(
    city: City, client_for: Any, user: str
) -> None:
    mine = _deliver(city, "1", "volunteer")
    client = client_for(user)
    listed = send(client, "GET", "/api/v1/messages/").json()["results"]
    assert mine.pk not in [m["id"] for m in listed]
    assert send(client, "POST", f"/api/v1/messages/{mine.pk}/read/").status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None


def test_anonymous_callers_are_asked_to_authenticate(db: None, client_for: Any) -> None:
    response = send(client_for("anonymous"), "GET", "/api/v1/messages/")
    assert response.status_code == 401


def test_marking_read_and_the_unread_filter(city: City, client_for: Any) -> None:
    first = _deliver(city, "1", "volunteer")
    second = _deliver(city, "2", "volunteer")
    client = client_for("volunteer")

    response = send(client, "POST", f"/api/v1/messages/{first.pk}/read/")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    again = send(client, "POST", f"/api/v1/messages/{first.pk}/read/").json()
    assert again["read_at"] == response.json()["read_at"]  # the first reading's time stays

    unread = send(client, "GET", "/api/v1/messages/", {"unread": "true"}).json()["results"]
    read = send(client, "GET", "/api/v1/messages/", {"unread": "false"}).json()["results"]
    assert [m["id"] for m in unread] == [second.pk]
    assert [m["id"] for m in read] == [first.pk]
    assert send(client, "GET", "/api/v1/messages/", {"unread": "maybe"}).status_code == 400


def test_the_list_costs_the_same_queries_for_one_message_or_many(
    city: City, client_for: Any
) -> None:
    client = client_for("volunteer")

    def queries() -> int:
        with CaptureQueriesContext(connection) as done:
            assert send(client, "GET", "/api/v1/messages/").status_code == 200
        return len(done)

    _deliver(city, "k0", "volunteer")
    queries()  # the first request's own set-up
    one = queries()
    for i in range(1, 12):
        _deliver(city, f"k{i}", "volunteer")
    assert queries() == one
