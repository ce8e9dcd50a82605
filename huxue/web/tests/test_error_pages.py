"""The project's own error pages, in the reader's language, and the favicon (issue 16, item 14)."""

from __future__ import annotations

from django.test import RequestFactory
from django.views.defaults import server_error


def test_an_unknown_address_answers_the_projects_404_page_not_djangos(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-404"' in body and "页面不存在" in body
    assert "URLconf" not in body and "Page not found at" not in body  # not the technical page
    english = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This page does not exist" in english


def test_a_member_opening_a_page_outside_their_role_sees_no_list_of_urls(city, login) -> None:  # type: ignore[no-untyped-def]
    body = login("volunteer").get("/roster/lead/").content.decode()
    assert 'data-testid="error-404"' in body and "urlpatterns" not in body.lower()


def test_the_500_page_stands_alone(db) -> None:  # type: ignore[no-untyped-def]
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500 and 'data-testid="error-500"' in body
    assert "出错了" in body


def test_the_favicon_is_ours(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("huxue/favicon.svg")
