from __future__ import annotations

import datetime as dt
import random

import pytest

from huxue.core.validators import id_birth_date, validate_id_number, validate_phone
from huxue.demo import data
from huxue.demo.builder import synth


@pytest.mark.parametrize("sex", [synth.MALE, synth.FEMALE])
def test_id_numbers_pass_gb_11643_and_carry_birth_date_and_sex(sex: str) -> None:
    rng = random.Random(1)
    for _ in range(500):
        born = synth.birth_date(rng, 1950, 2004)
        number = synth.id_number(rng, area="230921", born=born, sex=sex)
        assert validate_id_number(number, today=data.AS_OF) == number
        assert number.startswith("230921")
        assert id_birth_date(number) == born
        assert int(number[16]) % 2 == (1 if sex == synth.MALE else 0)


def test_phones_are_valid_mainland_mobile_numbers() -> None:
    rng = random.Random(2)
    for _ in range(500):
        phone = synth.phone(rng)
        assert validate_phone(phone) == phone


def test_names_are_a_known_surname_and_one_or_two_given_characters() -> None:
    rng = random.Random(3)
    surnames = {s for s, _ in data.SURNAMES}
    for sex in (synth.MALE, synth.FEMALE):
        for _ in range(300):
            name = synth.person_name(rng, sex)
            assert name[0] in surnames
            assert 2 <= len(name) <= 3


def test_birth_dates_stay_in_their_years() -> None:
    rng = random.Random(4)
    for _ in range(300):
        born = synth.birth_date(rng, 1980, 1981)
        assert dt.date(1980, 1, 1) <= born <= dt.date(1981, 12, 31)


def test_unique_draws_until_the_value_is_new() -> None:
    values = iter([1, 1, 2])
    seen = {1}
    assert synth.unique(seen, lambda: next(values)) == 2
    assert seen == {1, 2}
