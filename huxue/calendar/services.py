"""Writes to the school calendar. Keyword-only, one transaction each, one audit line each.

Callers (views) check access; services check that the change itself makes sense.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huxue.calendar.models import Closure, HolidayArrangement, Term
from huxue.calendar.national import days, package_knows
from huxue.core import audit
from huxue.core.validators import normalize_text
from huxue.orgs.models import Region, Unit
from huxue.posts.models import School

MIN_YEAR, MAX_YEAR = 2000, 2100
# A term or a closure longer than this is a typing mistake, not a plan.
MAX_SPAN_DAYS = 366
TERM_OWNERS = frozenset({Unit.Kind.BUREAU, Unit.Kind.EDUCATION})


@dataclass(frozen=True)
class ArrangementEntry:
    date: dt.date
    kind: str
    name: str


_KINDS = {
    "holiday": HolidayArrangement.Kind.HOLIDAY,
    "休": HolidayArrangement.Kind.HOLIDAY,
    "放假": HolidayArrangement.Kind.HOLIDAY,
    "workday": HolidayArrangement.Kind.WORKDAY,
    "班": HolidayArrangement.Kind.WORKDAY,
    "上班": HolidayArrangement.Kind.WORKDAY,
    "调休上班": HolidayArrangement.Kind.WORKDAY,
}
# "2027-01-01 holiday 元旦", "2027-02-05~2027-02-11 holiday 春节", "2027-02-07 workday 春节调休"
_LINE_RE = re.compile(
    r"^(?P<start>\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:~|\.\.|至|到|–|—)\s*(?P<end>\d{4}-\d{1,2}-\d{1,2}))?"
    r"\s+(?P<kind>\S+)\s*(?P<name>.*)$"
)


def _problems(year: int, entries: Sequence[ArrangementEntry]) -> list[tuple[int, str]]:
    """(index of the entry, what is wrong with it) for each entry that cannot be kept."""
    found: list[tuple[int, str]] = []
    seen: set[dt.date] = set()
    for index, entry in enumerate(entries):
        day = f"{entry.date:%Y-%m-%d}"
        if entry.date.year != year:
            found.append((index, _("%(date)s is not in %(year)s.") % {"date": day, "year": year}))
        elif entry.date in seen:
            found.append((index, _("%(date)s is listed twice.") % {"date": day}))
        elif entry.kind not in HolidayArrangement.Kind.values:
            found.append(
                (index, _("Say whether %(date)s is a holiday or a workday.") % {"date": day})
            )
        elif entry.kind == HolidayArrangement.Kind.WORKDAY and entry.date.weekday() < 5:
            found.append(
                (
                    index,
                    _(
                        "%(date)s is a weekday, so it is a working day anyway; only a Saturday "
                        "or Sunday can be a make-up working day."
                    )
                    % {"date": day},
                )
            )
        elif not entry.name:
            found.append((index, _("Name the holiday of %(date)s, e.g. 春节.") % {"date": day}))
        seen.add(entry.date)
    return found


def parse_arrangement(text: str, *, year: int) -> list[ArrangementEntry]:
    """The arrangement form's lines → entries; raises ValidationError with one message a line."""
    entries: list[ArrangementEntry] = []
    line_of: list[int] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = normalize_text(raw)
        if not line or line.startswith("#"):
            continue
        match = _LINE_RE.match(line)
        kind = _KINDS.get(match["kind"].lower()) if match else None
        if not match or kind is None:
            errors.append(
                _(
                    "Line %(line)s: “%(text)s” should look like “2027-01-01 holiday 元旦” or "
                    "“2027-02-07 workday 春节调休”."
                )
                % {"line": number, "text": line}
            )
            continue
        try:
            start = dt.date.fromisoformat(_iso(match["start"]))
            end = dt.date.fromisoformat(_iso(match["end"])) if match["end"] else start
        except ValueError:
            errors.append(_("Line %(line)s: there is no such date.") % {"line": number})
            continue
        if end < start or (end - start).days > 60:
            errors.append(
                _("Line %(line)s: the date range must run forwards and be short.")
                % {"line": number}
            )
            continue
        for day in days(start, end):
            entries.append(ArrangementEntry(date=day, kind=kind, name=match["name"].strip()))
            line_of.append(number)
    for index, problem in _problems(year, entries):
        errors.append(
            _("Line %(line)s: %(problem)s") % {"line": line_of[index], "problem": problem}
        )
    if errors:
        raise ValidationError(errors, code="arrangement")
    if not entries:
        raise ValidationError(_("Enter at least one date of the arrangement."), code="arrangement")
    return entries


def _iso(value: str) -> str:
    year, month, day = value.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"


@transaction.atomic
def arrangement_set_year(
    *,
    actor: Any,
    year: int,
    entries: Sequence[ArrangementEntry],
    source: str,
    override: bool = False,
) -> list[HolidayArrangement]:
    """Replace everything entered for `year` with `entries` (the whole official notice)."""
    source = normalize_text(source)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(
            {
                "year": [
                    _("Enter a year between %(low)s and %(high)s.")
                    % {"low": MIN_YEAR, "high": MAX_YEAR}
                ]
            }
        )
    if package_knows(year) and not override:
        raise ValidationError(
            {
                "year": [
                    _(
                        "The calendar package already knows %(year)s. Enter it only to correct "
                        "the package, and say so explicitly."
                    )
                    % {"year": year}
                ]
            }
        )
    if not source:
        raise ValidationError(
            {
                "source": [
                    _("Name the official notice, e.g. 国务院办公厅通知 国办发明电〔2026〕X号.")
                ]
            }
        )
    if not entries:
        raise ValidationError(_("Enter at least one date of the arrangement."), code="arrangement")
    problems = _problems(year, entries)
    if problems:
        raise ValidationError([message for _index, message in problems], code="arrangement")
    previous = list(HolidayArrangement.objects.select_for_update().filter(year=year))
    HolidayArrangement.objects.filter(year=year).delete()
    created = HolidayArrangement.objects.bulk_create(
        [
            HolidayArrangement(
                year=year,
                date=e.date,
                kind=e.kind,
                name=normalize_text(e.name)[:32],
                source=source[:200],
                entered_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            for e in sorted(entries, key=lambda e: e.date)
        ]
    )
    # The rows replaced are national data, not counted records; the trail keeps what they were.
    audit.record(
        action="calendar.arrangement_set_year",
        actor=actor,
        object_type="schoolcal.holidayarrangement",
        object_id=year,
        object_repr=str(year),
        detail={
            "source": source,
            "override": override,
            "holidays": sum(e.kind == HolidayArrangement.Kind.HOLIDAY for e in entries),
            "workdays": sum(e.kind == HolidayArrangement.Kind.WORKDAY for e in entries),
            "replaced": [f"{p.date:%Y-%m-%d} {p.kind} {p.name}" for p in previous],
        },
    )
    return created


def _check_span(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationError({"end": [_("The last day cannot be before the first day.")]})
    if (end - start).days >= MAX_SPAN_DAYS:
        raise ValidationError({"end": [_("That is longer than a year; check the dates.")]})


def _check_no_overlap(term: Term) -> None:
    # Lock the region row so that two terms entered at once cannot both pass this check.
    Region.objects.select_for_update().filter(pk=term.region_id).first()
    clash = (
        Term.objects.filter(region_id=term.region_id, start__lte=term.end, end__gte=term.start)
        .exclude(pk=term.pk)
        .first()
    )
    if clash is not None:
        raise ValidationError(
            _("These dates overlap the term %(term)s in the same region.") % {"term": clash},
            code="term_overlap",
        )


@transaction.atomic
def term_create(
    *,
    actor: Any,
    unit: Unit,
    name: str,
    start: dt.date,
    end: dt.date,
    region: Region | None = None,
) -> Term:
    """A term of the schools in `region` (the owning bureau's region unless another is named)."""
    name = normalize_text(name)
    if unit.kind not in TERM_OWNERS:
        raise ValidationError(
            {"unit": [_("Terms are set by a police bureau or an education bureau.")]}
        )
    region = region or unit.region
    if not region.path.startswith(unit.region.path):
        raise ValidationError(
            {"region": [_("A term's region must lie within its bureau's region.")]}
        )
    if not name:
        raise ValidationError({"name": [_("Name the term, e.g. 2026-2027学年第一学期.")]})
    _check_span(start, end)
    if Term.objects.filter(region=region, name=name).exists():
        raise ValidationError({"name": [_("This region already has a term of that name.")]})
    term = Term(unit=unit, region=region, name=name, start=start, end=end)
    _check_no_overlap(term)
    term.save()
    audit.record(
        action="calendar.term_create",
        actor=actor,
        obj=term,
        detail={"start": start, "end": end, "region": region.code},
    )
    return term


@transaction.atomic
def term_update(
    *,
    actor: Any,
    term: Term,
    name: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Term:
    changed: list[str] = []
    if name is not None and normalize_text(name) != term.name:
        term.name = normalize_text(name)
        if not term.name:
            raise ValidationError({"name": [_("Name the term, e.g. 2026-2027学年第一学期.")]})
        if (
            Term.objects.filter(region_id=term.region_id, name=term.name)
            .exclude(pk=term.pk)
            .exists()
        ):
            raise ValidationError({"name": [_("This region already has a term of that name.")]})
        changed.append("name")
    for field, value in (("start", start), ("end", end)):
        if value is not None and value != getattr(term, field):
            setattr(term, field, value)
            changed.append(field)
    _check_span(term.start, term.end)
    _check_no_overlap(term)
    term.save(update_fields=[*changed, "updated_at"])
    audit.record(
        action="calendar.term_update",
        actor=actor,
        obj=term,
        detail={"changed": changed, "start": term.start, "end": term.end},
    )
    return term


@transaction.atomic
def closure_create(
    *,
    actor: Any,
    school: School,
    start: dt.date,
    end: dt.date,
    reason: str,
    note: str = "",
) -> Closure:
    if school.is_void:
        raise ValidationError(_("This school has been voided; it cannot be closed."))
    if reason not in Closure.Reason.values:
        raise ValidationError({"reason": [_("Choose a reason from the list.")]})
    _check_span(start, end)
    note = normalize_text(note)
    if reason == Closure.Reason.OTHER and not note:
        raise ValidationError({"note": [_("Say why the school is closed.")]})
    closure = Closure.objects.create(
        school=school,
        start=start,
        end=end,
        reason=reason,
        note=note[:200],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        action="calendar.closure_create",
        actor=actor,
        obj=closure,
        detail={"start": start, "end": end, "reason": reason},
    )
    return closure


@transaction.atomic
def closure_void(*, actor: Any, closure: Closure, reason: str) -> Closure:
    reason = normalize_text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why this closure is being voided.")]})
    if closure.is_void:
        raise ValidationError(_("This closure has already been voided."))
    closure.voided_at = timezone.now()
    closure.void_reason = reason[:200]
    closure.save(update_fields=["voided_at", "void_reason", "updated_at"])
    audit.record(
        action="calendar.closure_void", actor=actor, obj=closure, detail={"reason": reason}
    )
    return closure
