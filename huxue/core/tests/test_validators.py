from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from huxue.core.validators import (
    id_check_char,
    mask_id_number,
    mask_phone,
    normalize_phone,
    validate_id_number,
    validate_phone,
)

VALID = "11010519491231002X"  # the standard's published example


def test_the_published_example_is_valid() -> None:
    assert validate_id_number(VALID) == VALID


def test_lower_case_x_full_width_digits_and_spaces_are_normalised() -> None:
    assert validate_id_number(" １１０１０５ 19491231002x ") == VALID


@pytest.mark.parametrize(
    "value,code",
    [
        ("11010519491231002", "id_length"),
        ("1101051949123100AX", "id_chars"),
        ("99010519491231002X", "id_region"),
        ("11010519490230002X", "id_birth"),
        ("110105194912310021", "id_checksum"),
    ],
)
def test_bad_numbers_say_what_is_wrong(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert exc.value.code == code


def test_a_birth_date_in_the_future_is_refused() -> None:
    first17 = "23090220300101001"
    with pytest.raises(ValidationError):
        validate_id_number(first17 + id_check_char(first17), today=dt.date(2026, 11, 28))


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)), st.integers(0, 999)
)
def test_any_number_with_a_computed_check_digit_validates(born: dt.date, seq: int) -> None:
    first17 = f"230902{born:%Y%m%d}{seq:03d}"
    number = first17 + id_check_char(first17)
    assert validate_id_number(number) == number


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_a_wrong_check_digit_never_validates(number: str) -> None:
    try:
        validate_id_number(number)
    except ValidationError:
        return
    assert id_check_char(number[:17]) == number[17]


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138-1234-5678",
        "0086 13812345678",
        "8613812345678",
        "１３８１２３４５６７８",
        "138 1234 5678",
    ],
)
def test_phone_prefixes_and_separators_are_stripped(raw: str) -> None:
    assert validate_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "23812345678", "138123456789"])
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        validate_phone(raw)


def test_masks() -> None:
    assert mask_id_number("23090219800101123X") == "230902********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert normalize_phone("+8613812345678") == "13812345678"
