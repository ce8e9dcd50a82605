from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation

from huxue.imports import reader
from huxue.imports.columns import FORCE_TYPES, PEOPLE, POSTS, VETTING
from huxue.imports.tests.helpers import xlsx


def records(rows) -> tuple[reader.Sheet, list]:
    sheet = reader.open_sheet(xlsx(rows), PEOPLE)
    return sheet, list(sheet.records())


def test_it_finds_the_header_below_title_rows() -> None:
    sheet, rows = records(
        [
            ["七台河市护学岗人员登记表"],
            [],
            ["填表单位：市第六小学", None, "填表日期：2024-03-01"],
            ["序号", "姓名", "力量类型", "手机号", "身份证号"],
            [1, "李四", "家长志愿者", "13812345678", "11010519491231002X"],
        ]
    )
    assert sheet.header_row == 4
    assert rows == [
        (
            5,
            {
                "name": "李四",
                "force_type": "家长志愿者",
                "phone": "13812345678",
                "id_number": "11010519491231002X",
            },
        )
    ]


def test_it_reads_english_headers_in_any_case_and_spacing() -> None:
    sheet, rows = records(
        [
            ["NAME", " Force  type ", "mobile number", "ID Number", "Child's school"],
            ["Li", "parent", 1, 2, "x"],
        ]
    )
    assert set(sheet.index) == {"name", "force_type", "phone", "id_number", "child_school"}
    assert rows[0][0] == 2


def test_it_reads_headers_with_full_width_characters_and_notes_in_brackets() -> None:
    sheet, _ = records([["姓名*", "力量类型（必填）", "手机号(11位)", "身份证号码"]])
    assert set(sheet.index) == {"name", "force_type", "phone", "id_number"}


def test_row_numbers_count_empty_rows_and_empty_rows_are_skipped() -> None:
    _, rows = records(
        [
            ["姓名", "力量类型", "手机号", "身份证号"],
            ["甲", "民警", "1", "2"],
            [],
            [None, "  ", None],
            ["乙", "民警", "1", "2"],
        ]
    )
    assert [n for n, _ in rows] == [2, 5]


def test_a_sheet_without_a_header_is_refused_naming_the_columns() -> None:
    with (
        translation.override("en"),
        pytest.raises(reader.FileError, match="Name, Force type, Phone, ID number"),
    ):
        reader.open_sheet(xlsx([["a", "b"], [1, 2]]), PEOPLE)


def test_a_header_lacking_a_required_column_is_refused_naming_it() -> None:
    with translation.override("zh-hans"), pytest.raises(reader.FileError, match="身份证号"):
        reader.open_sheet(xlsx([["姓名", "力量类型", "手机号"]]), PEOPLE)


def test_the_first_sheet_with_a_header_is_used() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["说明：见第二页"])
    data = workbook.create_sheet("数据")
    data.append(["学校名称", "校门", "值守时段"])
    data.append(["市第六小学", "南门", "07:00-08:00"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = reader.open_sheet(io.BytesIO(buffer.getvalue()), POSTS)
    assert list(sheet.records()) == [
        (2, {"school": "市第六小学", "gate": "南门", "windows": "07:00-08:00"})
    ]


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_workbook_is_refused(content: bytes) -> None:
    with pytest.raises(reader.FileError):
        reader.open_sheet(io.BytesIO(content), PEOPLE)


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, ""),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
        (45.7712, "45.7712"),
        (230902199001011234, "230902199001011234"),
        (dt.datetime(2024, 3, 1), "2024-03-01"),  # noqa: DTZ001  (Excel's datetimes are naive)
        (" 李 四 ", " 李 四 "),
    ],
)
def test_cells_become_text_without_excel_artefacts(value, expected) -> None:
    assert reader.text(value) == expected


def test_an_id_typed_as_a_number_in_excel_is_recognised_as_truncated() -> None:
    assert reader.lost_digits(2.30902199001011e17)
    assert not reader.lost_digits(230902199001011234)  # an exact integer written by a program
    assert not reader.lost_digits(13812345678.0)


@pytest.mark.parametrize(
    "value,expected",
    [
        (dt.datetime(2024, 3, 1, 0, 0), dt.date(2024, 3, 1)),  # noqa: DTZ001
        (45352, dt.date(2024, 3, 1)),
        ("2024年3月1日", dt.date(2024, 3, 1)),
        ("2024/3/1", dt.date(2024, 3, 1)),
        ("２０２４-０３-０１", dt.date(2024, 3, 1)),
        ("", None),
        ("soon", "soon"),
    ],
)
def test_dates_are_read_from_cells_serials_and_chinese_text(value, expected) -> None:
    assert reader.date(value) == expected


@pytest.mark.parametrize("value", ["家长志愿者", "Parent volunteer", "parent", " PARENT ", "家长"])
def test_a_choice_is_read_as_chinese_label_english_label_or_code(value: str) -> None:
    assert reader.choice(value, FORCE_TYPES.lookup()) == "parent"


def test_an_unknown_choice_is_handed_back_for_the_service_to_report() -> None:
    assert reader.choice("宇航员", FORCE_TYPES.lookup()) == "宇航员"
    assert reader.choice("通过", VETTING.lookup()) == "passed"


@pytest.mark.parametrize("value", ["是", "yes", "Y", "1", 1, True, "√", "✓", "有"])
def test_yes_in_its_many_spellings(value) -> None:
    assert reader.boolean(value) is True


@pytest.mark.parametrize("value", ["否", "no", "N", "0", 0, False, "×", "", None, "无"])
def test_no_in_its_many_spellings(value) -> None:
    assert reader.boolean(value) is False


def test_a_boolean_that_is_neither_is_none() -> None:
    assert reader.boolean("maybe") is None
    assert reader.boolean(2) is None


@pytest.mark.parametrize(
    "value,expected",
    [(1200, 1200), (1200.0, 1200), ("1,200", 1200), ("１２００", 1200), ("", None), (None, None)],
)
def test_integers_are_read_from_numbers_and_text(value, expected) -> None:
    assert reader.integer(value) == expected


@pytest.mark.parametrize("value", ["12.5", 12.5, "many", True])
def test_not_an_integer(value) -> None:
    with pytest.raises(ValueError):
        reader.integer(value)


def test_a_workbook_that_unpacks_too_large_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(reader, "MAX_UNPACKED_BYTES", 1000)
    with translation.override("en"), pytest.raises(reader.FileError, match="unpacks to more than"):
        reader.open_sheet(xlsx([["姓名", "力量类型", "手机号", "身份证号"]]), PEOPLE)


@pytest.mark.parametrize("heading", ["所属单位", "学校", "所属学校", "所属学校(必填)", "school"])
def test_a_school_heading_is_read_as_the_unit_column(heading: str) -> None:
    sheet, rows = records(
        [["姓名", "力量类型", "手机号", "身份证号", heading], ["甲", "", "", "", "x"]]
    )
    assert sheet.index["unit"] == 4 and rows[0][1]["unit"] == "x"
    assert sheet.unused_columns() == []


def test_headers_naming_no_column_and_values_without_a_header_are_reported_unused() -> None:
    sheet, _rows = records(
        [
            ["姓名", "性别", "力量类型", "手机号", "手机", None, "身份证号"],
            ["甲", "女", "", "1", "2", None, "x"],
            [None, None, None, None, None, "备注在此", None],  # a row the import skips as empty
        ]
    )
    with translation.override("en"):
        assert sheet.unused_columns() == ["性别", "手机", "column F (no header)"]
