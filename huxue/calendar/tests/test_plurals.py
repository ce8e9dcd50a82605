"""Saving a year's arrangement counts its dates right in English and in Chinese."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from huxue.testing import City


@pytest.mark.parametrize(
    "lines,english,chinese",
    [
        (
            "2027-01-01 holiday 元旦",
            "The national arrangement for 2027 has been saved: 1 date.",
            "2027年的全国节假日安排已保存，共1个日期。",
        ),
        (
            "2027-01-01 holiday 元旦\n2027-10-01 holiday 国庆节",
            "The national arrangement for 2027 has been saved: 2 dates.",
            "2027年的全国节假日安排已保存，共2个日期。",
        ),
    ],
)
def test_the_saved_arrangement_counts_its_dates(
    city: City, login, lines: str, english: str, chinese: str
) -> None:
    form = {"year": "2027", "source": "国务院办公厅通知", "lines": lines, "override": "on"}
    for language, expected in [("en", english), ("zh-hans", chinese)]:
        response = login("city_admin").post(
            reverse("calendar:arrangement"), form, HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 302
        assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]
