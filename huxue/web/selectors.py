"""Reads for the home page: a member's next shift on the published roster, and whether it is
time to check in for it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from huxue.duty.checkin.views import today_cards
from huxue.duty.models import CheckIn
from huxue.orgs import access
from huxue.orgs.roles import Role
from huxue.people.models import Person
from huxue.roster.models import Shift
from huxue.roster.selectors import assignments_of, person_of

# The today page's states of a shift not over yet: check-in open, not open yet, checked in.
_TODAY_STATES = ("due", "later", "open")


@dataclass(frozen=True)
class NextShift:
    """A member's next published shift. ``state`` is the today page's word for it when it is
    today (due: check-in is open; later: it opens at ``opens_at``; open: checked in), or
    "coming" for a later day."""

    shift: Shift
    state: str
    is_today: bool
    opens_at: dt.datetime | None = None
    checkin: CheckIn | None = None
    busy_at: CheckIn | None = None  # still checked in elsewhere: check out there first


@dataclass(frozen=True)
class MemberHome:
    person: Person | None  # None: the login holds the member role but is linked to no record
    next_shift: NextShift | None


def next_shift_of(user: Any, *, person: Person, now: dt.datetime) -> NextShift | None:
    """The member's first published shift not over yet and not already done. For a shift
    today, whether it is time to check in is the today page's own answer (``today_cards``), so
    that the home page offers check-in exactly when that page does."""
    today = timezone.localdate(now)
    # Not over: a window is open for check-in up to and including its last minute.
    upcoming = assignments_of(person).filter(shift__ends_at__gte=now)
    first = upcoming.first()
    if first is not None and first.shift.day == today:
        page = today_cards(user, person, now=now)
        for card in page["cards"]:
            if card.rostered and card.state in _TODAY_STATES and card.shift.ends_at >= now:
                busy = page["busy"] and card.state == "due"
                return NextShift(
                    shift=card.shift,
                    state=card.state,
                    is_today=True,
                    opens_at=card.opens_at,
                    checkin=card.checkin,
                    busy_at=page["open_checkin"] if busy else None,
                )
        # Today's shifts are done (checked out): the next is on a later day.
        first = upcoming.filter(shift__day__gt=today).first()
    if first is None:
        return None
    return NextShift(shift=first.shift, state="coming", is_today=False)


def member_home(user: Any, *, now: dt.datetime) -> MemberHome | None:
    """What the home page shows a member (None for a user who holds no member role)."""
    if Role.MEMBER not in access.roles_of(user):
        return None
    person = person_of(user)
    if person is None:
        return MemberHome(person=None, next_shift=None)
    return MemberHome(person=person, next_shift=next_shift_of(user, person=person, now=now))
