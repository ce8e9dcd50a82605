from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from huxue.testing import City

ANONYMOUS = "anonymous"


@pytest.fixture
def client_for(city: City, login: Callable[[str], Client]) -> Callable[[str], Client]:
    """client_for("school_lead") → signed in as that user; client_for("anonymous") → not signed in."""
    return lambda name: Client() if name == ANONYMOUS else login(name)


@pytest.fixture
def secrets_of(city: City) -> list[str]:
    """The plaintext ID and phone numbers of the city's people: no response may contain them."""
    return [
        city.person_a1.id_number,
        city.person_a1.phone,
        city.person_b1.id_number,
        city.person_b1.phone,
    ]
