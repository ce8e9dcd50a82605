"""Logging filters: what must never reach a log."""

from __future__ import annotations

import logging
from typing import Any

# Tables whose rows hold a secret that a statement names by value: the API tokens, the session
# keys and the private calendar addresses. A statement that touches one is logged without its
# text or parameters (with DEBUG on, Django logs every statement with its values).
SECRET_TABLES = ("authtoken_token", "django_session", "roster_calendarfeed")


class HideSecretStatements(logging.Filter):
    """For ``django.db.backends``: a statement touching a table of ``SECRET_TABLES`` is logged
    as its duration and database only."""

    def filter(self, record: logging.LogRecord) -> bool:
        sql = getattr(record, "sql", None)
        if isinstance(sql, str) and any(table in sql for table in SECRET_TABLES):
            duration: Any = getattr(record, "duration", 0.0)
            record.msg = "(%.3f) [a statement on a table of secrets, not shown]; alias=%s"
            record.args = (duration, getattr(record, "alias", ""))
            record.sql = record.params = ""
        return True
