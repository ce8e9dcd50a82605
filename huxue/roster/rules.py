"""Reading a city's rostering rules and a member's eligibility, without writing anything."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from django.utils import timezone

from huxue.calendar.selectors import terms_for_region
from huxue.people.models import Person
from huxue.roster.models import Availability, AvailabilityException, Shift


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def term_bounds(shift: Shift) -> tuple[dt.date, dt.date] | None:
    region = shift.post.school.unit.region
    term = terms_for_region(region).filter(start__lte=shift.day, end__gte=shift.day).first()
    return (term.start, term.end) if term else None


def vetted_by(person: Person, day: dt.date) -> bool:
    """Whether the person had passed the background check by that day. A pass recorded without
    its date counts on every day: the record cannot say otherwise."""
    return person.vetting_status == Person.Vetting.PASSED and (
        person.vetted_on is None or person.vetted_on <= day
    )


def trained_by(person: Person, day: dt.date) -> bool:
    """Whether the person's training was valid on that day. ``trained_on`` is the last training:
    a member trained after the day was not trained on it (an earlier training is not recorded).
    Expiry is the status the registry keeps ("expired"), not a period: when a training lapsed is
    not recorded, so an expired training counts on no day. A training recorded without its date
    counts on every day, as its status says."""
    return person.training_status == Person.Training.TRAINED and (
        person.trained_on is None or person.trained_on <= day
    )


def ineligibility_on(person: Person, day: dt.date) -> str | None:
    """Why the person may not stand duty on that day, as a reason code; None if they may."""
    if person.is_void:
        return "void"
    if not vetted_by(person, day):
        return "not_vetted"
    if not trained_by(person, day):
        return "not_trained"
    return None


def ineligibility_of(person: Person) -> str | None:
    """Why the person may not stand duty at all today, as a reason code; None if they may."""
    return ineligibility_on(person, timezone.localdate())


def ineligibility(person: Person, shift: Shift) -> str | None:
    """Why the person may not stand this shift (judged on its day), as a reason code; None if
    they may."""
    reason = ineligibility_on(person, shift.day)
    if reason:
        return reason
    if int(shift.requirements.get(person.force_group, 0)) <= 0:
        return "group_not_needed"
    return None


def availability_check(
    weekly: Iterable[Availability], exceptions: Iterable[AvailabilityException]
) -> Callable[[Shift], bool]:
    """A test of one member's availability, built once and asked for many shifts: the weekly
    pattern must cover the whole window, unless that day is an exception."""
    spans: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for a in weekly:
        spans[a.weekday].append((a.start, a.end))
    by_day = {e.day: e.available for e in exceptions}

    def free(shift: Shift) -> bool:
        exception = by_day.get(shift.day)
        if exception is not None:
            return exception
        return any(
            s <= shift.start and e >= shift.end for s, e in spans.get(shift.day.weekday(), ())
        )

    return free


def is_available(
    person: Person,
    shift: Shift,
    *,
    weekly: Iterable[Availability] | None = None,
    exceptions: Mapping[dt.date, AvailabilityException] | None = None,
) -> bool:
    """One member, one shift; pass what is already loaded to save the queries."""
    return availability_check(
        person.availability.filter(weekday=shift.day.weekday()) if weekly is None else weekly,
        person.availability_exceptions.filter(day=shift.day)
        if exceptions is None
        else exceptions.values(),
    )(shift)


def local_datetime(day: dt.date, at: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, at), timezone.get_default_timezone())
