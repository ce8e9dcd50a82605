"""Calendar builders for tests: a plausible 2027 arrangement and the city's terms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from huxue.calendar.models import Term
from huxue.calendar.services import arrangement_set_year, parse_arrangement, term_create
from huxue.testing import City

# Synthetic, shaped like a State Council notice (the real one is published in autumn 2026).
ARRANGEMENT_2027 = """
2027-01-01~2027-01-03 holiday 元旦
2027-02-05~2027-02-12 holiday 春节
2027-02-20 workday 春节调休
2027-05-01~2027-05-05 holiday 劳动节
2027-05-08 workday 劳动节调休
2027-10-01~2027-10-07 holiday 国庆节
2027-10-09 workday 国庆节调休
"""
SOURCE_2027 = "国务院办公厅通知 国办发明电〔2026〕X号"


def enter_2027(actor: Any = None) -> None:
    arrangement_set_year(
        actor=actor,
        year=2027,
        entries=parse_arrangement(ARRANGEMENT_2027, year=2027),
        source=SOURCE_2027,
    )


def autumn_term(city: City, actor: Any = None) -> Term:
    return term_create(
        actor=actor,
        unit=city.education,
        name="2026-2027学年第一学期",
        start=dt.date(2026, 9, 1),
        end=dt.date(2027, 1, 20),
    )


def spring_term(city: City, actor: Any = None) -> Term:
    return term_create(
        actor=actor,
        unit=city.education,
        name="2026-2027学年第二学期",
        start=dt.date(2027, 3, 1),
        end=dt.date(2027, 7, 9),
    )
