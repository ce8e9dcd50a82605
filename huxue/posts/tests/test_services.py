from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from huxue.posts.services import clean_requirements, parse_windows, school_create
from huxue.testing import City


def test_windows_are_read_in_the_ways_people_write_them() -> None:
    windows = parse_windows("7:00～8:00；15:30至17:00")
    assert (0, dt.time(7), dt.time(8)) in windows and (4, dt.time(15, 30), dt.time(17)) in windows
    assert len(windows) == 10


@pytest.mark.parametrize(
    "text", ["", "7-8", "08:00-07:00", "07:00-08:00, 07:30-09:00", "25:00-26:00"]
)
def test_bad_windows_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_windows(text)


def test_requirements_need_someone() -> None:
    assert clean_requirements({"police": "1", "volunteer": "２"}) == {"police": 1, "volunteer": 2}
    with pytest.raises(ValidationError):
        clean_requirements({"police": "0"})
    with pytest.raises(ValidationError):
        clean_requirements({"guard": "many"})


def test_a_school_lies_in_its_stations_region(city: City) -> None:
    with pytest.raises(ValidationError) as exc:
        school_create(
            actor=None,
            name="越界小学",
            stage="primary",
            station=city.station_a,
            region=city.taoshan,
            latitude=Decimal("45.7"),
            longitude=Decimal("131.0"),
        )
    assert "region" in exc.value.message_dict
