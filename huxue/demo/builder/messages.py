"""Messages in the demo city (消息): what the outbox has for the demo logins, delivered by the
outbox's own dispatcher, so demo_member and demo_school open the app on messages in their inbox
without any robot or mail server set up.

Besides the roster's own notices (the demo member is told of the published week), one exchange
is played through the services: when the pilot school's lead takes a parent off a shift, the
lead first calls out the demo member — a parent of the same school — to stand in, and the demo
member answers that they cannot come; the lead is told, and then puts a colleague in the
parent's place (``roster._draft_changes``). Reminders stay in the outbox until they are due.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from huxue.demo.builder.people import DEMO_MEMBER
from huxue.duty.alerts.services import callout_answer, callout_create
from huxue.duty.models import CallOut
from huxue.notify.dispatch import dispatch_pass
from huxue.people.models import Person
from huxue.roster.models import Shift

MAX_PASSES = 100  # each pass takes up to 200 messages; the demo has a handful


def ask_demo_member(*, lead: Any, shift: Shift) -> CallOut | None:
    """The lead calls the demo member to stand in; the member declines. None (and nothing
    written) when the member may not be called to this shift."""
    person = Person.objects.filter(user__username=DEMO_MEMBER).select_related("user").first()
    if person is None or person.user is None:
        return None
    try:
        callout = callout_create(actor=lead, shift=shift, person=person)
    except (ValidationError, Http404):
        return None
    return callout_answer(actor=person.user, callout=callout, accept=False)


def deliver_messages() -> int:
    """Run the dispatcher until nothing due is left; how many messages it delivered."""
    sent = 0
    for _ in range(MAX_PASSES):
        result = dispatch_pass()
        sent += result.sent
        if not result.claimed:
            break
    return sent
