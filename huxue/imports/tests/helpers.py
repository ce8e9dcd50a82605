"""Builders of small workbooks for the import tests."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from huxue.core.xlsx import CONTENT_TYPE as XLSX

PEOPLE_HEADER = [
    "姓名",
    "力量类型",
    "手机号",
    "身份证号",
    "所属单位",
    "背景审查",
    "审查日期",
    "培训状态",
    "已发红袖标",
    "已发红马甲",
    "子女学校",
    "同意书版本",
]


def xlsx(rows: Sequence[Sequence[Any]], *, name: str = "people.xlsx") -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def upload(rows: Sequence[Sequence[Any]], *, name: str = "people.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx(rows).getvalue(), content_type=XLSX)


def person_row(
    name: str,
    id_number: str,
    *,
    phone: Any = "13812345678",
    force: str = "群众志愿者",
    unit: str = "",
    vetting: str = "",
    vetted_on: Any = None,
    training: str = "",
    armband: Any = "",
    vest: Any = "",
    school: str = "",
    consent: str = "",
) -> list[Any]:
    return [
        name,
        force,
        phone,
        id_number,
        unit,
        vetting,
        vetted_on,
        training,
        armband,
        vest,
        school,
        consent,
    ]


def read_back(data: bytes) -> dict[str, list[list[Any]]]:
    workbook = load_workbook(io.BytesIO(data))
    return {
        ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook.worksheets
    }
