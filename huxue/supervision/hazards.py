"""Hazards (隐患) and their rectification (整改): reporting, the steps of the loop, escalation.

``STEPS`` is the one table of who may take which step from which state. A step is refused:
- with 404 when the hazard is outside the actor's scope (as every record out of scope is);
- with ``ValidationError`` when the actor's role may not take it, or what it needs is missing;
- with ``HazardConflict`` (HTTP 409 in the API) when the hazard is no longer in the state and
  version the actor saw — another user has moved it on, or two acted at once: the update is
  conditional on the version, so exactly one of them wins and the other writes nothing.

A step, its ``HazardStep`` row, its audit line, its photos and its messages are one transaction.
A 重大隐患 (major hazard) tells the city's police bureau at once; an assigned hazard tells its
responsible unit; an overdue one is escalated once to the next unit up (``hazards_escalate``,
run by ``duty_watch``), with a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from huxue.core import audit
from huxue.files.models import Photo
from huxue.files.services import photo_attach
from huxue.notify.services import notify_enqueue, notify_enqueue_units
from huxue.orgs import access, roles
from huxue.orgs.models import Membership, Unit
from huxue.orgs.roles import Role
from huxue.posts.models import Post, School
from huxue.supervision.models import Hazard, HazardStep, RoundAnswer
from huxue.supervision.notices import notice_issue

State = Hazard.State
RESPONSIBLE = "responsible"  # the members of the hazard's responsible unit, whatever their role
_OVERSEERS = frozenset({Role.BUREAU, Role.STATION, Role.EDUCATION})
_CHECKERS = _OVERSEERS | {Role.INSPECTOR}


class HazardConflict(Exception):
    """The hazard is no longer as the actor saw it. ``str()`` is the message for the user."""


@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str] | str
    note_required: bool = False


STEPS: dict[str, Step] = {
    "assign": Step((State.REPORTED,), State.ASSIGNED, _OVERSEERS),
    "start": Step((State.ASSIGNED,), State.RECTIFYING, RESPONSIBLE),
    "submit": Step((State.RECTIFYING,), State.SUBMITTED, RESPONSIBLE, note_required=True),
    "send_back": Step((State.SUBMITTED,), State.RECTIFYING, _CHECKERS, note_required=True),
    "verify": Step((State.SUBMITTED,), State.VERIFIED, _CHECKERS),
    "close": Step((State.VERIFIED,), State.CLOSED, _OVERSEERS),
}


def step_names() -> dict[str, str]:
    return {
        "report": _("Reported"),
        "assign": _("Assigned"),
        "start": _("Rectification started"),
        "submit": _("Rectification submitted"),
        "send_back": _("Sent back"),
        "verify": _("Verified"),
        "close": _("Closed"),
    }


def step_actions() -> dict[str, str]:
    """What the button of each step says."""
    return {
        "assign": pgettext("hazard step", "Assign"),
        "start": pgettext("hazard step", "Start rectifying"),
        "submit": pgettext("hazard step", "Submit the rectification"),
        "send_back": pgettext("hazard step", "Send back"),
        "verify": pgettext("hazard step", "Verify"),
        "close": pgettext("hazard step", "Close"),
    }


def _members_of(unit: Unit | None, user: Any) -> bool:
    return unit is not None and any(m.unit_id == unit.pk for m in access.memberships(user))


def may_take(user: Any, hazard: Hazard, name: str) -> bool:
    """Whether ``user`` may take step ``name`` on ``hazard`` now (its state included)."""
    step = STEPS.get(name)
    if step is None or hazard.state not in step.sources:
        return False
    if not access.can(user, "write", hazard):
        return False
    if step.roles == RESPONSIBLE:
        return _members_of(hazard.responsible, user)
    if name in ("verify", "send_back") and _members_of(hazard.responsible, user):
        return False  # a unit does not check its own rectification
    return bool(access.roles_of(user) & step.roles)  # type: ignore[operator]


def schools_for_hazards(actor: Any) -> Any:
    return School.objects.filter(access.scope(actor, "write", School, as_type="hazard"))


def _bureau_of(school: School) -> Unit | None:
    unit: Unit | None = school.station
    while unit is not None and unit.kind != Unit.Kind.BUREAU:
        unit = unit.parent
    return unit


def _tell_unit(unit: Unit, *, key: str, subject: str, body: str, hazard: Hazard) -> None:
    """A unit's channels and the accounts that hold a role on it."""
    payload = {
        "hazard": hazard.pk,
        "url": settings.HUXUE_BASE_URL.rstrip("/")
        + reverse("supervision:hazard", args=[hazard.pk]),
    }
    notify_enqueue_units(
        units=[unit], dedupe_key=key, kind="hazard", subject=subject, body=body, payload=payload
    )
    # The unit's officers and leads, not its duty members: those whose role works on hazards.
    users = {
        m.user
        for m in Membership.objects.filter(unit=unit, user__is_active=True).select_related("user")
        if roles.allows(m.role, "hazard", "write")
    }
    for user in sorted(users, key=lambda u: u.pk):
        notify_enqueue(
            user=user,
            dedupe_key=f"{key}:user:{user.pk}",
            kind="hazard",
            subject=subject,
            body=body,
            payload=payload,
        )


def _attach(actor: Any, photos: Iterable[Photo], step: HazardStep) -> None:
    photos = list(photos)
    if photos:
        photo_attach(actor=actor, photos=photos, owner=step)


def hazard_report(
    *,
    actor: Any,
    school: School,
    title: str,
    category: str,
    grade: str,
    description: str = "",
    post: Post | None = None,
    answer: RoundAnswer | None = None,
    photos: Iterable[Photo] = (),
    now: dt.datetime | None = None,
) -> Hazard:
    """Report a hazard at a school in the actor's scope; a major one tells the bureau at once."""
    if not schools_for_hazards(actor).filter(pk=school.pk).exists():
        raise Http404
    errors = []
    if not title.strip():
        errors.append(_("Say what the hazard is."))
    if category not in Hazard.Category.values:
        errors.append(_("Choose a category."))
    if grade not in Hazard.Grade.values:
        errors.append(_("Choose the grade: 一般隐患 or 重大隐患."))
    if post is not None and post.school_id != school.pk:
        errors.append(_("The post is not at this school."))
    if errors:
        raise ValidationError(errors)
    moment = now or timezone.now()
    with transaction.atomic():
        hazard = Hazard.objects.create(
            school=school,
            post=post,
            title=title.strip(),
            description=description.strip(),
            category=category,
            grade=grade,
            reported_by=actor,
            reported_at=moment,
            answer=answer,
        )
        step = HazardStep.objects.create(
            hazard=hazard,
            step="report",
            to_state=State.REPORTED,
            actor=actor,
            at=moment,
            note=description.strip(),
            version=1,
        )
        _attach(actor, photos, step)
        audit.record(
            action="supervision.hazard.report",
            actor=actor,
            obj=hazard,
            detail={"school": school.pk, "grade": grade, "category": category},
        )
        bureau = _bureau_of(school)
        if grade == Hazard.Grade.MAJOR and bureau is not None:
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Major hazard reported: %(school)s") % {"school": school}
                body = _("%(school)s: %(title)s. Reported %(at)s.") % {
                    "school": school,
                    "title": hazard.title,
                    "at": timezone.localtime(moment).strftime("%Y-%m-%d %H:%M"),
                }
            _tell_unit(
                bureau, key=f"hazard:{hazard.pk}:major", subject=subject, body=body, hazard=hazard
            )
    return hazard


def _refuse_role(hazard: Hazard, name: str) -> ValidationError:
    return ValidationError(
        _("Your role may not take this step (%(step)s) on this hazard.")
        % {"step": step_names().get(name, name)},
        code="not_allowed",
    )


def hazard_step(
    *,
    actor: Any,
    hazard: Hazard,
    step: str,
    version: int,
    note: str = "",
    responsible: Unit | None = None,
    deadline: dt.date | None = None,
    requirement: str = "",
    photos: Iterable[Photo] = (),
    now: dt.datetime | None = None,
) -> Hazard:
    """Take one step of the loop on the hazard as the actor saw it (``version``)."""
    rule = STEPS.get(step)
    if rule is None:
        raise ValidationError(_("There is no such step."), code="unknown_step")
    if not access.can(actor, "read", hazard):
        raise Http404
    current = Hazard.objects.select_related("responsible").get(pk=hazard.pk)
    if current.version != version:
        raise HazardConflict(_conflict_text(current))
    if current.state not in rule.sources:
        raise HazardConflict(
            _("“%(step)s” cannot be taken now: the hazard is “%(state)s”.")
            % {"step": step_names()[step], "state": current.get_state_display()}
        )
    if not may_take(actor, current, step):
        raise _refuse_role(current, step)
    note = note.strip()
    if rule.note_required and not note:
        raise ValidationError(_("Say what was done, or why it is sent back."), code="note")
    fields: dict[str, Any] = {}
    moment = now or timezone.now()
    if step == "assign":
        allowed = {current.school.unit_id, current.school.station_id}
        if responsible is None or responsible.pk not in allowed:
            raise ValidationError(
                _("Assign it to the school or to its police station."), code="responsible"
            )
        if deadline is None or deadline < timezone.localdate(moment):
            raise ValidationError(_("Set a deadline from today on."), code="deadline")
        fields.update(responsible=responsible, deadline=deadline, requirement=requirement.strip())
    if step == "close":
        fields["closed_at"] = moment
    with transaction.atomic():
        moved = Hazard.objects.filter(
            pk=current.pk, version=version, state__in=rule.sources
        ).update(state=rule.target, version=F("version") + 1, updated_at=moment, **fields)
        if not moved:  # another user acted between our read and this write
            raise HazardConflict(_conflict_text(Hazard.objects.get(pk=current.pk)))
        row = HazardStep.objects.create(
            hazard=current,
            step=step,
            from_state=current.state,
            to_state=rule.target,
            actor=actor,
            at=moment,
            note=note,
            version=version + 1,
        )
        _attach(actor, photos, row)
        audit.record(
            action=f"supervision.hazard.{step}",
            actor=actor,
            obj=current,
            detail={"from": current.state, "to": rule.target, "version": version + 1},
        )
        done = Hazard.objects.select_related(
            "school__unit__region", "school__station", "responsible"
        ).get(pk=current.pk)
        if step == "assign":
            notice_issue(actor=actor, hazard=done, now=moment)
        if step == "assign" and done.responsible is not None:
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Hazard to rectify: %(title)s") % {"title": done.title}
                body = _("%(school)s: %(title)s. Rectify by %(deadline)s.") % {
                    "school": done.school,
                    "title": done.title,
                    "deadline": done.deadline,
                }
            _tell_unit(
                done.responsible,
                key=f"hazard:{done.pk}:assign:{done.version}",
                subject=subject,
                body=body,
                hazard=done,
            )
    return done


def _conflict_text(hazard: Hazard) -> str:
    last = hazard.steps.select_related("actor").order_by("-version").first()
    if last is None or last.actor is None:
        return _("This hazard has changed since you opened it. Reload it and try again.")
    return _(
        "This hazard has changed since you opened it: it is now “%(state)s” (%(who)s, %(at)s). "
        "Reload it and try again."
    ) % {
        "state": hazard.get_state_display(),
        "who": last.actor,
        "at": timezone.localtime(last.at).strftime("%Y-%m-%d %H:%M"),
    }


def next_unit_up(hazard: Hazard) -> Unit | None:
    """Who an overdue hazard goes to: a school's to its police station, any other unit's to its
    parent."""
    unit = hazard.responsible
    if unit is None:
        return None
    if unit.kind == Unit.Kind.SCHOOL:
        return hazard.school.station
    return unit.parent


def hazards_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate, once each, the hazards past their deadline and not yet rectified."""
    moment = now or timezone.now()
    overdue = Hazard.objects.filter(
        Q(state__in=(State.ASSIGNED, State.RECTIFYING)),
        deadline__lt=timezone.localdate(moment),
        escalated_at__isnull=True,
        responsible__isnull=False,
    ).select_related("responsible", "school__station")
    done = 0
    for hazard in overdue:
        up = next_unit_up(hazard)
        if up is None:
            continue
        with transaction.atomic():
            if not Hazard.objects.filter(pk=hazard.pk, escalated_at__isnull=True).update(
                escalated_to=up, escalated_at=moment
            ):
                continue  # another process escalated it
            audit.record(
                action="supervision.hazard.escalate",
                obj=hazard,
                detail={
                    "from": hazard.responsible_id,
                    "to": up.pk,
                    "deadline": str(hazard.deadline),
                },
            )
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Hazard overdue: %(title)s") % {"title": hazard.title}
                body = _(
                    "%(school)s: %(title)s was due by %(deadline)s and %(unit)s has not "
                    "rectified it."
                ) % {
                    "school": hazard.school,
                    "title": hazard.title,
                    "deadline": hazard.deadline,
                    "unit": hazard.responsible,
                }
            _tell_unit(
                up, key=f"hazard:{hazard.pk}:escalate", subject=subject, body=body, hazard=hazard
            )
        done += 1
    return done
