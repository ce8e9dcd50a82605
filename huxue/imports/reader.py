"""Reading a workbook the way people actually fill them in.

Finds the header row among the first rows (title rows above it are fine), maps Chinese or English
headers to column keys, and turns cells into the plain values the services expect: numbers typed
into text columns back into digits, Excel dates into dates, 是/否 into booleans. Text is left for
the validators to normalise (full-width digits, spaces, lower-case x), so that the import and the
form say the same things about the same input.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import chain, islice
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from huxue.core.validators import normalize_text
from huxue.imports.columns import NO, YES, Choices, SheetSpec, fold, join

logger = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 10
MAX_ROWS = 100_000
# An .xlsx is a zip: a small upload can unpack to gigabytes of XML. Real sheets unpack to about
# ten times their size (10,000 people: 0.7 MB → 6 MB).
MAX_UNPACKED_BYTES = 500 * 1024 * 1024
# Excel keeps 15 significant digits: an 18-digit ID typed as a number has lost its last ones.
EXCEL_DIGITS = 15


class FileError(Exception):
    """The file as a whole cannot be imported; the message is for the user."""


@dataclass
class Sheet:
    spec: SheetSpec
    header_row: int  # Excel's row number, 1-based
    index: dict[str, int]  # column key → position in the row
    headers: dict[str, str]  # column key → the header as written in the file
    estimated_rows: int  # rows below the header, from the sheet's declared size (may be 0)
    _rows: Iterator[tuple[int, tuple[Any, ...]]] = field(repr=False)
    # Headed columns no key took (unknown to the spec, or a second header for a taken key):
    # position → the header as written.
    unmatched: dict[int, str] = field(default_factory=dict)
    # Positions with no header that hold a value in some row, found while the rows are read.
    _headless: set[int] = field(default_factory=set, repr=False)

    def unused_columns(self) -> list[str]:
        """Every column the import did not read, in the sheet's order: its header as written, or
        "column F (no header)". Complete once records() has been read to the end."""
        names = {**self.unmatched}
        for position in self._headless:
            names[position] = _("column %(letter)s (no header)") % {
                "letter": get_column_letter(position + 1)
            }
        return [names[p] for p in sorted(names)]

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(Excel row number, {column key: cell value}) for every non-empty row below the header."""
        index = self.index.items()
        known = set(self.index.values()) | set(self.unmatched)
        for number, row in self._rows:
            for position, value in enumerate(row):
                if position not in known and not _blank(value):
                    self._headless.add(position)
                    known.add(position)
            if number - self.header_row > MAX_ROWS:
                raise FileError(
                    _("A file may hold at most %(n)d rows; split it into smaller files.")
                    % {"n": MAX_ROWS}
                )
            width = len(row)
            values = {key: (row[i] if i < width else None) for key, i in index}
            if all(_blank(v) for v in values.values()):
                continue
            yield number, values


def open_sheet(file: IO[bytes] | str, spec: SheetSpec) -> Sheet:
    """Open the first worksheet that has a header row for `spec`; raises FileError."""
    _check_unpacked_size(file)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # a zip that is not a workbook, a corrupt part, a wrong format …
        logger.info("unreadable workbook: %r", exc)
        raise FileError(_("This file could not be read as an Excel workbook (.xlsx).")) from None
    best: tuple[int, list[str]] | None = None
    for worksheet in workbook.worksheets:
        if not hasattr(worksheet, "reset_dimensions"):
            continue  # a chart sheet
        declared = worksheet.max_row or 0
        # Some writers declare a wrong size; ignore it and read every row that is there.
        worksheet.reset_dimensions()
        rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
        head = list(islice(rows, HEADER_SCAN_ROWS))
        found = _find_header(head, spec)
        if found is None:
            continue
        number, index, headers, unmatched = found
        missing = [c.label() for c in spec.required if c.key not in index]
        if not missing:
            after = [(n, r) for n, r in head if n > number]
            return Sheet(
                spec=spec,
                header_row=number,
                index=index,
                headers=headers,
                estimated_rows=max(declared - number, 0),
                _rows=chain(after, rows),
                unmatched=unmatched,
            )
        if best is None or len(index) > best[0]:
            best = (len(index), missing)
    expected = join([c.label() for c in spec.required])
    if best is None:
        raise FileError(
            _("No header row found: the first %(n)d rows do not name the columns %(columns)s.")
            % {"n": HEADER_SCAN_ROWS, "columns": expected}
        )
    raise FileError(
        _("The header row lacks these columns: %(columns)s.") % {"columns": join(best[1])}
    )


def _check_unpacked_size(file: IO[bytes] | str) -> None:
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        unpacked = 0  # load_workbook reports the file as unreadable
    finally:
        if hasattr(file, "seek"):
            file.seek(0)
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileError(
            _("This workbook unpacks to more than %(mb)d MB; split it into smaller files.")
            % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )


def _find_header(
    rows: list[tuple[int, tuple[Any, ...]]], spec: SheetSpec
) -> tuple[int, dict[str, int], dict[str, str], dict[int, str]] | None:
    """The row naming the most columns (at least two), with where each column is, and the
    headers in it that name no column (or one already named further left)."""
    best = None
    for number, row in rows:
        index: dict[str, int] = {}
        headers: dict[str, str] = {}
        unmatched: dict[int, str] = {}
        for position, cell in enumerate(row):
            key = spec.match(cell)
            if key and key not in index:
                index[key] = position
                headers[key] = normalize_text(cell)
            elif not _blank(cell):
                unmatched[position] = normalize_text(text(cell))
        if len(index) >= 2 and (best is None or len(index) > len(best[1])):
            best = (number, index, headers, unmatched)
    return best


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---- cells → values ------------------------------------------------------------------------


def text(value: Any) -> str:
    """A cell as text: 13812345678.0 → "13812345678", a date → "2024-03-01"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _float_text(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)).normalize(), "f")


def lost_digits(value: Any) -> bool:
    """Whether a number cell is too long for Excel to have kept all its digits (an ID typed as a number)."""
    return isinstance(value, float) and value.is_integer() and abs(value) >= 10**EXCEL_DIGITS


_CN_DATE = re.compile(r"^(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?$")


def date(value: Any) -> dt.date | Any:
    """A date from a date cell, an Excel serial number, 2024-3-1, 2024/03/01 or 2024年3月1日.

    Anything else is handed back unchanged, so that the service's own message reports it.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        return from_excel(value).date()
    match = _CN_DATE.match(normalize_text(value))
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            return value
    return value


def choice(value: Any, table: dict[str, str]) -> str:
    """The code for a label in either language or a code; unknown text is handed back unchanged."""
    raw = normalize_text(text(value))
    # Most cells hold a spelling exactly as listed ("家长志愿者"); fold only the others.
    return table.get(raw) or table.get(fold(raw), raw)


def boolean(value: Any) -> bool | None:
    """True, False, or None when the cell says neither (None for an empty cell is False)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return {1: True, 0: False}.get(int(value)) if float(value).is_integer() else None
    if value in YES:
        return True
    if value in NO:
        return False
    folded = fold(value)
    if not folded:
        return False
    if folded in YES:
        return True
    if folded in NO:
        return False
    return None


def integer(value: Any) -> int | None:
    """A whole number from 1200, 1200.0, "1,200" or "１２００"; None if the cell is empty; raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("fraction")
        return int(value)
    cleaned = normalize_text(value).replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if number != number.to_integral_value():
        raise ValueError("fraction")
    return int(number)


def choice_table(choices: Choices | None) -> dict[str, str]:
    return choices.lookup() if choices else {}
