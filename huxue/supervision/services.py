"""Inspection rounds: start one at a post, answer it item by item, submit it — or, from a phone
that was offline, send the whole round at once under its idempotency key.

Who may: a round is written by those whose role may write inspection rounds at that post
(``access.py``): inspectors in their area, station officers and bureaus in theirs, a school's
security lead at its own school (a self-check, 学校自查). Only the round's own inspector answers
and submits it. 查到岗 is answered here, from the roster and the check-ins at the round's moment,
by the same rules the gap alerts use (``on_duty_counts``, ``shortfall``).

Every write is one transaction with its audit line.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from huxue.core import audit
from huxue.duty.alerts.selectors import on_duty_counts, shortfall
from huxue.orgs import access
from huxue.orgs.roles import Role
from huxue.people.forces import GROUP_LABELS
from huxue.posts.models import Post
from huxue.roster.models import Shift
from huxue.supervision.checklists import checklist_for
from huxue.supervision.models import ChecklistItem, InspectionRound, RoundAnswer
from huxue.supervision.scoring import round_score

Result = RoundAnswer.Result


@dataclass(frozen=True)
class Attendance:
    """查到岗 at a moment: the shift's needs and who was on duty, by force group."""

    expected: dict[str, int]
    present: dict[str, int]
    result: str
    note: str


def attendance_at(post: Post, moment: dt.datetime) -> Attendance:
    shift = (
        Shift.objects.filter(
            post=post, cancelled_at__isnull=True, starts_at__lte=moment, ends_at__gt=moment
        )
        .order_by("starts_at")
        .first()
    )
    if shift is None:
        return Attendance({}, {}, Result.NA, _("No duty window is running at this post now."))
    expected = {group: int(n) for group, n in shift.requirements.items() if int(n) > 0}
    present = on_duty_counts([shift.pk], at=moment).get(shift.pk, {})
    missing = shortfall(expected, present)
    need, here = sum(expected.values()), sum(min(present.get(g, 0), n) for g, n in expected.items())
    note = _("%(here)d of %(need)d on duty in the window %(start)s–%(end)s.") % {
        "here": here,
        "need": need,
        "start": f"{shift.start:%H:%M}",
        "end": f"{shift.end:%H:%M}",
    }
    if missing:
        short = "、".join(
            f"{GROUP_LABELS.get(group, group)} {n}" for group, n in sorted(missing.items())
        )
        note += " " + _("Missing: %(short)s.") % {"short": short}
    return Attendance(expected, dict(present), Result.FAIL if missing else Result.PASS, note)


def posts_for_rounds(actor: Any) -> Any:
    """The posts where the actor may start a round."""
    return Post.objects.live().filter(access.scope(actor, "write", Post, as_type="inspectionround"))


_INSPECTING = frozenset({Role.INSPECTOR, Role.STATION, Role.BUREAU})


def round_kind_for(actor: Any) -> str:
    """The kind of round the actor makes from the page: a school lead who does not also inspect
    makes self-checks; everyone else inspects."""
    held = access.roles_of(actor)
    if Role.SCHOOL_LEAD in held and not held & _INSPECTING:
        return InspectionRound.Kind.SELF
    return InspectionRound.Kind.INSPECTION


def _kind_allowed(actor: Any, kind: str) -> bool:
    """A school checks itself (学校自查); inspectors, stations and bureaus inspect."""
    held = access.roles_of(actor)
    if kind == InspectionRound.Kind.SELF:
        return Role.SCHOOL_LEAD in held
    return kind in InspectionRound.Kind.values and bool(held & _INSPECTING)


def round_start(
    *,
    actor: Any,
    post: Post,
    kind: str = InspectionRound.Kind.INSPECTION,
    at: dt.datetime | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    accuracy: float | None = None,
    client_key: uuid.UUID | None = None,
) -> InspectionRound:
    """A new round at ``post`` with the checklist of its region, 查到岗 already answered. A
    client key that made a round already returns that round (a retry from the phone)."""
    if client_key is not None:
        done = InspectionRound.objects.filter(client_key=client_key).first()
        if done is not None:
            if done.inspector_id != actor.pk:
                raise Http404
            return done
    if not posts_for_rounds(actor).filter(pk=post.pk).exists():
        raise Http404
    if not _kind_allowed(actor, kind):
        raise ValidationError(
            _(
                "A school's security lead makes self-checks; inspections are made by "
                "inspectors, police stations and bureaus."
            )
        )
    moment = at or timezone.now()
    template = checklist_for(post.school.unit.region)
    attendance = attendance_at(post, moment)
    try:
        with transaction.atomic():
            round_ = InspectionRound.objects.create(
                post=post,
                template=template,
                inspector=actor,
                kind=kind,
                at=moment,
                latitude=latitude,
                longitude=longitude,
                accuracy=accuracy,
                client_key=client_key,
                expected=attendance.expected,
                present=attendance.present,
            )
            RoundAnswer.objects.bulk_create(
                RoundAnswer(
                    round=round_,
                    item=item,
                    result=attendance.result if item.auto == ChecklistItem.Auto.ATTENDANCE else "",
                    note=attendance.note if item.auto == ChecklistItem.Auto.ATTENDANCE else "",
                )
                for item in template.items.all()
            )
            audit.record(
                action="supervision.round.start",
                actor=actor,
                obj=round_,
                detail={"post": post.pk, "kind": kind, "checklist": template.pk},
            )
    except IntegrityError:
        if client_key is None:
            raise
        # The same key sent twice at once: the other request made the round.
        return round_start(actor=actor, post=post, kind=kind, at=at, client_key=client_key)
    return round_


def _own_open_round(actor: Any, round_: InspectionRound) -> InspectionRound:
    locked = (
        InspectionRound.objects.select_for_update().filter(pk=round_.pk, inspector=actor).first()
    )
    if locked is None:
        raise Http404
    if locked.status != InspectionRound.Status.OPEN:
        raise ValidationError(_("This round has been submitted; it can no longer be changed."))
    return locked


def round_answer(
    *, actor: Any, round: InspectionRound, item: ChecklistItem, result: str, note: str = ""
) -> RoundAnswer:
    """Answer one item of the actor's own open round."""
    if result not in Result.values:
        raise ValidationError(_("Answer pass, fail or not applicable."))
    with transaction.atomic():
        locked = _own_open_round(actor, round)
        answer = RoundAnswer.objects.filter(round=locked, item=item).select_related("item").first()
        if answer is None:
            raise Http404
        if answer.item.auto:
            raise ValidationError(
                _("%(item)s is answered from the roster and the check-ins.")
                % {"item": answer.item.title}
            )
        answer.result, answer.note = result, note.strip()
        answer.full_clean()
        answer.save(update_fields=["result", "note"])
        audit.record(
            action="supervision.round.answer",
            actor=actor,
            obj=locked,
            detail={"item": item.title, "result": result},
        )
    return answer


def _check_complete(answers: list[RoundAnswer]) -> None:
    missing = [a.item.title for a in answers if not a.result]
    if missing:
        raise ValidationError(
            _("Answer every item before submitting: %(items)s.") % {"items": "、".join(missing)}
        )
    unexplained = [a.item.title for a in answers if a.result == Result.FAIL and not a.note]
    if unexplained:
        raise ValidationError(
            _("Say what was wrong for each failed item: %(items)s.")
            % {"items": "、".join(unexplained)}
        )


def round_submit(
    *, actor: Any, round: InspectionRound, now: dt.datetime | None = None
) -> InspectionRound:
    """Submit the actor's own open round: every item answered, a note on every failure."""
    with transaction.atomic():
        locked = _own_open_round(actor, round)
        answers = list(locked.answers.select_related("item"))
        _check_complete(answers)
        locked.score = round_score((a.result, a.item.weight) for a in answers)
        locked.status = InspectionRound.Status.SUBMITTED
        locked.submitted_at = now or timezone.now()
        locked.save(update_fields=["score", "status", "submitted_at", "updated_at"])
        audit.record(
            action="supervision.round.submit",
            actor=actor,
            obj=locked,
            detail={
                "score": str(locked.score) if locked.score is not None else None,
                "failed": [a.item.title for a in answers if a.result == Result.FAIL],
            },
        )
    return locked


def round_record(
    *,
    actor: Any,
    post: Post,
    at: dt.datetime,
    answers: dict[int, tuple[str, str]],
    client_key: uuid.UUID,
    kind: str = InspectionRound.Kind.INSPECTION,
    latitude: float | None = None,
    longitude: float | None = None,
    accuracy: float | None = None,
) -> InspectionRound:
    """A whole round from a phone's offline queue: started at ``at``, answered (item id →
    result and note) and submitted in one transaction. Sent again with the same key, it returns
    the round it made and changes nothing; a round refused leaves nothing behind."""
    existing = InspectionRound.objects.filter(client_key=client_key).first()
    if existing is not None:
        if existing.inspector_id != actor.pk:
            raise Http404
        return existing
    with transaction.atomic():
        round_ = round_start(
            actor=actor,
            post=post,
            kind=kind,
            at=at,
            latitude=latitude,
            longitude=longitude,
            accuracy=accuracy,
            client_key=client_key,
        )
        if round_.status == InspectionRound.Status.SUBMITTED:
            return round_  # the same key, sent at the same moment by a retry, made it
        items = {item.pk: item for item in round_.template.items.all()}
        unknown = set(answers) - set(items)
        if unknown:
            raise ValidationError(
                _("An answer names an item that is not on this round's checklist.")
            )
        for pk, (result, note) in answers.items():
            if not items[pk].auto:
                round_answer(actor=actor, round=round_, item=items[pk], result=result, note=note)
        return round_submit(actor=actor, round=round_)
