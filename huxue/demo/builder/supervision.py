"""Supervision in the demo city (issue 17, item 10).

History (the rollout to HISTORY_END): every post is inspected with the 三查三看 checklist about
once a month of school, at a moment inside one of its duty windows, so that 查到岗 is answered
from that window's roster and check-ins by the rule the app uses (``attendance_at``); most
items pass, a few fail. Exactly ``RECTIFIED`` (76, the source's figure) of the failures were
raised as hazards and went the whole loop — reported, assigned (with a numbered 整改通知书),
rectified, submitted, verified and closed — before HISTORY_END. The history is written in bulk,
as the duty history is, without messages (nobody is told today of a hazard closed in 2021).

Today: a handful of open hazards played through the services, messages and all — one just
reported, one assigned to the pilot school, one past its deadline and escalated, one waiting
for the inspector to verify — and the demo inspector's round of this week.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from huxue.demo import data
from huxue.demo.builder.history import HISTORY_END, ROLLOUT_FIRST, _Rows, reset_sequences
from huxue.orgs.models import Region, User
from huxue.posts.models import Post, School
from huxue.roster.models import Shift
from huxue.supervision.checklists import checklist_for
from huxue.supervision.hazards import hazard_report, hazard_step, hazards_escalate
from huxue.supervision.models import (
    Hazard,
    HazardStep,
    InspectionRound,
    NoticeSequence,
    RectificationNotice,
    RoundAnswer,
)
from huxue.supervision.notices import issuing_unit, notice_number
from huxue.supervision.scoring import round_score
from huxue.supervision.services import attendance_at, round_answer, round_start, round_submit

RECTIFIED = 76  # 整改校园内部安全隐患76处 (the source)
ROUND_EVERY_DAYS = 30
FAIL_RATE = 0.04
NA_RATE = 0.01

# What inspectors wrote when an item failed: (item, note, hazard title, category).
FAILURES: dict[str, list[tuple[str, str, str]]] = {
    "查装备": [
        ("两名志愿者未穿反光背心", "护学人员反光背心配备不足", "equipment"),
        ("防暴叉一把损坏", "防护器械损坏未更换", "equipment"),
    ],
    "查台账": [("本周值守记录未填写", "值守台账缺记", "staffing")],
    "看秩序": [
        ("放学时校门口车辆乱停，占用通道", "校门口车辆乱停占用通道", "traffic"),
        ("接送家长聚集在机动车道", "接送区设置不合理，家长聚集在机动车道", "traffic"),
    ],
    "看设施": [
        ("防冲撞护栏两节倒伏", "校门防冲撞护栏倒伏", "facilities"),
        ("校门口照明灯损坏", "校门口照明损坏", "facilities"),
        ("门卫室监控摄像头离线", "校门监控摄像头故障", "facilities"),
        ("隔离桩缺失一根", "校门隔离桩缺失", "facilities"),
    ],
    "看处置": [("一名新队员说不清遇突发情况的处置流程", "新队员应急处置培训不到位", "staffing")],
}


@dataclass
class SupervisionCounts:
    rounds: int = 0
    answers: int = 0
    hazards: int = 0
    notices: int = 0
    open_hazards: int = 0


def _users() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__startswith="demo_")}


def _inspector_of(post: Post, users: dict[str, User]) -> User:
    """The demo inspector walks its district; the bureau's officer the rest of the city."""
    if post.school.unit.region.code == data.PILOT_DISTRICT:
        return users["demo_inspector"]
    return users["demo_bureau"]


def write_supervision_history(seed: int, *, city: Region) -> SupervisionCounts:
    rng = random.Random(f"{seed}:supervision")
    users = _users()
    template = checklist_for(city)
    items = list(template.items.all())
    shifts = list(
        Shift.objects.filter(
            post__school__unit__region__path__startswith=city.path,
            day__gte=ROLLOUT_FIRST,
            day__lte=HISTORY_END,
            cancelled_at__isnull=True,
        )
        .select_related("post__school__unit__region", "post__school__station")
        .order_by("post_id", "starts_at")
    )
    by_post: dict[int, list[Shift]] = defaultdict(list)
    for shift in shifts:
        by_post[shift.post_id].append(shift)
    # One round a month of school per post: a shift a month, at a moment inside its window.
    chosen: list[tuple[Shift, dt.datetime]] = []
    for post_shifts in by_post.values():
        last: dt.date | None = None
        for shift in post_shifts:
            if last is not None and (shift.day - last).days < ROUND_EVERY_DAYS:
                continue
            if rng.random() < 0.5:  # not always the first window of the month
                continue
            last = shift.day
            span = int((shift.ends_at - shift.starts_at).total_seconds() // 60)
            chosen.append(
                (shift, shift.starts_at + dt.timedelta(minutes=rng.randint(5, max(6, span - 5))))
            )
    chosen.sort(key=lambda pair: pair[1])
    # The rounds whose failure became one of the 76 hazards: spread over the history, early
    # enough to be closed by HISTORY_END.
    closable = [
        i for i, (_s, at) in enumerate(chosen) if at.date() <= HISTORY_END - dt.timedelta(days=21)
    ]
    raised = set(rng.sample(closable, RECTIFIED))

    rounds, answers = _Rows(InspectionRound), _Rows(RoundAnswer)
    hazards, steps, notices = _Rows(Hazard), _Rows(HazardStep), _Rows(RectificationNotice)
    sequences: dict[int, int] = defaultdict(int)
    counts = SupervisionCounts()
    station_membership = users["demo_station"].memberships.first()
    demo_station_unit = station_membership.unit_id if station_membership else None
    for index, (shift, at) in enumerate(chosen):
        post = shift.post
        inspector = _inspector_of(post, users)
        attendance = attendance_at(post, at)
        results: dict[str, tuple[str, str]] = {}
        hazard_item = None
        if index in raised:
            hazard_item = rng.choice(["看设施", "看设施", "看秩序", "查装备", "看处置", "查台账"])
        for item in items:
            if item.auto:
                results[item.title] = (attendance.result, attendance.note)
            elif item.title == hazard_item or (item.title in FAILURES and rng.random() < FAIL_RATE):
                note, _title, _cat = rng.choice(FAILURES[item.title])
                results[item.title] = ("fail", note)
            elif rng.random() < NA_RATE:
                results[item.title] = ("na", "")
            else:
                results[item.title] = ("pass", "")
        submitted = at + dt.timedelta(minutes=rng.randint(8, 25))
        round_id = rounds.add(
            post=post,
            template=template,
            inspector=inspector,
            kind=InspectionRound.Kind.INSPECTION,
            status=InspectionRound.Status.SUBMITTED,
            at=at,
            submitted_at=submitted,
            expected=attendance.expected,
            present=attendance.present,
            score=round_score((results[i.title][0], i.weight) for i in items),
            created_at=at,
            updated_at=submitted,
        )
        answer_ids = {
            item.title: answers.add(
                round_id=round_id,
                item=item,
                result=results[item.title][0],
                note=results[item.title][1],
            )
            for item in items
        }
        counts.rounds += 1
        counts.answers += len(items)
        if hazard_item is None:
            continue
        note = results[hazard_item][1]
        _n, title, category = next(f for f in FAILURES[hazard_item] if f[0] == note)
        school = post.school
        responsible = school.unit
        officer = (
            users["demo_station"]
            if school.station_id == demo_station_unit
            else users["demo_bureau"]
        )
        times = [submitted]
        for low, high in ((2, 26), (20, 72), (48, 150), (4, 48), (2, 30)):  # hours between steps
            times.append(times[-1] + dt.timedelta(hours=rng.randint(low, high)))
        reported, assigned, started, done, verified, closed = times
        deadline = timezone.localtime(assigned).date() + dt.timedelta(days=7)
        hazard_id = hazards.add(
            school=school,
            post=post,
            title=title,
            description=note,
            category=category,
            grade=Hazard.Grade.GENERAL,
            state=Hazard.State.CLOSED,
            version=6,
            reported_by=inspector,
            reported_at=reported,
            answer_id=answer_ids[hazard_item],
            responsible=responsible,
            requirement="限期整改，整改前后拍照留存。",
            deadline=deadline,
            closed_at=closed,
            created_at=reported,
            updated_at=closed,
        )
        flow = [
            ("report", "", Hazard.State.REPORTED, inspector, reported, note),
            ("assign", Hazard.State.REPORTED, Hazard.State.ASSIGNED, officer, assigned, ""),
            ("start", Hazard.State.ASSIGNED, Hazard.State.RECTIFYING, None, started, ""),
            (
                "submit",
                Hazard.State.RECTIFYING,
                Hazard.State.SUBMITTED,
                None,
                done,
                "已整改完毕，附整改后照片。",
            ),
            (
                "verify",
                Hazard.State.SUBMITTED,
                Hazard.State.VERIFIED,
                inspector,
                verified,
                "经复查，整改到位。",
            ),
            ("close", Hazard.State.VERIFIED, Hazard.State.CLOSED, officer, closed, ""),
        ]
        for version, (name, source, target, actor, moment, text) in enumerate(flow, start=1):
            steps.add(
                hazard_id=hazard_id,
                step=name,
                from_state=source,
                to_state=target,
                actor=actor,
                at=moment,
                note=text,
                version=version,
            )
        year = timezone.localtime(assigned).year
        sequences[year] += 1
        notices.add(
            hazard_id=hazard_id,
            number=notice_number(city, year, sequences[year]),
            region=city,
            year=year,
            seq=sequences[year],
            issued_by=issuing_unit(officer, school),
            issued_at=assigned,
            responsible=responsible,
            requirement="限期整改，整改前后拍照留存。",
            deadline=deadline,
            created_at=assigned,
            updated_at=assigned,
        )
        counts.hazards += 1
    rounds.flush()
    answers.flush()
    hazards.flush()
    steps.flush()
    counts.notices = notices.flush()
    for year, count in sequences.items():
        NoticeSequence.objects.update_or_create(region=city, year=year, defaults={"last": count})
    reset_sequences(InspectionRound, RoundAnswer, Hazard, HazardStep, RectificationNotice)
    return counts


def write_open_supervision(*, city: Region, now: dt.datetime | None = None) -> int:
    """Open items today, played through the services: what the inspector, the station and the
    pilot school find waiting. How many open hazards were written."""
    moment = now or timezone.now()
    users = _users()
    inspector, station, lead = users["demo_inspector"], users["demo_station"], users["demo_school"]
    pilot = School.objects.get(unit__memberships__user=lead)
    posts = list(Post.objects.filter(school=pilot).order_by("name"))
    day = timezone.localtime(moment).date()

    def ago(days: int, hour: int = 9) -> dt.datetime:
        local = dt.datetime.combine(
            day - dt.timedelta(days=days), dt.time(hour), tzinfo=timezone.get_current_timezone()
        )
        return min(local, moment)

    # The inspector's round this week at the pilot school's first gate, with one failure.
    round_ = round_start(actor=inspector, post=posts[0], at=ago(1, 7))
    for answer in round_.answers.select_related("item"):
        if answer.item.auto:
            continue
        fail = answer.item.title == "看秩序"
        round_answer(
            actor=inspector,
            round=round_,
            item=answer.item,
            result="fail" if fail else "pass",
            note="放学时校门口车辆乱停，占用通道" if fail else "",
        )
    round_submit(actor=inspector, round=round_, now=ago(1, 8))
    failed = round_.answers.get(item__title="看秩序")

    def report(title: str, category: str, days: int, **extra: Any) -> Hazard:
        return hazard_report(
            actor=inspector,
            school=pilot,
            post=posts[0],
            title=title,
            category=category,
            grade=Hazard.Grade.GENERAL,
            description=title,
            now=ago(days),
            **extra,
        )

    def assign(hazard: Hazard, days: int, deadline_in: int) -> Hazard:
        return hazard_step(
            actor=station,
            hazard=hazard,
            step="assign",
            version=hazard.version,
            responsible=pilot.unit,
            deadline=ago(days).date() + dt.timedelta(days=deadline_in),
            requirement="限期整改，整改前后拍照留存。",
            now=ago(days, 10),
        )

    report("校门口车辆乱停占用通道", "traffic", 1, answer=failed)  # waiting for the station
    assign(report("校门口照明损坏", "facilities", 3), 2, 5)  # the school's to start
    overdue = assign(report("校门隔离桩缺失", "facilities", 12), 11, 7)  # past its deadline
    hazard_step(actor=lead, hazard=overdue, step="start", version=overdue.version, now=ago(10, 11))
    hazards_escalate(now=moment)
    waiting = assign(report("护学人员反光背心配备不足", "equipment", 6), 5, 7)  # for the inspector
    waiting = hazard_step(
        actor=lead, hazard=waiting, step="start", version=waiting.version, now=ago(4, 11)
    )
    hazard_step(
        actor=lead,
        hazard=waiting,
        step="submit",
        version=waiting.version,
        note="已补发反光背心 10 件。",
        now=ago(2, 16),
    )
    return (
        Hazard.objects.exclude(state=Hazard.State.CLOSED)
        .filter(school__unit__region__path__startswith=city.path)
        .count()
    )
