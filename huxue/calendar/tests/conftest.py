from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Assertions read the English sentences; pages are asked for English (zh-hans is the default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def login_en(login):
    def signed_in(name: str):
        client = login(name)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return signed_in
