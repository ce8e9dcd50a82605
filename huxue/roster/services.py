"""Writes for rostering: shifts from the calendar, availability, sign-ups and withdrawals.

Keyword-only, one transaction each, one audit line each. Caps are checked inside the transaction
after locking the member's row, so two sign-ups racing for the last place cannot both pass.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from huxue.calendar.selectors import CalendarYearUnknown, shift_dates
from huxue.core import audit, rulesets
from huxue.core.rulesets import ruleset_save
from huxue.notify.services import notify_cancel, notify_enqueue
from huxue.orgs import access
from huxue.orgs.models import Region
from huxue.people.models import Person
from huxue.posts.models import Post
from huxue.roster.models import (
    Assignment,
    Availability,
    AvailabilityException,
    CalendarFeed,
    CityRules,
    Shift,
    SignUp,
)
from huxue.roster.planning import reminder_prefix
from huxue.roster.rules import (
    ineligibility,
    is_available,
    local_datetime,
    term_bounds,
    week_bounds,
)
from huxue.roster.swaps import assignment_add

INELIGIBLE = {
    "void": gettext_lazy("This member's record has been voided."),
    "not_vetted": gettext_lazy(
        "Only members who have passed the background check can take shifts."
    ),
    "not_trained": gettext_lazy(
        "Only trained members can take shifts; the training has not been done or has expired."
    ),
    "group_not_needed": gettext_lazy("This shift needs no one of your force group."),
}


@transaction.atomic
def shifts_generate(
    *, actor: Any, posts: Iterable[Post], start: dt.date, end: dt.date
) -> tuple[int, int]:
    """Turn each post's windows on each school day into shifts; re-running adds only what is new."""
    if end < start:
        raise ValidationError(_("The end date is before the start date."))
    created = existing = 0
    for post in posts:
        requirements = {r.group: r.minimum for r in post.requirements.all()}
        try:
            dates = shift_dates(post, start, end)
        except CalendarYearUnknown as exc:
            raise ValidationError(str(exc)) from exc
        for day, window in dates:
            _shift, made = Shift.objects.get_or_create(
                post=post,
                day=day,
                start=window.start,
                defaults={
                    "end": window.end,
                    "starts_at": local_datetime(day, window.start),
                    "ends_at": local_datetime(day, window.end),
                    "requirements": requirements,
                },
            )
            created += made
            existing += not made
    audit.record(
        action="shifts.generate",
        actor=actor,
        object_type="roster.shift",
        detail={
            "from": start.isoformat(),
            "to": end.isoformat(),
            "created": created,
            "existing": existing,
        },
    )
    return created, existing


@transaction.atomic
def availability_set(
    *, actor: Any, person: Person, windows: list[tuple[int, dt.time, dt.time]]
) -> None:
    """Replace a member's weekly availability."""
    for weekday, start, end in windows:
        if not 0 <= weekday <= 6 or end <= start:
            raise ValidationError(_("Each available time must end after it starts."))
    person.availability.all().delete()
    Availability.objects.bulk_create(
        [Availability(person=person, weekday=d, start=s, end=e) for d, s, e in windows]
    )
    audit.record(
        action="availability.set", actor=actor, obj=person, detail={"windows": len(windows)}
    )


@transaction.atomic
def availability_exception_set(
    *, actor: Any, person: Person, day: dt.date, available: bool, note: str = ""
) -> AvailabilityException:
    exception, _created = AvailabilityException.objects.update_or_create(
        person=person, day=day, defaults={"available": available, "note": note[:100]}
    )
    audit.record(
        action="availability.exception",
        actor=actor,
        obj=person,
        detail={"day": day.isoformat(), "available": available},
    )
    return exception


@transaction.atomic
def availability_exception_delete(*, actor: Any, exception: AvailabilityException) -> None:
    """Remove one of a member's special dates: the weekly pattern holds on that day again.

    The caller finds ``exception`` among the member's own (``availability_of``), so another
    member's date is "not found" before it gets here."""
    person, day, available = exception.person, exception.day, exception.available
    exception.delete()
    audit.record(
        action="availability.exception_delete",
        actor=actor,
        obj=person,
        detail={"day": day.isoformat(), "available": available},
    )


def _live_commitments(person_ids: list[int]) -> Q:
    """Shifts the people are signed up for or assigned to (either counts once)."""
    return Q(signups__person_id__in=person_ids, signups__withdrawn_at__isnull=True) | Q(
        assignments__person_id__in=person_ids, assignments__dropped_at__isnull=True
    )


def _committed_shifts(person_ids: list[int], start: dt.date, end: dt.date) -> list[Shift]:
    return list(
        Shift.objects.filter(
            _live_commitments(person_ids), day__gte=start, day__lte=end, cancelled_at__isnull=True
        )
        .distinct()
        .order_by("starts_at")
    )


@transaction.atomic
def signup_create(*, actor: Any, person: Person, shift: Shift) -> SignUp:
    """A member offers to take a shift; every rule is checked and said in words they can act on."""
    Person.objects.select_for_update().filter(
        pk=person.pk
    ).first()  # serialise this member's sign-ups
    if person.family_id:
        Person.objects.select_for_update().filter(family_id=person.family_id).exists()
    if shift.cancelled_at is not None or shift.starts_at <= timezone.now():
        raise ValidationError(_("This shift is no longer open for sign-up."), code="closed")
    reason = ineligibility(person, shift)
    if reason:
        raise ValidationError(INELIGIBLE[reason], code=reason)
    if SignUp.objects.filter(person=person, shift=shift, withdrawn_at__isnull=True).exists():
        raise ValidationError(_("You have already signed up for this shift."), code="duplicate")
    if not is_available(person, shift):
        raise ValidationError(
            _(
                "This shift is outside the times you said you are available; change your availability first."
            ),
            code="unavailable",
        )
    monday, sunday = week_bounds(shift.day)
    week = _committed_shifts([person.pk], monday, sunday)
    if any(s.starts_at < shift.ends_at and shift.starts_at < s.ends_at for s in week):
        raise ValidationError(_("You already have a shift at that time."), code="overlap")
    rules = rulesets.nearest(CityRules, shift.post.school.unit.region)
    if len(week) >= rules.shifts_per_member_week:
        raise ValidationError(
            ngettext(
                "You already have %(n)d shift that week, the most a member may take.",
                "You already have %(n)d shifts that week, the most a member may take.",
                len(week),
            )
            % {"n": len(week)},
            code="member_cap",
        )
    if person.family_id:
        term = term_bounds(shift)
        if term is not None:
            family_ids = list(
                Person.objects.filter(family_id=person.family_id).values_list("pk", flat=True)
            )
            taken = len(_committed_shifts(family_ids, *term))
            if taken >= rules.shifts_per_family_term:
                raise ValidationError(
                    ngettext(
                        "Your family has already taken %(n)d shift this term, the most one family is "
                        "asked to do. Thank you!",
                        "Your family has already taken %(n)d shifts this term, the most one family is "
                        "asked to do. Thank you!",
                        taken,
                    )
                    % {"n": taken},
                    code="family_cap",
                )
    signup = SignUp.objects.create(person=person, shift=shift, reserve=slot_full(shift, person))
    audit.record(
        action="signup.create",
        actor=actor,
        obj=signup,
        detail={"shift": shift.pk, "person": person.pk, "reserve": signup.reserve},
    )
    return signup


def slot_full(shift: Shift, person: Person) -> bool:
    """Whether the planned roster already fills the shift's slots of the member's force group:
    a sign-up then is a reserve (候补)."""
    group = person.force_group
    have = Assignment.objects.planned().filter(shift=shift, group=group).count()
    return have >= int(shift.requirements.get(group, 0))


def _undecided(signup: SignUp) -> SignUp:
    locked = SignUp.objects.select_for_update(of=("self",)).select_related(
        "person__user", "shift__post"
    )
    found = locked.get(pk=signup.pk)
    if found.withdrawn_at is not None:
        raise ValidationError(_("The member has withdrawn this sign-up."), code="withdrawn")
    if found.status != SignUp.Status.PENDING:
        raise ValidationError(_("This sign-up has already been answered."), code="decided")
    return found


@transaction.atomic
def signup_accept(*, actor: Any, signup: SignUp) -> SignUp:
    """The lead says yes: the member goes on the planned roster (locked, so no solve takes them
    off) and sees the shift once the week is published."""
    signup = _undecided(signup)
    assignment_add(
        actor=actor,
        shift=signup.shift,
        person=signup.person,
        source=Assignment.Source.SIGNUP,
        locked=True,
    )
    signup.status = SignUp.Status.ACCEPTED
    signup.decided_at = timezone.now()
    signup.save(update_fields=["status", "decided_at", "updated_at"])
    audit.record(action="signup.accept", actor=actor, obj=signup)
    return signup


@transaction.atomic
def signup_decline(*, actor: Any, signup: SignUp) -> SignUp:
    """The lead says no, thanks: the member is told."""
    access.require(actor, "write", signup.shift)
    signup = _undecided(signup)
    signup.status = SignUp.Status.DECLINED
    signup.decided_at = timezone.now()
    signup.save(update_fields=["status", "decided_at", "updated_at"])
    if signup.person.user is not None:
        notify_enqueue(
            dedupe_key=f"signup:{signup.pk}:declined",
            kind="roster.changed",
            user=signup.person.user,
            subject=_("Your sign-up was not needed this time"),
            body=_(
                "The roster for %(when)s at %(post)s is full without you this time. Thank you "
                "for offering!"
            )
            % {
                "when": timezone.localtime(signup.shift.starts_at).strftime("%m-%d %H:%M"),
                "post": signup.shift.post,
            },
            payload={"shift": signup.shift_id},
        )
    audit.record(action="signup.decline", actor=actor, obj=signup)
    return signup


def withdraw_deadline(shift: Shift) -> dt.datetime:
    rules = rulesets.nearest(CityRules, shift.post.school.unit.region)
    return shift.starts_at - dt.timedelta(hours=rules.withdraw_cutoff_hours)


@transaction.atomic
def signup_withdraw(*, actor: Any, signup: SignUp) -> SignUp:
    """Withdraw before the cut-off; later, only the school lead can release a member."""
    if signup.withdrawn_at is not None:
        return signup
    deadline = withdraw_deadline(signup.shift)
    if timezone.now() > deadline:
        raise ValidationError(
            _(
                "It is too late to withdraw online (the cut-off was %(when)s). Please tell your "
                "school's security lead so that someone can take your place."
            )
            % {"when": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
            code="cutoff",
        )
    signup.withdrawn_at = timezone.now()
    signup.save(update_fields=["withdrawn_at", "updated_at"])
    # The member's own word takes effect at once, in the plan and in what is published.
    dropped = (
        Assignment.objects.planned()
        .filter(shift=signup.shift, person=signup.person)
        .update(
            dropped_at=signup.withdrawn_at,
            drop_reason="withdrawn",
            published=False,
            updated_at=signup.withdrawn_at,
        )
    )
    if dropped:
        notify_cancel(key_prefix=reminder_prefix(signup.shift_id, signup.person_id))
    audit.record(
        action="signup.withdraw",
        actor=actor,
        obj=signup,
        detail={"assignment_dropped": bool(dropped)},
    )
    return signup


@transaction.atomic
def calendar_feed_issue(*, actor: Any, person: Person) -> CalendarFeed:
    """Create or replace a member's private iCal address (the old one stops working)."""
    feed, _created = CalendarFeed.objects.update_or_create(
        person=person, defaults={"token": secrets.token_urlsafe(32)}
    )
    audit.record(action="calendar_feed.issue", actor=actor, obj=person)
    return feed


def city_rules_save(*, actor: Any, region: Region, values: dict[str, Any]) -> CityRules:
    """Set a region's rostering rules (they apply to it and the regions under it)."""
    saved: CityRules = ruleset_save(
        model=CityRules, actor=actor, region=region, values=values, action="roster.rules.save"
    )
    return saved
