from __future__ import annotations

import pytest
from django.db import connection

from huxue.core import crypto
from huxue.people.models import Person
from huxue.people.services import id_index_of
from huxue.testing import City


def test_a_ciphertext_only_decrypts_in_its_own_column() -> None:
    token = crypto.encrypt("13812345678", context="people.person.phone")
    assert crypto.decrypt(token, context="people.person.phone") == "13812345678"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="people.person.id_number")


def test_the_same_value_encrypts_differently_each_time() -> None:
    a = crypto.encrypt("x", context="c")
    b = crypto.encrypt("x", context="c")
    assert a != b


def test_old_keys_still_decrypt_after_rotation(settings) -> None:
    old = crypto.encrypt("secret", context="c")
    old_spec = settings.HUXUE_FIELD_KEYS
    settings.HUXUE_FIELD_KEYS = "2:" + "A" * 43 + "=," + old_spec
    new = crypto.encrypt("secret", context="c")
    assert new.startswith("v2:")
    assert crypto.decrypt(old, context="c") == "secret"


def test_no_plaintext_id_or_phone_is_stored(city: City) -> None:
    person = city.person_a1
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person WHERE id = %s", [person.pk])
        row = " ".join(str(v) for v in cursor.fetchone())
    assert person.id_number not in row
    assert person.phone not in row
    assert person.id_number[6:14] not in row  # not even the birth date
    reread = Person.objects.get(pk=person.pk)
    assert reread.id_number == person.id_number
    assert reread.id_index == id_index_of(person.id_number)
