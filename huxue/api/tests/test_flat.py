"""``FlatSerializer.quick`` answers as the serializer's own ``is_valid`` does, for any body."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from huxue.api.base import FlatSerializer
from huxue.api.duty import CheckInInSerializer, PositionFields


def _serializer_answer(cls: type[FlatSerializer], body: Any) -> dict[str, Any] | None:
    serializer = cls(data=body)
    return dict(serializer.validated_data) if serializer.is_valid() else None


def _same(quick: dict[str, Any] | None, full: dict[str, Any] | None) -> None:
    assert (quick is None) == (full is None), (quick, full)
    if quick is not None and full is not None:
        assert quick == full
        assert list(quick) == list(full)  # the same keys in the same order
        assert {k: type(v) for k, v in quick.items()} == {k: type(v) for k, v in full.items()}


# Values a phone, an app or a fuzzer might send for any of the fields.
numbers = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=8).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
)
odd = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=40),
    st.sampled_from(["qr", "gps", "rollcall", "GPS", "", " 1 ", "1.0", "NaN", "Infinity", "1e3"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.datetimes(timezones=st.just(dt.UTC)).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-12-03T07:01:00+08:00", "2026-12-03 07:01", "yesterday"]),
)
names = st.sampled_from(
    ["post", "qr", "method", "latitude", "longitude", "accuracy", "device_at", "other"]
)
bodies = st.one_of(
    st.dictionaries(names, st.one_of(numbers, odd), max_size=8),
    st.lists(st.integers(), max_size=2),
    st.none(),
    st.text(max_size=5),
)


@settings(max_examples=400, deadline=None)
@given(bodies)
def test_quick_answers_as_the_check_in_serializer_for_any_body(body: Any) -> None:
    _same(CheckInInSerializer.quick(body), _serializer_answer(CheckInInSerializer, body))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(names, st.one_of(numbers, odd), max_size=6))
def test_quick_answers_as_the_position_serializer_for_any_body(body: dict[str, Any]) -> None:
    _same(PositionFields.quick(body), _serializer_answer(PositionFields, body))


positions = st.fixed_dictionaries(
    {
        "latitude": st.floats(min_value=-90, max_value=90),
        "longitude": st.floats(min_value=-180, max_value=180),
    },
    optional={"accuracy": st.floats(min_value=0, max_value=100_000)},
)


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {"post": st.integers(min_value=1, max_value=2**63 - 1), "method": st.just("gps")},
        optional={"device_at": st.datetimes(timezones=st.just(dt.UTC)).map(dt.datetime.isoformat)},
    ),
    positions,
    st.booleans(),
)
def test_the_bodies_phones_send_are_taken_quickly(
    named: dict[str, Any], where: dict[str, Any], as_text: bool
) -> None:
    body = {**named, **{k: str(v) if as_text else v for k, v in where.items()}}
    quick = CheckInInSerializer.quick(body)
    assert quick is not None  # valid: the quick steps take it
    _same(quick, _serializer_answer(CheckInInSerializer, body))
    assert type(quick["latitude"]) is Decimal and quick["method"] == "gps"
    assert math.isclose(float(quick["latitude"]), float(where["latitude"]), abs_tol=1e-6)


def test_a_refused_body_is_none_and_the_serializer_says_why() -> None:
    body = {"post": 1, "method": "gps", "latitude": 45.7}  # no longitude
    assert CheckInInSerializer.quick(body) is None
    serializer = CheckInInSerializer(data=body)
    assert not serializer.is_valid()
    assert "non_field_errors" in serializer.errors


def test_quick_runs_the_field_and_serializer_checks_of_a_subclass() -> None:
    class Tagged(FlatSerializer):
        tag = serializers.CharField(max_length=4)
        size = serializers.IntegerField(required=False, default=3)

        def validate_tag(self, value: str) -> str:
            if value == "nope":
                raise serializers.ValidationError("no")
            return value.upper()

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            if data["size"] > 9:
                raise serializers.ValidationError("too big")
            return {**data, "checked": True}

    assert Tagged.quick({"tag": "ab"}) == {"tag": "AB", "size": 3, "checked": True}
    assert Tagged.quick({"tag": "nope"}) is None
    assert Tagged.quick({"tag": "abcde"}) is None
    assert Tagged.quick({"tag": "ab", "size": 10}) is None
    for body in ({"tag": "ab"}, {"tag": "nope"}, {"tag": "ab", "size": "7"}, {"size": 1}):
        _same(Tagged.quick(body), _serializer_answer(Tagged, body))


def test_quick_refuses_a_serializer_whose_checks_it_would_skip() -> None:
    class Dotted(FlatSerializer):
        name = serializers.CharField(source="person.name")

    class Checked(FlatSerializer):
        name = serializers.CharField()

        class Meta:
            validators = [lambda data: None]

        def get_validators(self) -> list[Any]:
            return list(self.Meta.validators)

    with pytest.raises(TypeError, match="Dotted.name"):
        Dotted.quick({"name": "x"})
    with pytest.raises(TypeError, match="Checked has serializer validators"):
        Checked.quick({"name": "x"})
