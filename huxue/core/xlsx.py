"""The Excel files we write: a sheet of a bold header and rows, streamed by openpyxl's
write-only mode, text kept as text, served as a download that is not cached."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)


def cell(sheet: Worksheet, value: Any) -> Any:
    """A value as openpyxl should write it. openpyxl writes text starting with "=" as a formula;
    it stays text, so that a name such as "=HYPERLINK(…)" typed into a record does not run when
    the file is opened. Decimals are written as numbers."""
    if isinstance(value, str) and value.startswith("="):
        text = WriteOnlyCell(sheet, value=value)
        text.data_type = "s"
        return text
    if isinstance(value, Decimal):
        return float(value)
    return value


def one_sheet(title: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A workbook of one sheet named ``title`` (cut to Excel's 31 characters): the header in
    bold, then the rows, as the bytes of an .xlsx file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    heads = []
    for label in header:
        head = WriteOnlyCell(sheet, value=label)
        head.font = BOLD
        heads.append(head)
    sheet.append(heads)
    for row in rows:
        sheet.append([cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(data: bytes, filename: str) -> HttpResponse:
    """The .xlsx bytes as an attachment named ``filename``, kept out of every cache."""
    response = HttpResponse(data, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
