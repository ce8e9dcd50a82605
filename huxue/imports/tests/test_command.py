from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from huxue.core.models import AuditEvent
from huxue.imports.tests.helpers import PEOPLE_HEADER, person_row, xlsx
from huxue.testing import City, make_id_number


@pytest.fixture
def people_file(city: City, tmp_path: Path) -> Path:
    path = tmp_path / "people.xlsx"
    rows = [
        ["七台河市护学岗人员"],
        PEOPLE_HEADER,
        person_row("甲", make_id_number(city.rng)),
        person_row("乙", "12345"),
    ]
    path.write_bytes(xlsx(rows).getvalue())
    return path


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_xlsx", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_and_prints_every_bad_row(city: City, people_file: Path) -> None:
    out, _err = run(
        "people",
        str(people_file),
        "--user",
        "school_lead",
        "--unit",
        str(city.school_a1.unit.pk),
        "--no-progress",
    )
    assert "读取 2 行，新增 1，更新 0，未变 0，拒绝 1" in out
    assert "第 4 行 [身份证号]:" in out
    line = AuditEvent.objects.get(action="people.import")
    assert (line.actor_username, line.channel) == ("school_lead", "cli")


def test_the_command_shows_a_progress_bar(city: City, people_file: Path, capsys) -> None:
    run("people", str(people_file), "--user", "school_lead", "--unit", str(city.school_a1.unit.pk))
    assert "people" in capsys.readouterr().err  # tqdm draws on stderr


def test_the_command_imports_posts(city: City, tmp_path: Path) -> None:
    path = tmp_path / "posts.xlsx"
    path.write_bytes(
        xlsx(
            [
                ["School", "Gate", "Duty windows", "Volunteers"],
                ["市第六小学", "东门", "07:00-08:00", 2],
            ]
        ).getvalue()
    )
    out, _err = run("posts", str(path), "--user", "school_lead", "--no-progress")
    assert "新增 1" in out
    with translation.override("en"):
        out, _err = run("posts", str(path), "--user", "school_lead", "--no-progress")
    assert "1 row read, 0 created, 0 updated, 1 unchanged, 0 rejected" in out


@pytest.mark.parametrize(
    "args,message,english",
    [
        (["--user", "nobody"], "没有启用中的账号 'nobody'", "No active user 'nobody'."),
        (["--user", "education"], "education 无权导入人员", "education may not import People."),
        (
            ["--user", "school_lead", "--unit", "999999"],
            "不存在编号为 999999 的单位",
            "No unit with id 999999.",
        ),
    ],
)
def test_the_command_refuses_what_the_user_may_not_do(
    city: City, people_file: Path, args, message, english
) -> None:
    with pytest.raises(CommandError, match=message):
        run("people", str(people_file), *args, "--no-progress")
    with translation.override("en"), pytest.raises(CommandError) as refused:
        run("people", str(people_file), *args, "--no-progress")
    assert str(refused.value) == english


def test_the_command_refuses_a_unit_outside_the_users_scope(city: City, people_file: Path) -> None:
    with pytest.raises(CommandError, match="无权向 .* 号单位导入人员"):
        run(
            "people",
            str(people_file),
            "--user",
            "school_lead",
            "--unit",
            str(city.school_b1.unit.pk),
            "--no-progress",
        )


def test_a_file_without_a_header_fails_the_command(city: City, tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(xlsx([["nothing here"]]).getvalue())
    with pytest.raises(CommandError, match="未导入任何数据"):
        run(
            "people",
            str(path),
            "--user",
            "school_lead",
            "--unit",
            str(city.school_a1.unit.pk),
            "--no-progress",
        )


def test_the_command_prints_the_columns_it_did_not_read(city: City, tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    rows = [
        ["姓名", "性别", "力量类型", "手机号", "身份证号", "所属学校", "备注"],
        ["甲", "女", "群众志愿者", "13812345678", make_id_number(city.rng), "新兴小学", "x"],
    ]
    path.write_bytes(xlsx(rows).getvalue())
    out, _err = run("people", str(path), "--user", "station_officer", "--no-progress")
    assert "读取 1 行，新增 1，更新 0，未变 0，拒绝 0" in out
    assert "\n  未使用的列：性别、备注\n" in out
    with translation.override("en"):
        out, _err = run("people", str(path), "--user", "station_officer", "--no-progress")
    assert "1 row read, 0 created, 0 updated, 1 unchanged, 0 rejected" in out
    assert "\n  Unused columns: 性别, 备注\n" in out
