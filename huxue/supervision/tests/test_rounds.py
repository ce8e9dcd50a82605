"""三查三看 checklists and inspection rounds (issue 17, items 1 and 2): versioned checklists a
city may edit, rounds started at a post with 查到岗 answered from the roster and check-ins,
answered and submitted by their own inspector, scored from the weights, sent whole from an
offline phone under an idempotency key, and written only where the role and the scope allow."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from huxue.core.models import AuditEvent
from huxue.duty.checkin.services import check_in
from huxue.duty.models import CheckIn
from huxue.orgs import access
from huxue.supervision.checklists import (
    DEFAULT_ITEMS,
    ItemSpec,
    checklist_for,
    checklist_save,
    items_of,
)
from huxue.supervision.models import ChecklistItem, InspectionRound, RoundAnswer, Section
from huxue.supervision.scoring import round_score
from huxue.supervision.services import (
    round_answer,
    round_record,
    round_start,
    round_submit,
)
from huxue.testing import ROSTER_MONDAY, City, local_at, make_person, make_shift

pytestmark = pytest.mark.django_db
AT = local_at(ROSTER_MONDAY, 7, 20)  # inside the 07:00–08:00 window


def by_title(round_: InspectionRound) -> dict[str, RoundAnswer]:
    return {a.item.title: a for a in round_.answers.select_related("item")}


def answer_all(actor, round_: InspectionRound, *, fail: str = "") -> None:  # type: ignore[no-untyped-def]
    for title, answer in by_title(round_).items():
        if answer.item.auto:
            continue
        if title == fail:
            round_answer(
                actor=actor, round=round_, item=answer.item, result="fail", note="护栏倒伏"
            )
        else:
            round_answer(actor=actor, round=round_, item=answer.item, result="pass")


# --- checklists -----------------------------------------------------------------------------


def test_the_default_checklist_is_the_three_checks_and_three_looks(city: City) -> None:
    checklist = checklist_for(city.xinxing)
    assert checklist.region is None and checklist.version == 1
    items = list(checklist.items.all())
    assert [i.title for i in items] == ["查到岗", "查装备", "查台账", "看秩序", "看设施", "看处置"]
    assert [i.section for i in items] == ["check"] * 3 + ["look"] * 3
    assert all(i.guidance for i in items) and items[0].auto == "attendance"
    assert checklist_for(city.taoshan) == checklist  # one default, written once


def test_a_city_edits_its_checklist_as_a_new_version_and_rounds_keep_theirs(city: City) -> None:
    bureau = city.users["city_admin"]
    before = round_start(actor=city.users["inspector"], post=city.post_a1, at=AT)
    items = [
        *items_of(checklist_for(city.city)),
        ItemSpec(Section.LOOK, "看标识", "警示标识是否清晰", 1),
    ]
    mine = checklist_save(actor=bureau, region=city.city, name="三查三看（七台河）", items=items)
    assert mine.version == 1 and mine.region == city.city
    assert checklist_for(city.xinxing) == mine  # the district follows its city
    again = checklist_save(
        actor=bureau, region=city.city, name="三查三看（七台河）", items=items[:-1]
    )
    assert again.version == 2 and checklist_for(city.xinxing) == again
    # The round started before keeps the six questions it was asked.
    assert before.template.region is None and before.answers.count() == len(DEFAULT_ITEMS)
    assert AuditEvent.objects.filter(action="supervision.checklist.save").count() == 2


def test_only_a_bureau_sets_a_checklist_and_only_a_sound_one(city: City) -> None:
    items = items_of(checklist_for(city.city))
    for who in ("station_officer", "education", "school_lead", "inspector", "volunteer"):
        with pytest.raises(Http404):
            checklist_save(actor=city.users[who], region=city.city, name="x", items=items)
    bureau = city.users["city_admin"]
    bad = [
        [],
        [ItemSpec(Section.CHECK, "", "")],
        [ItemSpec(Section.CHECK, "查装备", ""), ItemSpec(Section.LOOK, "查装备", "")],
        [ItemSpec(Section.CHECK, "查装备", "", weight=0)],
        [ItemSpec("other", "查装备", "")],
        [
            ItemSpec(Section.CHECK, "a", "", auto="attendance"),
            ItemSpec(Section.CHECK, "b", "", auto="attendance"),
        ],
    ]
    for items in bad:
        with pytest.raises(ValidationError):
            checklist_save(actor=bureau, region=city.city, name="三查三看", items=items)
    assert checklist_for(city.city).region is None  # nothing was written


# --- 查到岗 from the roster and the check-ins ---------------------------------------------------


def test_attendance_is_answered_from_the_roster_and_the_check_ins_at_that_moment(
    city: City,
) -> None:
    make_shift(city.post_a1, requirements={"volunteer": 2})
    check_in(
        actor=city.users["school_lead"],
        person=city.person_a1,
        post=city.post_a1,
        method=CheckIn.Method.ROLLCALL,
        now=local_at(ROSTER_MONDAY, 7, 2),
    )
    short = round_start(actor=city.users["inspector"], post=city.post_a1, at=AT)
    attendance = by_title(short)["查到岗"]
    assert attendance.result == "fail" and "1" in attendance.note and "2" in attendance.note
    assert short.expected == {"volunteer": 2} and short.present == {"volunteer": 1}

    check_in(
        actor=city.users["school_lead"],
        person=make_person(city, unit=city.school_a1.unit, name="张三", force_type="parent"),
        post=city.post_a1,
        method=CheckIn.Method.ROLLCALL,
        now=local_at(ROSTER_MONDAY, 7, 25),
    )
    later = round_start(
        actor=city.users["inspector"], post=city.post_a1, at=local_at(ROSTER_MONDAY, 7, 30)
    )
    assert by_title(later)["查到岗"].result == "pass"
    quiet = round_start(
        actor=city.users["inspector"], post=city.post_a1, at=local_at(ROSTER_MONDAY, 12, 0)
    )
    assert by_title(quiet)["查到岗"].result == "na"


def test_attendance_cannot_be_typed(city: City) -> None:
    inspector = city.users["inspector"]
    round_ = round_start(actor=inspector, post=city.post_a1, at=AT)
    item = by_title(round_)["查到岗"].item
    with pytest.raises(ValidationError):
        round_answer(actor=inspector, round=round_, item=item, result="pass")


# --- answering, submitting, scoring ---------------------------------------------------------


def test_a_round_is_answered_submitted_and_scored_by_the_weights(city: City) -> None:
    make_shift(city.post_a1, requirements={"volunteer": 1})
    check_in(
        actor=city.users["school_lead"],
        person=city.person_a1,
        post=city.post_a1,
        method=CheckIn.Method.ROLLCALL,
        now=local_at(ROSTER_MONDAY, 7, 2),
    )
    inspector = city.users["inspector"]
    round_ = round_start(actor=inspector, post=city.post_a1, at=AT, latitude=45.77, longitude=131.0)
    with pytest.raises(ValidationError) as refused:
        round_submit(actor=inspector, round=round_)
    assert "查装备" in refused.value.messages[0]
    answer_all(inspector, round_, fail="看设施")
    done = round_submit(actor=inspector, round=round_)
    # Weights 3+2+1+2+2+2 = 12; 看设施 (2) failed: 10/12.
    assert done.status == "submitted" and done.score == Decimal("83.3")
    with pytest.raises(ValidationError):
        round_answer(actor=inspector, round=done, item=by_title(done)["看设施"].item, result="pass")
    actions = list(
        AuditEvent.objects.filter(action__startswith="supervision.round.").values_list(
            "action", flat=True
        )
    )
    assert actions[0] == "supervision.round.start" and actions[-1] == "supervision.round.submit"


def test_a_failed_item_needs_a_note(city: City) -> None:
    inspector = city.users["inspector"]
    round_ = round_start(actor=inspector, post=city.post_a1, at=AT)
    for answer in by_title(round_).values():
        if not answer.item.auto:
            round_answer(actor=inspector, round=round_, item=answer.item, result="fail")
    with pytest.raises(ValidationError) as refused:
        round_submit(actor=inspector, round=round_)
    assert "查装备" in refused.value.messages[0]
    assert InspectionRound.objects.get().status == "open"


def test_the_score_counts_only_items_judged() -> None:
    assert round_score([("pass", 3), ("fail", 1), ("na", 5)]) == Decimal("75.0")
    assert round_score([("na", 2)]) is None
    assert round_score([("pass", 1), ("pass", 2)]) == Decimal("100.0")
    assert round_score([("pass", 1), ("fail", 2)]) == Decimal("33.3")


def test_only_the_rounds_own_inspector_answers_it(city: City) -> None:
    round_ = round_start(actor=city.users["inspector"], post=city.post_a1, at=AT)
    item = by_title(round_)["查装备"].item
    for who in ("station_officer", "city_admin", "school_lead"):
        with pytest.raises(Http404):
            round_answer(actor=city.users[who], round=round_, item=item, result="pass")


# --- who may start a round where ------------------------------------------------------------


@pytest.mark.parametrize(
    "who,post,kind,outcome",
    [
        ("inspector", "post_a1", "inspection", "ok"),  # 新兴区 is the inspector's area
        ("inspector", "post_b1", "inspection", "404"),  # 桃山区 is not
        ("station_officer", "post_a1", "inspection", "ok"),
        ("station_officer", "post_b1", "inspection", "404"),
        ("city_admin", "post_b1", "spot", "ok"),
        ("school_lead", "post_a1", "self", "ok"),
        ("school_lead", "post_a1", "inspection", "refused"),  # a school checks itself
        ("school_lead", "post_b1", "self", "404"),
        ("inspector", "post_a1", "self", "refused"),
        ("education", "post_a1", "inspection", "404"),  # reads rounds, does not walk them
        ("volunteer", "post_a1", "self", "404"),
        ("auditor", "post_a1", "inspection", "404"),
    ],
)
def test_who_may_start_a_round_where(
    city: City, who: str, post: str, kind: str, outcome: str
) -> None:
    actor = city.users[who]
    if outcome == "ok":
        assert round_start(actor=actor, post=getattr(city, post), kind=kind, at=AT).kind == kind
        return
    with pytest.raises(Http404 if outcome == "404" else ValidationError):
        round_start(actor=actor, post=getattr(city, post), kind=kind, at=AT)
    assert not InspectionRound.objects.exists()


def test_rounds_are_read_within_scope(city: City) -> None:
    a1 = round_start(actor=city.users["station_officer"], post=city.post_a1, at=AT)
    b1 = round_start(actor=city.users["city_admin"], post=city.post_b1, at=AT)

    def readable(who: str) -> set[int]:
        return set(
            access.filter(city.users[who], "read", InspectionRound.objects.all()).values_list(
                "pk", flat=True
            )
        )

    assert readable("city_admin") == {a1.pk, b1.pk}
    assert readable("education") == {a1.pk, b1.pk}
    assert (
        readable("station_officer") == readable("school_lead") == readable("inspector") == {a1.pk}
    )
    assert readable("other_lead") == {b1.pk}
    assert readable("volunteer") == readable("auditor") == set()


# --- offline: a whole round sent later under its key ----------------------------------------


def test_an_offline_round_is_recorded_once_however_often_it_is_sent(city: City) -> None:
    inspector = city.users["inspector"]
    checklist = checklist_for(city.xinxing)
    answers = {
        item.pk: ("fail", "反光背心不足") if item.title == "查装备" else ("pass", "")
        for item in checklist.items.all()
        if not item.auto
    }
    key = uuid.uuid4()
    first = round_record(actor=inspector, post=city.post_a1, at=AT, answers=answers, client_key=key)
    again = round_record(actor=inspector, post=city.post_a1, at=AT, answers=answers, client_key=key)
    assert first.pk == again.pk and InspectionRound.objects.count() == 1
    assert first.status == "submitted" and first.at == AT
    assert by_title(first)["查装备"].note == "反光背心不足"
    # Someone else's key is nobody's business.
    with pytest.raises(Http404):
        round_record(
            actor=city.users["station_officer"],
            post=city.post_a1,
            at=AT,
            answers=answers,
            client_key=key,
        )


def test_an_offline_round_that_is_refused_leaves_nothing(city: City) -> None:
    inspector = city.users["inspector"]
    checklist = checklist_for(city.xinxing)
    incomplete = {
        item.pk: ("fail", "") for item in checklist.items.all() if not item.auto
    }  # failures without a note
    with pytest.raises(ValidationError):
        round_record(
            actor=inspector, post=city.post_a1, at=AT, answers=incomplete, client_key=uuid.uuid4()
        )
    assert not InspectionRound.objects.exists() and not RoundAnswer.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="supervision.round.").exists()


def test_items_keep_their_weights_and_order(city: City) -> None:
    checklist = checklist_for(city.xinxing)
    weights = list(
        ChecklistItem.objects.filter(template=checklist).values_list("weight", flat=True)
    )
    assert weights == [spec.weight for spec in DEFAULT_ITEMS]
