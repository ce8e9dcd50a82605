"""A member's shifts as an iCalendar feed (icalendar package, RFC 5545)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from huxue.roster.models import Assignment


def feed_ics(assignments: Iterable[Assignment], *, title: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Huxue//roster//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    for a in assignments:
        shift = a.shift
        event = Event()
        event.add("uid", f"assignment-{a.pk}@huxue")
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add("dtstamp", a.updated_at)
        event.add(
            "summary",
            _("Guard duty · %(school)s %(gate)s")
            % {"school": shift.post.school.unit.name, "gate": shift.post.name},
        )
        event.add("location", shift.post.school.address or shift.post.school.unit.name)
        event.add("geo", (float(shift.post.latitude), float(shift.post.longitude)))
        cal.add_component(event)
    return cal.to_ical()
