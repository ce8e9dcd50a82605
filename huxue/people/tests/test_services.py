from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from huxue.core.models import AuditEvent
from huxue.people.models import Person
from huxue.people.services import (
    PersonInput,
    consent_record,
    person_clean,
    person_create,
    person_link_user,
    person_update,
    person_void,
)
from huxue.testing import City, make_id_number, make_phone


def _input(city: City, **changes: object) -> PersonInput:
    raw = {
        "name": "周杰",
        "force_type": "community",
        "phone": make_phone(city.rng),
        "id_number": make_id_number(city.rng),
    } | changes
    return person_clean(raw, unit=city.school_a1.unit)


def test_person_clean_reports_every_bad_field_at_once(city: City) -> None:
    with pytest.raises(ValidationError) as exc:
        person_clean({"name": "", "force_type": "pilot", "phone": "1", "id_number": "x"}, unit=None)
    assert set(exc.value.message_dict) == {"name", "force_type", "phone", "id_number", "unit"}


def test_a_passed_check_needs_its_date(city: City) -> None:
    with pytest.raises(ValidationError) as exc:
        _input(city, vetting_status="passed")
    assert "vetted_on" in exc.value.message_dict


def test_the_same_id_number_cannot_be_registered_twice(city: City) -> None:
    data = _input(city, id_number=city.person_a1.id_number.lower())
    with pytest.raises(ValidationError) as exc:
        person_create(actor=None, data=data)
    assert "id_number" in exc.value.message_dict
    assert Person.objects.filter(id_index=city.person_a1.id_index).count() == 1


def test_a_voided_person_frees_their_id_number_and_cannot_be_changed(city: City) -> None:
    person = city.person_a1
    person_void(actor=None, person=person, reason="left the city")
    with pytest.raises(ValidationError):
        person_update(actor=None, person=person, data=_input(city))
    with pytest.raises(ValidationError):
        consent_record(actor=None, person=person, text_version="v2", method="paper")
    again = person_create(actor=None, data=_input(city, id_number=person.id_number))
    assert again.pk != person.pk


def test_every_write_leaves_one_audit_line(city: City) -> None:
    before = AuditEvent.objects.count()
    person = person_create(actor=city.users["school_lead"], data=_input(city))
    person_update(actor=city.users["school_lead"], person=person, data=_input(city, name="周杰伦"))
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True)[before:])
    assert actions == ["person.create", "person.update"]


def test_a_login_belongs_to_one_member_only(city: City) -> None:
    with pytest.raises(ValidationError):
        person_link_user(actor=None, person=city.person_b1, user=city.users["volunteer"])
