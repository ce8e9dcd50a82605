from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import translation

from huxue.core.models import AuditEvent
from huxue.imports.models import ImportJob
from huxue.imports.services import import_run
from huxue.imports.tests.helpers import PEOPLE_HEADER, person_row, xlsx
from huxue.people.models import Consent, Person
from huxue.people.services import id_index_of
from huxue.testing import City, make_id_number

ID_1 = "11010519491231002X"
ID_2 = "230902199001011234"


@pytest.fixture
def ids(city: City) -> list[str]:
    return [make_id_number(city.rng) for _ in range(5)]


def run(
    city: City, rows, *, user: str = "school_lead", unit=None, header=PEOPLE_HEADER
) -> ImportJob:
    unit = city.school_a1.unit if unit is None else unit
    return import_run(
        actor=city.users[user],
        kind="people",
        file=xlsx([header, *rows]),
        filename="people.xlsx",
        target_unit=unit or None,
    )


def person(id_number: str) -> Person:
    return Person.objects.get(id_index=id_index_of(id_number), voided_at__isnull=True)


def test_good_rows_are_imported_and_a_bad_row_is_reported_with_its_row_and_reason(
    city: City, ids
) -> None:
    with translation.override("en"):
        job = run(
            city,
            [
                person_row("甲", ids[0]),
                person_row("乙", ids[1], phone="12345"),
                person_row("丙", ids[2]),
            ],
        )
    assert (job.status, job.total_count, job.created_count, job.failed_count) == ("done", 3, 2, 1)
    assert job.errors == [
        {
            "row": 3,
            "column": "手机号",
            "message": "A mobile number is 11 digits starting with 13–19, e.g. 13812345678.",
        }
    ]
    assert person(ids[0]).unit == city.school_a1.unit
    assert not Person.objects.filter(id_index=id_index_of(ids[1])).exists()


def test_a_row_with_several_problems_lists_each_in_column_order(city: City) -> None:
    with translation.override("en"):
        job = run(city, [person_row("", "110105194912310021", phone="", force="宇航员")])
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (2, "姓名"),
        (2, "力量类型"),
        (2, "手机号"),
        (2, "身份证号"),
    ]
    assert (
        job.errors[3]["message"]
        == "The ID number's check digit does not match: please check it for a typo."
    )


def test_full_width_digits_spaces_and_lower_case_x_are_normalised(city: City) -> None:
    job = run(
        city, [person_row(" 李  四 ", "１１０１０５ 1949 1231 002x", phone="+86 138-1234-5678")]
    )
    assert job.created_count == 1, job.errors
    saved = person(ID_1)
    assert (saved.name, saved.id_number, saved.phone) == ("李 四", ID_1, "13812345678")


def test_numeric_cells_are_read_as_the_digits_they_hold(city: City) -> None:
    excel_date = dt.datetime(2024, 3, 1)  # noqa: DTZ001  (Excel's datetimes are naive)
    job = run(
        city, [person_row("甲", ID_2, phone=13812345678, vetting="通过", vetted_on=excel_date)]
    )
    assert job.created_count == 1, job.errors
    saved = person(ID_2)
    assert (saved.phone, saved.vetted_on, saved.vetting_status) == (
        "13812345678",
        dt.date(2024, 3, 1),
        "passed",
    )


def test_an_id_typed_as_a_number_is_rejected_with_a_hint(city: City) -> None:
    # Excel (and openpyxl) keep numbers as doubles: 18 digits come back rounded to 15.
    with translation.override("en"):
        job = run(city, [person_row("甲", int(ID_2))])
    assert job.failed_count == 1
    assert "format the column as text" in job.errors[0]["message"]


def test_choices_and_yes_no_are_read_in_either_language(city: City, ids) -> None:
    job = run(
        city,
        [
            person_row("甲", ids[0], force="家长志愿者", training="已培训", armband="是", vest="√"),
            person_row(
                "乙", ids[1], force="Parent volunteer", training="Trained", armband="yes", vest=1
            ),
            person_row("丙", ids[2], force="parent", training="trained", armband=True, vest="Y"),
            person_row("丁", ids[3], force="民警", armband="否", vest="no"),
        ],
    )
    assert job.created_count == 4, job.errors
    for id_number in ids[:3]:
        saved = person(id_number)
        assert (
            saved.force_type,
            saved.training_status,
            saved.armband_issued,
            saved.vest_issued,
        ) == ("parent", "trained", True, True)
    assert (person(ids[3]).force_type, person(ids[3]).armband_issued) == ("police", False)


def test_a_yes_no_cell_that_says_neither_is_an_error(city: City, ids) -> None:
    with translation.override("en"):
        job = run(city, [person_row("甲", ids[0], armband="maybe")])
    assert job.errors == [
        {"row": 2, "column": "已发红袖标", "message": "Write yes or no (是 or 否)."}
    ]


def test_english_headers_and_a_title_row(city: City, ids) -> None:
    header = ["Name", "Force type", "Phone", "ID number", "Training status"]
    job = run(city, [["甲", "staff", "13900000000", ids[0], "none"]], header=header)
    assert job.created_count == 1, job.errors
    job = import_run(
        actor=city.users["school_lead"],
        kind="people",
        filename="t.xlsx",
        target_unit=city.school_a1.unit,
        file=xlsx(
            [["Huxue people, spring 2024"], header, ["乙", "staff", "13900000001", ids[1], "none"]]
        ),
    )
    assert job.created_count == 1, job.errors


def test_importing_the_same_people_again_updates_them_instead_of_duplicating(
    city: City, ids
) -> None:
    run(city, [person_row("甲", ids[0]), person_row("乙", ids[1])])
    first = person(ids[0])
    job = run(
        city,
        [
            person_row("甲", ids[0]),
            person_row("乙乙", ids[1], training="已培训", phone="13999999999"),
        ],
    )
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 1)
    assert Person.objects.filter(id_index__in=[id_index_of(i) for i in ids[:2]]).count() == 2
    updated = person(ids[1])
    assert (updated.name, updated.training_status, updated.phone) == (
        "乙乙",
        "trained",
        "13999999999",
    )
    assert person(ids[0]).updated_at == first.updated_at  # untouched when nothing changed


def test_an_existing_person_matched_by_id_with_other_spelling_is_updated(city: City) -> None:
    existing = city.person_a1
    job = run(city, [person_row("李红", existing.id_number.lower(), force="家长志愿者")])
    assert (job.updated_count, job.created_count) == (1, 0), job.errors
    existing.refresh_from_db()
    assert existing.force_type == "parent"


def test_a_second_row_with_the_same_id_is_an_error_naming_the_first(city: City, ids) -> None:
    with translation.override("en"):
        job = run(
            city,
            [
                person_row("甲", ids[0]),
                person_row("乙", ids[1]),
                person_row("甲二", ids[0].lower()),
            ],
        )
    assert job.created_count == 2
    assert job.errors == [
        {
            "row": 4,
            "column": "身份证号",
            "message": "This ID number is already on row 2 of this file.",
        }
    ]
    assert person(ids[0]).name == "甲"


def test_a_person_registered_outside_the_users_scope_is_not_touched(city: City) -> None:
    other = city.person_b1  # 桃山小学's member; the lead is at 市第六小学
    with translation.override("en"):
        job = run(city, [person_row("冒名", other.id_number)])
    assert job.errors == [
        {
            "row": 2,
            "column": "身份证号",
            "message": "A person with this resident ID number is already registered.",
        }
    ]
    other.refresh_from_db()
    assert (other.name, other.unit) == ("王刚", city.school_b1.unit)


def test_a_school_lead_cannot_import_into_another_school(city: City, ids) -> None:
    with pytest.raises(Http404):
        run(city, [person_row("甲", ids[0])], unit=city.school_b1.unit)
    with translation.override("en"):
        job = run(city, [person_row("甲", ids[0], unit="桃山小学")])
    assert job.errors[0]["column"] == "所属单位"
    assert "cannot add people to a unit named “桃山小学”" in job.errors[0]["message"]
    assert not Person.objects.filter(id_index=id_index_of(ids[0])).exists()


def test_the_unit_column_places_people_in_units_the_user_may_write(city: City, ids) -> None:
    job = run(
        city,
        [person_row("甲", ids[0], unit="新兴小学"), person_row("乙", ids[1])],
        user="station_officer",
        unit=city.station_a,
    )
    assert job.created_count == 2, job.errors
    assert person(ids[0]).unit == city.school_a2.unit
    assert person(ids[1]).unit == city.station_a


def test_without_a_target_unit_every_row_needs_one(city: City, ids) -> None:
    with translation.override("en"):
        job = run(city, [person_row("甲", ids[0])], user="station_officer", unit=False)
    assert job.errors == [
        {"row": 2, "column": "所属单位", "message": "Choose the unit this person belongs to."}
    ]


def test_the_column_of_an_error_is_named_in_the_users_language_when_the_file_lacks_it(
    city: City, ids
) -> None:
    header = ["Name", "Force type", "Phone", "ID number"]
    with translation.override("en"):
        job = run(
            city,
            [["甲", "staff", "13900000000", ids[0]]],
            user="station_officer",
            unit=False,
            header=header,
        )
    assert job.errors[0]["column"] == "Unit"
    assert job.language == "en"


def test_a_parents_childs_school_is_matched_by_name_among_visible_schools(city: City, ids) -> None:
    with translation.override("en"):
        job = run(
            city,
            [
                person_row("甲", ids[0], force="家长志愿者", school="市第六小学"),
                person_row("乙", ids[1], force="家长志愿者", school="桃山小学"),
            ],
        )
    assert person(ids[0]).child_school == city.school_a1
    assert job.errors == [
        {
            "row": 3,
            "column": "子女学校",
            "message": "There is no school named “桃山小学” that you can see.",
        }
    ]


def test_a_volunteers_consent_is_recorded_once(city: City, ids) -> None:
    rows = [
        person_row("甲", ids[0], force="家长志愿者", consent="v2"),
        person_row("乙", ids[1], force="民警", consent="v2"),
    ]
    run(city, rows)
    run(city, rows)
    consents = Consent.objects.filter(person=person(ids[0]))
    assert [(c.text_version, c.method, c.recorded_by) for c in consents] == [
        ("v2", "import", city.users["school_lead"])
    ]
    assert not Consent.objects.filter(person=person(ids[1])).exists()


def test_a_consent_for_an_updated_volunteer_is_recorded(city: City) -> None:
    run(city, [person_row("李红", city.person_a1.id_number, consent="2024-01")])
    assert (
        Consent.objects.filter(
            person=city.person_a1, text_version="2024-01", method="import"
        ).count()
        == 1
    )


def test_one_audit_line_per_import_not_one_per_row(city: City, ids) -> None:
    before = AuditEvent.objects.count()
    job = run(
        city,
        [person_row("甲", ids[0]), person_row("乙", ids[1]), person_row("丙", ids[2], phone="1")],
    )
    lines = list(AuditEvent.objects.order_by("id")[before:])
    assert [line.action for line in lines] == ["people.import"]
    assert lines[0].actor_username == "school_lead"
    assert lines[0].detail == {
        "job": job.pk,
        "file": "people.xlsx",
        "unit": city.school_a1.unit.pk,
        "rows": 3,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "failed": 1,
    }


def test_errors_never_quote_an_id_or_phone_number(city: City, ids) -> None:
    job = run(
        city,
        [
            person_row("甲", ids[0][:-1] + "0", phone="23800000000"),
            person_row("乙", ids[1]),
            person_row("丙", ids[1]),
        ],
    )
    stored = str(job.errors)
    assert ids[0][:-1] not in stored and "23800000000" not in stored and ids[1] not in stored


def test_a_file_without_a_header_fails_as_a_whole_and_is_audited(city: City) -> None:
    with translation.override("en"):
        job = import_run(
            actor=city.users["school_lead"],
            kind="people",
            file=xlsx([["hello"]]),
            filename="x.xlsx",
            target_unit=city.school_a1.unit,
        )
    assert job.status == "failed"
    assert job.errors[0]["row"] is None and "No header row found" in job.errors[0]["message"]
    line = AuditEvent.objects.order_by("-id").first()
    assert (line.action, line.outcome) == ("people.import", "failure")


def test_a_user_who_may_not_import_people_is_refused(city: City) -> None:
    with pytest.raises(Http404):
        run(city, [], user="education", unit=False)
    assert not ImportJob.objects.exists()
