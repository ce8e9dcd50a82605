"""Every list costs the same number of queries for N rows as for 3N rows."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huxue.orgs.services import region_create
from huxue.people.forces import ForceGroup
from huxue.people.services import consent_record
from huxue.posts.models import School
from huxue.posts.services import parse_windows, post_create, school_create
from huxue.testing import City, make_person

N = 4
# Session, user, the user's memberships, count, page, up to two prefetches, the write check for QR
# tokens, and the session's renewal (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release).
MOST = 11


_serial = itertools.count(10)


def _add_people(city: City, count: int) -> None:
    for i in range(count):
        person = make_person(
            city,
            unit=city.school_a1.unit,
            name=f"队员{i}",
            force_type="parent",
            child_school_id=city.school_a2.pk,
        )
        consent_record(actor=None, person=person, text_version="v1", method="paper")


def _add_schools(city: City, count: int) -> None:
    for _i in range(count):
        school_create(
            actor=None, name=f"测试学校{next(_serial)}", stage=School.Stage.PRIMARY,
            station=city.station_a, region=city.xinxing, latitude=Decimal("45.77"),
            longitude=Decimal("131.0"),
        )  # fmt: skip


def _add_posts(city: City, count: int) -> None:
    for _i in range(count):
        post_create(
            actor=None, school=city.school_a1, name=f"侧门{next(_serial)}",
            latitude=Decimal("45.77"), longitude=Decimal("131.0"),
            windows=parse_windows("07:00-08:00, 15:30-17:00"),
            requirements={ForceGroup.POLICE: 1, ForceGroup.VOLUNTEER: 2},
        )  # fmt: skip


def _add_units(city: City, count: int) -> None:
    _add_schools(city, count)


def _add_regions(city: City, count: int) -> None:
    for _i in range(count):
        n = next(_serial)
        region_create(code=f"{500000 + n}", name=f"测试区{n}", parent=city.city)


LISTS: list[tuple[str, str, Callable[[City, int], None]]] = [
    ("/api/v1/people/", "people", _add_people),
    ("/api/v1/schools/", "schools", _add_schools),
    ("/api/v1/posts/", "posts", _add_posts),
    ("/api/v1/units/", "units", _add_units),
    ("/api/v1/regions/", "regions", _add_regions),
]


def _count(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("url,_name,add", LISTS, ids=[name for _url, name, _add in LISTS])
@pytest.mark.parametrize("user", ["city_admin", "education", "station_officer"])
def test_a_list_costs_the_same_queries_for_three_times_the_rows(
    city: City, login: Any, url: str, _name: str, add: Callable[[City, int], None], user: str
) -> None:
    client = login(user)
    add(city, N)
    few, rows_few = _count(client, url)
    add(city, 2 * N)
    many, rows_many = _count(client, url)
    assert rows_many >= rows_few + 2 * N
    assert many == few
    assert many <= MOST


def test_the_volunteers_own_list_is_as_cheap(city: City, login: Any) -> None:
    queries, rows = _count(login("volunteer"), "/api/v1/people/")
    assert rows == 1 and queries <= MOST


def test_me_costs_a_fixed_number_of_queries(
    city: City, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login("school_lead")
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/me/").status_code == 200
