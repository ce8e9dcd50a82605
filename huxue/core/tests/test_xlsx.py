"""The one writer of our Excel files: text that looks like a formula stays text."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from huxue.core import xlsx


def _read(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


def test_a_sheet_has_its_bold_header_then_its_rows():
    sheet = _read(xlsx.one_sheet("人次统计", ["学校", "人次"], [["第一小学", 3], ["第二小学", 0]]))
    assert sheet.title == "人次统计"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["学校", "人次"],
        ["第一小学", 3],
        ["第二小学", 0],
    ]
    assert sheet["A1"].font.bold and not sheet["A2"].font.bold


def test_text_starting_with_equals_is_written_as_text_not_a_formula():
    sheet = _read(xlsx.one_sheet("s", ["name"], [['=HYPERLINK("http://x","点我")']]))
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == '=HYPERLINK("http://x","点我")'


def test_decimals_are_numbers_and_a_long_title_is_cut_to_excels_limit():
    sheet = _read(xlsx.one_sheet("x" * 40, ["hours"], [[Decimal("1.50")]]))
    assert sheet["A2"].value == 1.5 and sheet["A2"].data_type == "n"
    assert sheet.title == "x" * 31


def test_the_download_is_an_attachment_kept_out_of_caches():
    response = xlsx.download(b"PK", "duty.xlsx")
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="duty.xlsx"'
    assert response["Cache-Control"] == "no-store"
