"""Errors come back in the caller's language: Accept-Language, Chinese by default."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from huxue.api.tests.helpers import send
from huxue.testing import City

CHECKSUM = "The ID number's check digit does not match: please check it for a typo."
NOT_EXISTING = 'Invalid pk "{pk_value}" - object does not exist.'


def _in(language: str, message: str, **params: Any) -> str:
    with translation.override(language):
        return gettext(message).format(**params)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_type_errors_come_back_in_the_callers_language(
    city: City, login: Any, language: str
) -> None:
    response = send(
        login("school_lead"), "POST", "/api/v1/people/", {"name": "赵六"}, lang=language
    )
    assert response.status_code == 400
    assert response["Content-Language"] == language
    required = {"en": "This field is required.", "zh-hans": "该字段是必填项。"}[language]
    assert response.json() == {
        field: [required] for field in ("unit", "force_type", "id_number", "phone")
    }


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_services_messages_come_back_in_the_callers_language(
    city: City, login: Any, language: str
) -> None:
    body = {
        "unit": city.school_b1.unit.pk,  # not one of the caller's units
        "name": "赵六",
        "force_type": "parent",
        "id_number": "110105194912310021",
        "phone": "13812345678",
    }
    client = login("other_lead")
    response = send(
        client, "POST", "/api/v1/people/", {**body, "unit": city.school_a1.unit.pk}, lang=language
    )
    assert response.json() == {
        "unit": [_in(language, NOT_EXISTING, pk_value=city.school_a1.unit.pk)]
    }
    response = send(client, "POST", "/api/v1/people/", body, lang=language)
    assert response.status_code == 400
    assert response.json() == {"id_number": [_in(language, CHECKSUM)]}
    if language == "en":
        assert response.json()["id_number"] == [CHECKSUM]


def test_chinese_is_the_default(city: City, login: Any) -> None:
    response = login("school_lead").get(f"/api/v1/people/{city.person_b1.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"}
    english = login("school_lead").get(
        f"/api/v1/people/{city.person_b1.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json() == {"detail": "Not found."}


def test_a_forbidden_create_says_so_in_the_callers_language(city: City, login: Any) -> None:
    response = send(login("education"), "POST", "/api/v1/posts/", {}, lang="zh-hans")
    assert response.status_code == 403
    assert response.json() == {"detail": "您没有执行该操作的权限。"}
