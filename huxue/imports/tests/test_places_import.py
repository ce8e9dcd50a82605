from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import translation

from huxue.core.models import AuditEvent
from huxue.imports.models import ImportJob
from huxue.imports.services import import_run
from huxue.imports.tests.helpers import xlsx
from huxue.posts.models import Post, School
from huxue.testing import City

SCHOOL_HEADER = [
    "学校名称",
    "学段",
    "学生人数",
    "属地派出所",
    "行政区划代码",
    "地址",
    "纬度",
    "经度",
]
POST_HEADER = [
    "学校名称",
    "校门",
    "纬度",
    "经度",
    "打卡范围(米)",
    "值守时段",
    "民警或辅警人数",
    "保安或保卫人数",
    "教职员工人数",
    "志愿者人数",
]


def run(city: City, kind: str, rows, *, user: str, header=None) -> ImportJob:
    header = header or (SCHOOL_HEADER if kind == "schools" else POST_HEADER)
    return import_run(
        actor=city.users[user], kind=kind, file=xlsx([header, *rows]), filename=f"{kind}.xlsx"
    )


def school(name: str) -> School:
    return School.objects.select_related("unit").get(unit__name=name, voided_at__isnull=True)


def test_schools_are_created_under_their_station_by_name(city: City) -> None:
    job = run(
        city,
        "schools",
        [
            ["新兴二中", "初中", 1200, "新兴派出所", 230902, "新兴区学府路 8 号", 45.781, 131.012],
            ["七台河幼儿园", "Kindergarten", "３００", "新兴派出所", "", "", "45.77", "131.0"],
        ],
        user="station_officer",
    )
    assert (job.created_count, job.failed_count) == (2, 0), job.errors
    created = school("新兴二中")
    assert (
        created.stage,
        created.pupils,
        created.station,
        created.unit.region,
        created.latitude,
    ) == (
        "middle",
        1200,
        city.station_a,
        city.xinxing,
        Decimal("45.781000"),
    )
    assert created.unit.parent == city.station_a
    assert school("七台河幼儿园").unit.region == city.xinxing  # the station's region by default


def test_importing_a_school_again_updates_it(city: City) -> None:
    row = ["市第六小学", "小学", 900, "新兴派出所", "", "", 45.771, 131.003]
    job = run(city, "schools", [row], user="station_officer")
    assert (job.created_count, job.updated_count) == (0, 1), job.errors
    assert school("市第六小学").pupils == 900
    job = run(city, "schools", [row], user="station_officer")
    assert job.unchanged_count == 1
    assert School.objects.filter(unit__name="市第六小学").count() == 1


def test_bad_school_rows_are_reported_while_good_ones_import(city: City) -> None:
    with translation.override("en"):
        job = run(
            city,
            "schools",
            [
                ["好学校", "小学", 10, "新兴派出所", "", "", 45.7, 131.0],
                ["坏学校", "大学", -1, "不存在派出所", "999999", "", 91, "east"],
            ],
            user="station_officer",
        )
    assert job.created_count == 1
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (3, "学段"),
        (3, "学生人数"),
        (3, "属地派出所"),
        (3, "行政区划代码"),
        (3, "纬度"),
        (3, "经度"),
    }
    assert not School.objects.filter(unit__name="坏学校").exists()


def test_a_station_cannot_import_schools_under_another_station(city: City) -> None:
    job = run(
        city,
        "schools",
        [["越界小学", "小学", 10, "桃山派出所", "", "", 45.7, 131.0]],
        user="station_officer",
    )
    assert job.failed_count == 1 and job.errors[0]["column"] == "属地派出所"
    job = run(
        city,
        "schools",
        [["桃山小学", "小学", 1, "桃山派出所", "", "", 45.7, 131.0]],
        user="station_officer",
    )
    assert job.failed_count == 1
    assert school("桃山小学").pupils == 800


def test_a_school_lead_may_not_import_schools(city: City) -> None:
    with pytest.raises(Http404):
        run(city, "schools", [], user="school_lead")


def test_posts_are_created_with_windows_and_staffing(city: City) -> None:
    job = run(
        city,
        "posts",
        [["市第六小学", "北门", "", "", 200, "07:00-08:00，15:30-17:00", 1, 1, "", 3]],
        user="school_lead",
    )
    assert job.created_count == 1, job.errors
    post = Post.objects.get(school=city.school_a1, name="北门")
    assert (post.latitude, post.geofence_m) == (city.school_a1.latitude, 200)
    assert sorted({(w.start, w.end) for w in post.windows.all()}) == [
        (dt.time(7), dt.time(8)),
        (dt.time(15, 30), dt.time(17)),
    ]
    assert post.windows.count() == 10
    assert {r.group: r.minimum for r in post.requirements.all()} == {
        "police": 1,
        "guard": 1,
        "volunteer": 3,
    }


def test_importing_a_post_again_updates_it(city: City) -> None:
    job = run(
        city,
        "posts",
        [["市第六小学", "南门", "", "", "", "07:10-08:00", 2, 0, 0, 2]],
        user="school_lead",
    )
    assert (job.created_count, job.updated_count) == (0, 1), job.errors
    post = city.post_a1
    assert {r.group: r.minimum for r in post.requirements.all()} == {"police": 2, "volunteer": 2}
    assert {w.start for w in post.windows.all()} == {dt.time(7, 10)}
    assert Post.objects.filter(school=city.school_a1, name="南门").count() == 1
    job = run(
        city,
        "posts",
        [["市第六小学", "南门", "", "", "", "07:10-08:00", 2, 0, 0, 2]],
        user="school_lead",
    )
    assert job.unchanged_count == 1


def test_bad_post_rows_are_reported_in_the_services_words(city: City) -> None:
    with translation.override("en"):
        job = run(
            city,
            "posts",
            [
                ["市第六小学", "西门", "", "", 5, "8:00-7:00", 0, 0, 0, 0],
                ["市第六小学", "东门", "", "", "", "07:00-08:00", "", "", "", 1],
                ["市第六小学", "东门", "", "", "", "07:00-08:00", "", "", "", 1],
            ],
            user="school_lead",
        )
    assert job.created_count == 1
    messages = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert messages[(2, "打卡范围(米)")] == "Enter a radius between 20 and 2000 metres."
    assert messages[(2, "值守时段")] == "The window “8:00-7:00” must end after it starts."
    assert messages[(2, "志愿者人数")] == "A post needs at least one person of some force group."
    assert messages[(4, "校门")] == "This post is already on row 3 of this file."


def test_a_school_lead_cannot_import_posts_into_another_school(city: City) -> None:
    with translation.override("en"):
        job = run(
            city,
            "posts",
            [["桃山小学", "正门", "", "", "", "07:00-08:00", 1, 0, 0, 0]],
            user="school_lead",
        )
    assert job.errors == [
        {
            "row": 2,
            "column": "学校名称",
            "message": "There is no school named “桃山小学” where you may manage guard posts.",
        }
    ]
    assert {r.group: r.minimum for r in city.post_b1.requirements.all()} == {
        "police": 1,
        "guard": 1,
        "volunteer": 2,
    }


def test_posts_import_with_english_headers(city: City) -> None:
    header = ["School", "Gate", "Duty windows", "Police or auxiliary", "Volunteers"]
    job = run(
        city,
        "posts",
        [["市第六小学", "East gate", "07:00-08:00", 1, 2]],
        user="school_lead",
        header=header,
    )
    assert job.created_count == 1, job.errors


def test_one_summary_audit_line_per_places_import(city: City) -> None:
    before = AuditEvent.objects.count()
    job = run(
        city,
        "posts",
        [["市第六小学", "北门", "", "", "", "07:00-08:00", 1, 0, 0, 0]],
        user="school_lead",
    )
    actions = list(AuditEvent.objects.order_by("id")[before:].values_list("action", flat=True))
    # The post itself is written by post_create, which keeps its own line.
    assert actions == ["post.create", "posts.import"]
    assert AuditEvent.objects.get(action="posts.import").detail["job"] == job.pk


def test_a_posts_sheet_lists_the_columns_it_did_not_read(city: City) -> None:
    header = ["学校名称", "校门", "值守时段", "志愿者人数", "负责人"]
    with translation.override("zh-hans"):
        job = run(
            city,
            "posts",
            [["市第六小学", "东门", "07:00-08:00", 2, "张老师"]],
            user="school_lead",
            header=header,
        )
    assert job.created_count == 1
    assert job.errors == [
        {"row": None, "column": "", "message": "未使用的列：负责人", "unused": ["负责人"]}
    ]
