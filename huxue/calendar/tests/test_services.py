from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from huxue.calendar.models import Closure, HolidayArrangement
from huxue.calendar.services import (
    ArrangementEntry,
    arrangement_set_year,
    closure_create,
    closure_void,
    parse_arrangement,
    term_create,
    term_update,
)
from huxue.calendar.tests.factories import SOURCE_2027, autumn_term, enter_2027
from huxue.core.models import AuditEvent
from huxue.testing import City

pytestmark = pytest.mark.django_db


def _audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# --- parsing the arrangement form --------------------------------------------------------------


def test_parsing_expands_ranges_and_accepts_chinese_kinds() -> None:
    entries = parse_arrangement(
        "2027-02-05~2027-02-07 放假 春节\n\n# a comment\n２０２７-０２-２０ 上班 春节调休",
        year=2027,
    )
    assert [(e.date.day, e.kind) for e in entries] == [
        (5, "holiday"),
        (6, "holiday"),
        (7, "holiday"),
        (20, "workday"),
    ]
    assert entries[-1].name == "春节调休"


def test_parsing_reports_every_bad_line_by_number() -> None:
    text = "\n".join(
        [
            "2027-01-01 holiday 元旦",
            "2027-13-01 holiday 元旦",  # no such date
            "tomorrow holiday",  # not a line at all
            "2027-02-10 workday 春节调休",  # a Wednesday
            "2026-12-31 holiday 元旦",  # wrong year
            "2027-01-01 holiday 元旦",  # twice
        ]
    )
    with pytest.raises(ValidationError) as caught:
        parse_arrangement(text, year=2027)
    messages = caught.value.messages
    assert len(messages) == 5
    for line in (2, 3, 4, 5, 6):
        assert any(m.startswith(f"Line {line}:") for m in messages), line


def test_parsing_an_empty_text_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_arrangement("\n# nothing\n", year=2027)


# --- arrangement_set_year ----------------------------------------------------------------------


def test_entering_a_year_stores_it_and_leaves_one_audit_line(city: City) -> None:
    enter_2027(actor=city.users["city_admin"])
    rows = HolidayArrangement.objects.filter(year=2027)
    assert rows.count() == 3 + 8 + 1 + 5 + 1 + 7 + 1
    assert {r.source for r in rows} == {SOURCE_2027}
    assert {r.entered_by for r in rows} == {city.users["city_admin"]}
    [line] = _audit("calendar.arrangement_set_year")
    assert line.actor_username == "city_admin" and line.object_id == "2027"
    assert line.detail["workdays"] == 3 and line.detail["replaced"] == []


def test_entering_a_year_again_replaces_it_and_keeps_the_old_dates_in_the_trail() -> None:
    enter_2027()
    arrangement_set_year(
        actor=None,
        year=2027,
        entries=[ArrangementEntry(date=dt.date(2027, 1, 1), kind="holiday", name="元旦")],
        source="更正",
    )
    assert HolidayArrangement.objects.filter(year=2027).count() == 1
    last = _audit("calendar.arrangement_set_year")[-1]
    assert len(last.detail["replaced"]) == 26


def test_a_year_the_package_knows_is_refused_unless_overriding() -> None:
    entry = ArrangementEntry(date=dt.date(2026, 1, 1), kind="holiday", name="元旦")
    with pytest.raises(ValidationError) as caught:
        arrangement_set_year(actor=None, year=2026, entries=[entry], source="x")
    assert "year" in caught.value.message_dict
    assert not HolidayArrangement.objects.exists()
    arrangement_set_year(actor=None, year=2026, entries=[entry], source="x", override=True)
    assert HolidayArrangement.objects.count() == 1


def test_entries_are_checked_by_the_service_too() -> None:
    bad = [ArrangementEntry(date=dt.date(2027, 3, 3), kind="workday", name="调休")]  # Wednesday
    with pytest.raises(ValidationError):
        arrangement_set_year(actor=None, year=2027, entries=bad, source="x")
    with pytest.raises(ValidationError):
        arrangement_set_year(actor=None, year=2027, entries=[], source="x")
    good = [ArrangementEntry(date=dt.date(2027, 1, 1), kind="holiday", name="元旦")]
    with pytest.raises(ValidationError) as caught:
        arrangement_set_year(actor=None, year=2027, entries=good, source=" ")
    assert "source" in caught.value.message_dict
    assert not _audit("calendar.arrangement_set_year")


# --- terms -------------------------------------------------------------------------------------


def test_a_term_belongs_to_its_bureau_region_and_is_audited(city: City) -> None:
    term = autumn_term(city, actor=city.users["education"])
    assert term.region == city.city and term.unit == city.education
    [line] = _audit("calendar.term_create")
    assert line.actor_username == "education" and line.object_id == str(term.pk)


def test_terms_of_a_region_may_not_overlap(city: City) -> None:
    autumn_term(city)
    with pytest.raises(ValidationError, match="overlap"):
        term_create(
            actor=None,
            unit=city.bureau,
            name="寒假补课",
            start=dt.date(2027, 1, 15),
            end=dt.date(2027, 2, 1),
        )
    # A district may have a term of its own at the same time (e.g. a county's own calendar).
    term_create(
        actor=None,
        unit=city.education,
        region=city.xinxing,
        name="新兴区秋季学期",
        start=dt.date(2026, 9, 1),
        end=dt.date(2027, 1, 15),
    )


def test_a_term_is_set_by_a_bureau_within_its_region(city: City) -> None:
    with pytest.raises(ValidationError) as caught:
        term_create(
            actor=None,
            unit=city.station_a,
            name="x",
            start=dt.date(2026, 9, 1),
            end=dt.date(2026, 12, 1),
        )
    assert "unit" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        term_create(
            actor=None,
            unit=city.education,
            name="x",
            start=dt.date(2026, 12, 1),
            end=dt.date(2026, 9, 1),
        )
    assert "end" in caught.value.message_dict


def test_updating_a_term_checks_overlaps_and_is_audited(city: City) -> None:
    autumn = autumn_term(city)
    spring = term_create(
        actor=None,
        unit=city.education,
        name="2026-2027学年第二学期",
        start=dt.date(2027, 3, 1),
        end=dt.date(2027, 7, 9),
    )
    with pytest.raises(ValidationError, match="overlap"):
        term_update(actor=None, term=spring, start=dt.date(2027, 1, 10))
    term_update(actor=None, term=autumn, end=dt.date(2027, 1, 22))
    autumn.refresh_from_db()
    assert autumn.end == dt.date(2027, 1, 22)
    [line] = _audit("calendar.term_update")
    assert line.detail["changed"] == ["end"]


# --- closures ----------------------------------------------------------------------------------


def test_a_closure_is_recorded_and_voided_with_audit_lines(city: City) -> None:
    lead = city.users["school_lead"]
    closure = closure_create(
        actor=lead,
        school=city.school_a1,
        start=dt.date(2026, 12, 1),
        end=dt.date(2026, 12, 2),
        reason=Closure.Reason.EXAM,
    )
    assert closure.created_by == lead
    closure_void(actor=lead, closure=closure, reason="考试改期")
    closure.refresh_from_db()
    assert closure.is_void and closure.void_reason == "考试改期"
    assert Closure.objects.count() == 1  # voided, not deleted
    assert [e.action for e in AuditEvent.objects.filter(object_type="schoolcal.closure")] == [
        "calendar.closure_create",
        "calendar.closure_void",
    ]
    with pytest.raises(ValidationError):
        closure_void(actor=lead, closure=closure, reason="again")


def test_a_closure_needs_sane_dates_and_a_note_for_other_reasons(city: City) -> None:
    with pytest.raises(ValidationError) as caught:
        closure_create(
            actor=None,
            school=city.school_a1,
            start=dt.date(2026, 12, 2),
            end=dt.date(2026, 12, 1),
            reason=Closure.Reason.EXAM,
        )
    assert "end" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        closure_create(
            actor=None,
            school=city.school_a1,
            start=dt.date(2026, 12, 1),
            end=dt.date(2026, 12, 1),
            reason=Closure.Reason.OTHER,
        )
    assert "note" in caught.value.message_dict
    assert not Closure.objects.exists()
