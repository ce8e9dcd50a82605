"""What an import did: counts and the reasons each rejected row was rejected."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import ngettext

from huxue.imports.columns import join
from huxue.imports.reader import Sheet

# A service's field name where it differs from the column that holds the value.
FIELD_TO_COLUMN = {"child_school_id": "child_school", NON_FIELD_ERRORS: ""}
# The key that marks the entry of a job's errors listing the columns the import did not read:
# a note about the file, not a rejected row.
UNUSED = "unused"


def unused_note(columns: list[str]) -> dict[str, Any]:
    """The entry saying which columns were not read: 未使用的列：性别、备注."""
    message = ngettext(
        "Unused column: %(columns)s", "Unused columns: %(columns)s", len(columns)
    ) % {"columns": join(columns)}
    return {"row": None, "column": "", "message": message, UNUSED: columns}


def notes_and_problems(
    errors: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A job's errors split into notes about the file (unused columns) and real problems."""
    notes = [e for e in errors if UNUSED in e]
    return notes, [e for e in errors if UNUSED not in e]


class Progress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, n: int) -> None: ...


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


@dataclass
class Outcome:
    sheet: Sheet
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)

    @property
    def failed(self) -> int:
        return len(self.bad_rows)

    def column_name(self, key: str) -> str:
        """The column as the user wrote it in the file, else its name in the user's language."""
        if not key:
            return ""
        if key in self.sheet.headers:
            return self.sheet.headers[key]
        try:
            return self.sheet.spec.column(key).label()
        except StopIteration:
            return key

    def reject(self, row: int, key: str, message: object) -> None:
        self.errors.append({"row": row, "column": self.column_name(key), "message": str(message)})
        self.bad_rows.add(row)

    def reject_all(self, row: int, errors: Mapping[str, Iterable[object]]) -> None:
        """Several columns' messages for one row, in the order of the sheet's columns."""
        order = {c.key: i for i, c in enumerate(self.sheet.spec.columns)}
        keys = sorted(
            (FIELD_TO_COLUMN.get(k, k) for k in errors), key=lambda k: order.get(k, len(order))
        )
        by_column = {FIELD_TO_COLUMN.get(k, k): v for k, v in errors.items()}
        for key in keys:
            for message in by_column[key]:
                self.reject(row, key, message)

    def reject_validation(
        self,
        row: int,
        exc: ValidationError,
        *,
        default_key: str = "",
        rename: Mapping[str, str] | None = None,
    ) -> None:
        if hasattr(exc, "error_dict"):
            rename = rename or {}
            self.reject_all(row, {rename.get(k, k): v for k, v in exc.message_dict.items()})
        else:
            for message in exc.messages:
                self.reject(row, default_key, message)

    def sorted_errors(self) -> list[dict[str, Any]]:
        """The rejected rows in row order, after a note of the columns not read, if any."""
        unused = self.sheet.unused_columns()
        notes = [unused_note(unused)] if unused else []
        return notes + sorted(self.errors, key=lambda e: e["row"] or 0)
