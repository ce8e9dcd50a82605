from __future__ import annotations

from typing import Any

import pytest

from huxue.api.tests.helpers import send
from huxue.core.models import AuditEvent
from huxue.people.models import Consent, Person
from huxue.testing import City, make_person

NEW_ID = "11010519491231002X"
NEW_PHONE = "13812345678"


def _new_person(city: City, **extra: Any) -> dict[str, Any]:
    return {
        "unit": city.school_a1.unit.pk,
        "name": "赵六",
        "force_type": "parent",
        "id_number": NEW_ID,
        "phone": NEW_PHONE,
        **extra,
    }


def test_it_registers_a_person_and_answers_only_masked_numbers(city: City, login: Any) -> None:
    response = send(
        login("school_lead"),
        "POST",
        "/api/v1/people/",
        _new_person(
            city,
            id_number="110105 19491231 002x",  # spaces and a lower-case x are normalised
            phone="+86 138-1234-5678",
            vetting_status="passed",
            vetted_on="2024-03-01",
            armband_issued=True,
            child_school=city.school_a1.pk,
        ),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id_number_masked"] == "110105********002X"
    assert body["phone_masked"] == "138****5678"
    assert "id_number" not in body and "phone" not in body
    assert NEW_ID not in response.content.decode() and NEW_PHONE not in response.content.decode()
    assert body["vetting_status"] == "passed" and body["vetted_on"] == "2024-03-01"
    assert body["child_school_name"] == "市第六小学"
    person = Person.objects.get(pk=body["id"])
    assert person.id_number == NEW_ID and person.phone == NEW_PHONE
    assert AuditEvent.objects.filter(action="person.create", object_id=str(person.pk)).exists()


def test_it_refuses_a_second_live_record_for_one_id_number(city: City, login: Any) -> None:
    client = login("school_lead")
    assert send(client, "POST", "/api/v1/people/", _new_person(city)).status_code == 201
    response = send(client, "POST", "/api/v1/people/", _new_person(city, name="赵七"), lang="en")
    assert response.status_code == 400
    assert response.json() == {
        "id_number": ["A person with this resident ID number is already registered."]
    }


def test_it_reports_the_services_messages_per_field(city: City, login: Any) -> None:
    response = send(
        login("school_lead"),
        "POST",
        "/api/v1/people/",
        _new_person(city, id_number="110105194912310021", phone="12345", vetting_status="passed"),
        lang="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "phone": ["A mobile number is 11 digits starting with 13–19, e.g. 13812345678."],
        "id_number": ["The ID number's check digit does not match: please check it for a typo."],
        "vetted_on": ["Enter the date the background check was passed."],
    }
    assert not Person.objects.filter(name="赵六").exists()


def test_a_child_school_outside_the_callers_scope_reads_as_not_existing(
    city: City, login: Any
) -> None:
    response = send(
        login("school_lead"),
        "POST",
        "/api/v1/people/",
        _new_person(city, child_school=city.school_b1.pk),
        lang="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "child_school": [f'Invalid pk "{city.school_b1.pk}" - object does not exist.']
    }


def test_patch_changes_only_the_fields_sent(city: City, login: Any) -> None:
    person = city.person_a1
    url = f"/api/v1/people/{person.pk}/"
    response = send(
        login("school_lead"), "PATCH", url, {"phone": NEW_PHONE, "training_status": "trained"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["phone_masked"] == "138****5678"
    assert NEW_PHONE not in response.content.decode()
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.phone, fresh.training_status) == (NEW_PHONE, "trained")
    assert (fresh.name, fresh.id_number, fresh.unit_id) == (
        person.name,
        person.id_number,
        person.unit_id,
    )
    assert AuditEvent.objects.filter(action="person.update", object_id=str(person.pk)).exists()


def test_put_keeps_the_numbers_it_is_not_given_but_needs_the_rest(city: City, login: Any) -> None:
    person = city.person_a1
    url = f"/api/v1/people/{person.pk}/"
    client = login("station_officer")
    body = {"unit": city.school_a2.unit.pk, "name": "李红", "force_type": "staff"}
    response = send(client, "PUT", url, body)
    assert response.status_code == 200, response.json()
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.unit_id, fresh.force_type) == (city.school_a2.unit.pk, "staff")
    assert (fresh.id_number, fresh.phone) == (person.id_number, person.phone)
    response = send(client, "PUT", url, {"name": "李红"}, lang="en")
    assert response.status_code == 400
    assert set(response.json()) == {"unit", "force_type"}


def test_a_person_cannot_be_moved_to_a_unit_outside_scope(city: City, login: Any) -> None:
    url = f"/api/v1/people/{city.person_a1.pk}/"
    response = send(login("school_lead"), "PATCH", url, {"unit": city.school_a2.unit.pk})
    assert response.status_code == 400
    assert Person.objects.get(pk=city.person_a1.pk).unit_id == city.school_a1.unit.pk


def test_voiding_keeps_the_record_readable_but_out_of_lists(city: City, login: Any) -> None:
    client = login("school_lead")
    url = f"/api/v1/people/{city.person_a1.pk}/"
    response = send(client, "POST", url + "void/", {"reason": "已调离本校"})
    assert response.status_code == 200
    assert response.json()["void_reason"] == "已调离本校" and response.json()["voided_at"]
    assert client.get("/api/v1/people/").json()["count"] == 0
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action="person.void", object_id=str(city.person_a1.pk)
    ).exists()
    again = send(client, "POST", url + "void/", {"reason": "再次"}, lang="en")
    assert again.status_code == 400
    assert again.json() == {
        "non_field_errors": ["This record has been voided and can no longer be changed."]
    }
    assert send(client, "PATCH", url, {"name": "x"}).status_code == 400


def test_void_needs_a_reason(city: City, login: Any) -> None:
    url = f"/api/v1/people/{city.person_a1.pk}/void/"
    response = send(login("school_lead"), "POST", url, {"reason": "  "}, lang="en")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert Person.objects.get(pk=city.person_a1.pk).voided_at is None


def test_reveal_answers_the_full_value_and_writes_an_audit_line(city: City, login: Any) -> None:
    url = f"/api/v1/people/{city.person_a1.pk}/reveal/"
    response = send(
        login("school_lead"), "POST", url, {"field": "id_number", "reason": "核实身份信息"}
    )
    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": city.person_a1.id_number}
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="person.reveal")
    assert event.actor_username == "school_lead"
    assert event.object_id == str(city.person_a1.pk)
    assert event.detail == {"field": "id_number", "reason": "核实身份信息"}
    assert event.channel == "api"
    assert city.person_a1.id_number not in str(event.detail)


def test_reveal_without_a_real_reason_reveals_nothing_and_records_nothing(
    city: City, login: Any
) -> None:
    url = f"/api/v1/people/{city.person_a1.pk}/reveal/"
    client = login("school_lead")
    short = send(client, "POST", url, {"field": "phone", "reason": "看看"}, lang="en")
    assert short.status_code == 400
    assert short.json() == {
        "reason": ["Give a reason of at least 4 characters for seeing this in full."]
    }
    wrong_field = send(client, "POST", url, {"field": "name", "reason": "核实身份信息"})
    assert wrong_field.status_code == 400 and "field" in wrong_field.json()
    for response in (short, wrong_field):
        assert city.person_a1.phone not in response.content.decode()
    assert not AuditEvent.objects.filter(action="person.reveal").exists()


def test_the_education_bureau_reads_people_but_cannot_reveal_them(city: City, login: Any) -> None:
    client = login("education")
    assert client.get(f"/api/v1/people/{city.person_a1.pk}/").status_code == 200
    url = f"/api/v1/people/{city.person_a1.pk}/reveal/"
    response = send(client, "POST", url, {"field": "phone", "reason": "核实身份信息"})
    assert response.status_code == 404
    assert city.person_a1.phone not in response.content.decode()
    assert not AuditEvent.objects.filter(action="person.reveal").exists()


def test_a_consent_is_recorded_with_its_text_version(city: City, login: Any) -> None:
    url = f"/api/v1/people/{city.person_a1.pk}/consents/"
    body = {
        "text_version": "2024-1",
        "method": "paper",
        "consented_at": "2024-03-01T08:00:00+08:00",
    }
    response = send(login("school_lead"), "POST", url, body)
    assert response.status_code == 201, response.json()
    consent = Consent.objects.get(person=city.person_a1)
    assert consent.text_version == "2024-1" and consent.recorded_by == city.users["school_lead"]
    detail = login("school_lead").get(f"/api/v1/people/{city.person_a1.pk}/").json()
    assert [c["text_version"] for c in detail["consents"]] == ["2024-1"]
    bad = send(
        login("school_lead"), "POST", url, {"text_version": "v2", "method": "carrier pigeon"}
    )
    assert bad.status_code == 400 and "method" in bad.json()


class TestListFilters:
    @pytest.fixture
    def people(self, city: City) -> dict[str, Person]:
        return {
            "guard": make_person(city, unit=city.school_a1.unit, name="陈保安", force_type="guard"),
            "passed": make_person(
                city,
                unit=city.school_a2.unit,
                name="周老师",
                force_type="staff",
                vetting_status="passed",
                vetted_on=None,
            ),
        }

    def names(self, login: Any, **query: Any) -> set[str]:
        response = login("station_officer").get("/api/v1/people/", query)
        assert response.status_code == 200, response.json()
        return {row["name"] for row in response.json()["results"]}

    def test_by_force_type_and_vetting(
        self, city: City, login: Any, people: dict[str, Person]
    ) -> None:
        assert self.names(login, force_type="guard") == {"陈保安"}
        assert self.names(login, vetting_status="passed") == {"周老师"}
        assert self.names(login, vetting_status="pending") == {"李红", "陈保安"}

    def test_by_unit_covers_the_units_under_it(
        self, city: City, login: Any, people: dict[str, Person]
    ) -> None:
        assert self.names(login, unit=city.school_a2.unit.pk) == {"周老师"}
        assert self.names(login, unit=city.station_a.pk) == {"李红", "陈保安", "周老师"}
        # A unit outside the scope narrows to nothing; it never widens the scope.
        assert self.names(login, unit=city.school_b1.unit.pk) == set()

    def test_by_name_or_exact_numbers_through_the_blind_index(
        self, city: City, login: Any, people: dict[str, Person]
    ) -> None:
        guard = people["guard"]
        assert self.names(login, search="保安") == {"陈保安"}
        assert self.names(login, search=guard.id_number.lower()) == {"陈保安"}
        assert self.names(login, search=f"+86 {guard.phone}") == {"陈保安"}
        assert self.names(login, search=city.person_b1.id_number) == set()  # out of scope
        assert self.names(login, search=guard.id_number[:10]) == set()  # no partial numbers
        assert self.names(login, search=" ") == {"李红", "陈保安", "周老师"}  # an empty box

    def test_a_bad_filter_value_is_a_400(self, city: City, login: Any) -> None:
        response = login("station_officer").get(
            "/api/v1/people/", {"force_type": "ninja", "unit": "x"}
        )
        assert response.status_code == 400
        assert set(response.json()) == {"force_type", "unit"}
