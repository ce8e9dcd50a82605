from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from huxue.demo.builder import DemoCityConflict, build_city
from huxue.orgs.models import Unit
from huxue.orgs.services import region_create
from huxue.testing import empty_tables

pytestmark = pytest.mark.django_db


def test_it_refuses_to_write_into_a_city_it_did_not_build() -> None:
    empty_tables()  # the session's test city has this region too: start without it
    region_create(code="230900", name="七台河市")
    with pytest.raises(DemoCityConflict):
        build_city(seed=1)
    with pytest.raises(CommandError):
        call_command("demo_city")
    assert not Unit.objects.exists()
