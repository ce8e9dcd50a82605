"""Days without duty, and why: what a member is told at a post or on the day's page.

Whether a post has duty on a day is the calendar's decision, made in one place: ``shift_dates``
(a school day of its school — in a term, a national working day including make-up days, not
closed — on which the post has a window). The roster turns those days into shifts, so a day
with a shift at the post has duty, with one exception: a closure entered after the shifts were
made (an emergency, exams moved) does not remove them, and the school is closed all the same.

So: a day with a shift has duty unless a closure covers it; a day without one has none when
``shift_dates`` says so. When a day has none, this module says why in the user's words: the
closure and its reason, the public holiday by name, the weekend day, the school holidays
(outside every term), or the post having no window on that weekday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import chinese_calendar
from chinese_calendar.constants import Holiday
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import dateformat, translation
from django.utils.translation import gettext as _

from huxue.calendar import national
from huxue.calendar.models import Closure, HolidayArrangement
from huxue.calendar.selectors import (
    CalendarYearUnknown,
    school_days,
    shift_dates,
    terms_for_region,
)
from huxue.posts.models import Post, School
from huxue.roster.models import Shift

CLOSURE = "closure"
HOLIDAY = "holiday"
REST_DAY = "rest_day"  # a weekend day that is no make-up working day
OUT_OF_TERM = "out_of_term"
NO_WINDOW = "no_window"  # a school day on which the post has no duty window

SATURDAY, SUNDAY = 5, 6


@dataclass(frozen=True)
class DayOff:
    """A day without duty at a school (or one of its posts), and why."""

    day: dt.date
    kind: str
    school: str  # the school's name
    name: str = ""  # a holiday's name as entered, or the note of a closure
    reason: str = ""  # a closure's reason (Closure.Reason)
    holiday: str = ""  # a holiday of the chinese_calendar package, by its English name

    @property
    def what(self) -> str:
        """The holiday's name or the closure's reason, in the language of the moment it is
        read (the page's, not the one the day was looked up in)."""
        if self.kind == CLOSURE:
            return self.name or str(Closure.Reason(self.reason).label)
        if self.holiday:
            chinese = (translation.get_language() or "").lower().startswith("zh")
            return str(Holiday(self.holiday).chinese) if chinese else self.holiday
        return self.name

    def at_post(self) -> str:
        """The sentence for one post, as of today: "今天是周六，本岗点无值守。"."""
        if self.kind == CLOSURE:
            return _("%(school)s is closed today (%(reason)s): no duty at this post.") % {
                "school": self.school,
                "reason": self.what,
            }
        if self.kind == HOLIDAY:
            return _("Today is %(holiday)s, a public holiday: no duty at this post.") % {
                "holiday": self.what
            }
        if self.kind == OUT_OF_TERM:
            return _("Today is in the school holidays (outside the term): no duty at this post.")
        if self.kind == REST_DAY and self.day.weekday() == SATURDAY:
            return _("Today is Saturday: no duty at this post.")
        if self.kind == REST_DAY and self.day.weekday() == SUNDAY:
            return _("Today is Sunday: no duty at this post.")
        return _("Today is %(weekday)s: no duty at this post.") % {"weekday": self.weekday}

    def at_school(self) -> str:
        """The sentence for a member's school, as of today: "今天是周六，某某小学无值守。"."""
        values = {"school": self.school, "reason": self.what, "holiday": self.what}
        if self.kind == CLOSURE:
            return _("%(school)s is closed today (%(reason)s): no duty.") % values
        if self.kind == HOLIDAY:
            return _("Today is %(holiday)s, a public holiday: no duty at %(school)s.") % values
        if self.kind == OUT_OF_TERM:
            return _("Today is in the school holidays of %(school)s: no duty.") % values
        if self.kind == REST_DAY and self.day.weekday() == SATURDAY:
            return _("Today is Saturday: no duty at %(school)s.") % values
        if self.kind == REST_DAY and self.day.weekday() == SUNDAY:
            return _("Today is Sunday: no duty at %(school)s.") % values
        return _("Today is %(weekday)s: no duty at %(school)s.") % {
            **values,
            "weekday": self.weekday,
        }

    @property
    def weekday(self) -> str:
        return str(dateformat.format(self.day, "l"))


def live_closures(schools: Iterable[int] | OuterRef, day: dt.date | OuterRef) -> QuerySet[Closure]:
    """The closures of these schools in force on ``day`` (the days ``school_days`` leaves out)."""
    live = Closure.objects.filter(voided_at__isnull=True, start__lte=day, end__gte=day)
    if isinstance(schools, OuterRef):
        return live.filter(school=schools)
    return live.filter(school__in=schools)


def closed_on(school: str, day: str) -> Exists:
    """For a query: whether the school named by the field path ``school`` has a closure in
    force on the date in the field ``day`` (the check-in's gate reads it with its shift)."""
    return Exists(live_closures(OuterRef(school), OuterRef(day)))


def closures_on(day: dt.date, schools: Iterable[School]) -> dict[int, DayOff]:
    """Of these schools (their units loaded), those closed on ``day``, each with why: one query
    for any number (a page that lists several posts asks once)."""
    by_id = {school.pk: school for school in schools}
    found: dict[int, DayOff] = {}
    for closure in live_closures(by_id.keys(), day).order_by("-start", "-pk"):
        school = by_id[closure.school_id]
        found[school.pk] = DayOff(
            day=day, kind=CLOSURE, school=school.unit.name, name=closure.note, reason=closure.reason
        )
    return found


def _holiday(day: dt.date, calendar: national.NationalCalendar) -> dict[str, str]:
    """The public holiday on a day that is no working day, as DayOff's fields: its name as
    entered (an entered year), or the package's English name; {} for a weekend day."""
    if calendar.source(day.year) == national.ENTERED:
        entered = HolidayArrangement.objects.filter(
            date=day, kind=HolidayArrangement.Kind.HOLIDAY
        ).values_list("name", flat=True)
        name = next(iter(entered), "")
        return {"name": name} if name else {}
    _on, english = chinese_calendar.get_holiday_detail(day)
    return {"holiday": str(english)} if english else {}


def _why(school: School, day: dt.date) -> DayOff | None:
    """Why ``day`` is no school day at ``school``; None when it is one (the post may still
    have no window on it). Asked only once the calendar has said there is no duty."""

    def off(kind: str, **named: str) -> DayOff:
        return DayOff(day=day, kind=kind, school=school.unit.name, **named)

    closed = closures_on(day, [school])
    if closed:
        return closed[school.pk]
    try:
        calendar = national.NationalCalendar([day.year])
    except CalendarYearUnknown:
        pass  # a day outside every term needs no national arrangement to be one
    else:
        if not calendar.is_workday(day):
            holiday = _holiday(day, calendar)
            return off(HOLIDAY, **holiday) if holiday else off(REST_DAY)
    if not terms_for_region(school.unit.region).filter(start__lte=day, end__gte=day).exists():
        return off(OUT_OF_TERM)
    return None


def post_day_off(post: Post, day: dt.date, *, rostered: bool | None = None) -> DayOff | None:
    """Whether ``day`` is a day without duty at ``post``, and why; None when it has duty, or
    when the calendar cannot tell (a year whose holidays nobody has entered).

    ``rostered``: whether the post has a shift that day, when the caller knows (None: read it).
    """
    school = post.school
    if rostered is None:
        rostered = Shift.objects.filter(post=post, day=day, cancelled_at__isnull=True).exists()
    if rostered:
        return closures_on(day, [school]).get(school.pk)
    try:
        if shift_dates(post, day, day):
            return None
        why = _why(school, day)
    except CalendarYearUnknown:
        return None
    return why or DayOff(day=day, kind=NO_WINDOW, school=school.unit.name)


def school_day_off(school: School, day: dt.date) -> DayOff | None:
    """Whether ``day`` is a day without duty at any post of ``school``, and why; None when it
    has duty (or the calendar cannot tell)."""
    rostered = Shift.objects.filter(
        post__in=Post.objects.live().filter(school=school), day=day, cancelled_at__isnull=True
    ).exists()
    if rostered:
        return closures_on(day, [school]).get(school.pk)
    try:
        if school_days(school, day, day):
            return None
        return _why(school, day)
    except CalendarYearUnknown:
        return None
