"""Chinese resident ID numbers (GB 11643) and mainland mobile numbers: normalise, validate, mask."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 11643 weights for the first 17 digits and the check character for each remainder mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Province-level codes of GB/T 2260 (the first two digits of every address code).
_PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_NOISE = re.compile(r"[\s\-()（）.]")


def normalize_text(value: object) -> str:
    """Full-width characters to half-width, stray and repeated spaces removed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split())


def normalize_id_number(value: object) -> str:
    return normalize_text(value).replace(" ", "").upper()


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_birth_date(id_number: str) -> dt.date:
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def validate_id_number(value: str, *, today: dt.date | None = None) -> str:
    """Returns the normalised number or raises ValidationError saying what is wrong."""
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(
            _("A resident ID number has 18 characters; this one has %(n)d."),
            code="id_length",
            params={"n": len(number)},
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(
            _("A resident ID number is 17 digits followed by a digit or X."), code="id_chars"
        )
    if number[:2] not in _PROVINCES:
        raise ValidationError(
            _("The ID number's first two digits are not a province code."), code="id_region"
        )
    try:
        born = id_birth_date(number)
    except ValueError:
        raise ValidationError(
            _("The ID number's birth date (digits 7–14) is not a real date."), code="id_birth"
        ) from None
    today = today or dt.date.today()  # noqa: DTZ011  (a calendar date, not an instant)
    if born > today or born.year < 1900:
        raise ValidationError(
            _("The ID number's birth date (digits 7–14) is not a possible date."),
            code="id_birth",
        )
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("The ID number's check digit does not match: please check it for a typo."),
            code="id_checksum",
        )
    return number


def normalize_phone(value: object) -> str:
    phone = _PHONE_NOISE.sub("", normalize_text(value))
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    return phone


def validate_phone(value: str) -> str:
    phone = normalize_phone(value)
    if not _PHONE_RE.match(phone):
        raise ValidationError(
            _("A mobile number is 11 digits starting with 13–19, e.g. 13812345678."),
            code="phone_invalid",
        )
    return phone


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    if len(number) != 18:
        return "*" * len(number)
    return f"{number[:6]}********{number[14:]}"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[7:]}"


def mask_name(name: str | None) -> str:
    """A person's name where they are only suggested, not acted on (e.g. 王*华, 李*)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


def period_error(first: dt.date | None, last: dt.date | None) -> str | None:
    """What is wrong with a period a user chose (a form's or a query's "from" and "to"), in the
    user's language; None when it is in order or one end is open."""
    if first and last and first > last:
        return str(_("The first day must not be after the last day."))
    return None
