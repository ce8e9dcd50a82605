"""A people sheet's school column (学校, 所属学校) is the person's unit; columns not read are listed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from huxue.imports.models import ImportJob
from huxue.imports.services import import_run
from huxue.imports.tests.helpers import xlsx
from huxue.people.models import Person
from huxue.people.services import id_index_of
from huxue.posts.models import School
from huxue.posts.services import school_create
from huxue.testing import City, make_id_number

HEADER = ["姓名", "力量类型", "手机号", "身份证号", "学校"]


@pytest.fixture
def ids(city: City) -> list[str]:
    return [make_id_number(city.rng) for _ in range(4)]


def row(name: str, id_number: str, school: str) -> list[str]:
    return [name, "群众志愿者", "13812345678", id_number, school]


def run(city: City, rows, *, user: str = "station_officer", header=HEADER) -> ImportJob:
    return import_run(
        actor=city.users[user],
        kind="people",
        file=xlsx([header, *rows]),
        filename="people.xlsx",
    )


def person(id_number: str) -> Person | None:
    return Person.objects.filter(id_index=id_index_of(id_number), voided_at__isnull=True).first()


@pytest.mark.parametrize("heading", ["学校", "所属学校", "所属学校（必填）", "所在学校", "School"])
def test_a_school_column_places_each_person_in_the_school_it_names(
    city: City, ids, heading: str
) -> None:
    header = [*HEADER[:-1], heading]
    job = run(
        city,
        [row("甲", ids[0], "新兴小学"), row("乙", ids[1], "市第六小学")],
        header=header,
    )
    assert (job.created_count, job.failed_count) == (2, 0), job.errors
    assert person(ids[0]).unit == city.school_a2.unit
    assert person(ids[1]).unit == city.school_a1.unit


def test_a_school_column_names_schools_only_not_other_units(city: City, ids) -> None:
    # 新兴派出所 is a unit the officer may add people to, but it is not a school.
    with translation.override("en"):
        job = run(city, [row("甲", ids[0], "新兴派出所")])
    assert job.errors == [
        {
            "row": 2,
            "column": "学校",
            "message": "You cannot add people to a school named “新兴派出所”, or there is no such school.",
        }
    ]
    assert person(ids[0]) is None
    # Headed 所属单位, the same cell names the station.
    job = run(city, [row("甲", ids[0], "新兴派出所")], header=[*HEADER[:-1], "所属单位"])
    assert person(ids[0]).unit == city.station_a


def test_a_school_out_of_scope_and_a_school_that_does_not_exist_get_the_same_error(
    city: City, ids
) -> None:
    # 桃山小学 exists, under the other station; 幸福小学 does not exist at all.
    with translation.override("en"):
        job = run(city, [row("甲", ids[0], "桃山小学"), row("乙", ids[1], "幸福小学")])
    assert job.created_count == 0
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "学校"), (3, "学校")]
    out_of_scope, unknown = (e["message"] for e in job.errors)
    assert out_of_scope.replace("桃山小学", "?") == unknown.replace("幸福小学", "?")
    assert unknown == (
        "You cannot add people to a school named “幸福小学”, or there is no such school."
    )
    with translation.override("zh-hans"):
        job = run(city, [row("甲", ids[0], "桃山小学"), row("乙", ids[1], "幸福小学")])
    assert [e["message"] for e in job.errors] == [
        "学校“桃山小学”不存在，或您无权向其添加人员。",
        "学校“幸福小学”不存在，或您无权向其添加人员。",
    ]
    assert person(ids[0]) is None and person(ids[1]) is None


def test_the_same_school_name_in_two_districts_is_ambiguous_and_names_both(city: City, ids) -> None:
    school_create(
        actor=None,
        name="新兴小学",
        stage=School.Stage.PRIMARY,
        station=city.station_b,
        region=city.taoshan,
        latitude=Decimal("45.700000"),
        longitude=Decimal("131.100000"),
    )
    with translation.override("zh-hans"):
        job = run(
            city, [row("甲", ids[0], "新兴小学"), row("乙", ids[1], "桃山小学")], user="city_admin"
        )
    assert job.errors == [
        {
            "row": 2,
            "column": "学校",
            "message": "您可添加人员的学校中有多所名为“新兴小学”，分别在新兴区、桃山区；"
            "请在上传时选择学校，并将此栏留空。",
        }
    ]
    assert person(ids[0]) is None
    assert person(ids[1]).unit == city.school_b1.unit
    # For the station officer only one of the two is in scope: no ambiguity.
    job = run(city, [row("甲", ids[0], "新兴小学")])
    assert person(ids[0]).unit == city.school_a2.unit


def test_a_row_with_a_bad_school_changes_nothing_about_the_person(city: City) -> None:
    existing = city.person_a1  # 李红, at 市第六小学
    with translation.override("en"):
        job = run(
            city,
            [row("李红改名", existing.id_number, "桃山小学")],
            header=[*HEADER[:-1], "所属学校"],
        )
    assert (job.created_count, job.updated_count, job.failed_count) == (0, 0, 1)
    assert job.errors[0]["column"] == "所属学校"
    existing.refresh_from_db()
    assert (existing.name, existing.unit) == ("李红", city.school_a1.unit)


def test_a_file_that_fails_as_a_whole_writes_nothing(city: City, ids, monkeypatch) -> None:
    from huxue.imports import people

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(people, "consents_bulk_record", broken)
    header = [*HEADER, "同意书版本"]
    with pytest.raises(RuntimeError):
        run(city, [[*row("甲", ids[0], "新兴小学"), "v1"]], header=header)
    assert person(ids[0]) is None
    job = ImportJob.objects.get()
    assert (job.status, job.created_count) == ("failed", 0)


# ---- columns not read ----------------------------------------------------------------------


def test_every_column_not_read_is_listed_first_in_the_result(city: City, ids) -> None:
    header = ["序号", "姓名", "性别", "力量类型", "手机号", "身份证号", "学校", "备注", None]
    rows = [
        [1, "甲", "女", "群众志愿者", "13812345678", ids[0], "新兴小学", "周一不行", None],
        [2, "乙", "男", "群众志愿者", "13812345679", ids[1], "新兴小学", None, "又一个"],
    ]
    with translation.override("zh-hans"):
        job = run(city, rows, header=header)
    assert job.created_count == 2, job.errors
    assert job.errors == [
        {
            "row": None,
            "column": "",
            "message": "未使用的列：序号、性别、备注、第 I 列（无表头）",
            "unused": ["序号", "性别", "备注", "第 I 列（无表头）"],
        }
    ]
    assert job.failed_count == 0
    with translation.override("en"):
        job = run(city, rows, header=header)
    assert job.errors[0]["message"] == "Unused columns: 序号, 性别, 备注, column I (no header)"


def test_one_unused_column_is_named_in_the_singular(city: City, ids) -> None:
    with translation.override("en"):
        job = run(city, [[*row("甲", ids[0], "新兴小学"), "x"]], header=[*HEADER, "备注"])
    assert job.errors[0]["message"] == "Unused column: 备注"


def test_a_second_column_for_the_same_field_is_listed_as_unused(city: City, ids) -> None:
    header = [*HEADER, "所属单位"]
    with translation.override("zh-hans"):
        job = run(city, [[*row("甲", ids[0], "新兴小学"), "新兴派出所"]], header=header)
    assert person(ids[0]).unit == city.school_a2.unit  # the first of the two is read
    assert job.errors == [
        {"row": None, "column": "", "message": "未使用的列：所属单位", "unused": ["所属单位"]}
    ]


def test_a_sheet_whose_columns_are_all_read_has_no_note(city: City, ids) -> None:
    job = run(city, [row("甲", ids[0], "新兴小学")])
    assert job.errors == []
