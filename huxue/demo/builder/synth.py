"""Synthetic personal data: names, birth dates, resident ID numbers and mobile numbers.

Pure functions of a random.Random, so the same seed gives the same people. No real person's data
is used: names are drawn character by character, numbers digit by digit.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from itertools import accumulate
from typing import TypeVar

from huxue.core.validators import id_check_char
from huxue.demo import data

T = TypeVar("T")

_SURNAMES = [s for s, _ in data.SURNAMES]
_SURNAME_CUM = list(accumulate(w for _, w in data.SURNAMES))

MALE, FEMALE = "m", "f"


def gender(rng: random.Random, *, female_share: float) -> str:
    return FEMALE if rng.random() < female_share else MALE


def person_name(rng: random.Random, sex: str) -> str:
    """A surname and a one- or two-character given name."""
    surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]
    chars = data.GIVEN_FEMALE if sex == FEMALE else data.GIVEN_MALE
    if rng.random() < 0.3:
        return surname + rng.choice(chars)
    first, second = rng.sample(chars, 2)
    return surname + first + second


def date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return dt.date.fromordinal(rng.randint(start.toordinal(), end.toordinal()))


def birth_date(rng: random.Random, first_year: int, last_year: int) -> dt.date:
    return date_between(rng, dt.date(first_year, 1, 1), dt.date(last_year, 12, 31))


def id_number(rng: random.Random, *, area: str, born: dt.date, sex: str) -> str:
    """GB 11643: address code, birth date, a sequence whose last digit is odd for men, check."""
    sequence = rng.randint(0, 99) * 10 + rng.choice(
        (1, 3, 5, 7, 9) if sex == MALE else (0, 2, 4, 6, 8)
    )
    first17 = f"{area}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def phone(rng: random.Random) -> str:
    return rng.choice(data.PHONE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def unique(seen: set[T], draw: Callable[[], T]) -> T:
    """Draw until the value is new; the seen set makes the sequence depend only on the seed."""
    while True:
        value = draw()
        if value not in seen:
            seen.add(value)
            return value
