"""Re-solving history (eligibility on the shift's day, broken pins named or left out) and
explanations in the users' words (advice by force group, the run page)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from huxue.core.validators import mask_name
from huxue.orgs.models import Unit
from huxue.orgs.services import unit_create
from huxue.people.models import Person
from huxue.roster import solver
from huxue.roster.models import Assignment, CityRules, RosterRun, Shift, SignUp
from huxue.roster.pins import PinsRejected, pins_broken
from huxue.roster.planning import build_plan, explain_text, roster_solve
from huxue.roster.rules import ineligibility_on
from huxue.roster.selectors import roster_run_unfilled
from huxue.roster.services import availability_set, shifts_generate
from huxue.testing import ROSTER_MONDAY, City, make_person, make_shift, make_term

PAST_MONDAY = dt.date(2026, 11, 16)  # before ROSTER_NOW (2026-11-28), in make_term's term
PAST_FRIDAY = PAST_MONDAY + dt.timedelta(days=4)
EVERY_WINDOW = [(d, dt.time(7), dt.time(8)) for d in range(5)] + [
    (d, dt.time(15), dt.time(17)) for d in range(5)
]


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW."""


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """Texts are checked in Chinese, the default language, whatever a test before activated."""
    with translation.override("zh-hans"):
        yield


def _member(
    city: City,
    name: str,
    force_type: str = "parent",
    *,
    trained_on: dt.date | None = dt.date(2026, 9, 2),
    training: str = "trained",
    unit: Unit | None = None,
) -> Person:
    person = make_person(
        city,
        unit=unit or city.school_a1.unit,
        name=name,
        force_type=force_type,
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status=training,
        trained_on=trained_on,
    )
    availability_set(actor=None, person=person, windows=EVERY_WINDOW)
    return person


def _past_week(city: City) -> list[Shift]:
    make_term(city)
    shifts_generate(actor=None, posts=[city.post_a1], start=PAST_MONDAY, end=PAST_FRIDAY)
    return list(Shift.objects.filter(post=city.post_a1).order_by("starts_at"))


# --- eligibility on the shift's day --------------------------------------------------------------


def test_a_member_trained_after_the_day_was_not_eligible_on_it(city: City) -> None:
    day = PAST_MONDAY
    later = _member(city, "晚培训", trained_on=day + dt.timedelta(days=1))
    before = _member(city, "早培训", trained_on=day - dt.timedelta(days=1))
    on_the_day = _member(city, "当天培训", trained_on=day)
    assert ineligibility_on(later, day) == "not_trained"
    assert ineligibility_on(later, day + dt.timedelta(days=1)) is None
    assert ineligibility_on(before, day) is None
    assert ineligibility_on(on_the_day, day) is None


def test_vetting_counts_from_its_date_and_an_expired_training_on_no_day(city: City) -> None:
    day = PAST_MONDAY
    person = _member(city, "甲", trained_on=dt.date(2020, 1, 1))
    person.vetted_on = day + dt.timedelta(days=3)
    assert ineligibility_on(person, day) == "not_vetted"
    assert ineligibility_on(person, day + dt.timedelta(days=3)) is None
    person.training_status = Person.Training.EXPIRED
    assert ineligibility_on(person, day + dt.timedelta(days=3)) == "not_trained"
    undated = _member(city, "乙", trained_on=None)  # a status without its date: as it says
    assert ineligibility_on(undated, day) is None


def test_a_plan_leaves_out_the_days_before_a_members_training(city: City) -> None:
    week = _past_week(city)
    wednesday = PAST_MONDAY + dt.timedelta(days=2)
    late = _member(city, "周三培训", trained_on=wednesday)
    never = _member(city, "未培训", training="none", trained_on=None)
    plan = build_plan(actor=None, place=city.school_a1.unit, start=PAST_MONDAY, end=PAST_FRIDAY)
    member = next(m for m in plan.problem.members if m.id == late.pk)
    assert member.vetted and member.trained  # on some day of the run
    days = {s.day for s in week if s.pk in plan.problem.availability[late.pk]}
    assert days == {wednesday, wednesday + dt.timedelta(days=1), PAST_FRIDAY}
    # someone who may stand on no day keeps their free shifts (for the explanations) but is
    # never placed: the solver's flags
    assert not next(m for m in plan.problem.members if m.id == never.pk).trained
    assert len(plan.problem.availability[never.pk]) == len(week)


# --- broken pins: refused clearly, or left out when asked ----------------------------------------


def test_a_past_week_with_a_sign_up_from_before_training_is_refused_in_chinese(
    city: City, capsys: Any
) -> None:
    week = _past_week(city)
    person = _member(city, "赵晓明", trained_on=PAST_MONDAY + dt.timedelta(days=1))
    SignUp.objects.create(person=person, shift=week[0])  # Monday 07:00, a day before training
    with pytest.raises(CommandError) as caught:
        call_command(
            "roster_solve", "--region", "230900", "--from", "2026-11-16", "--to", "2026-11-20"
        )
    message = str(caught.value)
    assert "有 1 个报名或保留的排班违反规则，因此未能排班" in message
    assert "--drop-invalid-pins" in message
    out = capsys.readouterr().out
    assert (
        "赵晓明 的报名（市第六小学 南门，2026-11-16 星期一 07:00–08:00）："
        "该队员当天没有有效的培训" in out
    )
    assert not RosterRun.objects.exists()


def test_drop_invalid_pins_solves_without_them_and_says_which(city: City, capsys: Any) -> None:
    week = _past_week(city)
    person = _member(city, "赵晓明", trained_on=PAST_MONDAY + dt.timedelta(days=1))
    SignUp.objects.create(person=person, shift=week[0])
    call_command(
        "roster_solve",
        "--region",
        "230900",
        "--from",
        "2026-11-16",
        "--to",
        "2026-11-20",
        "--drop-invalid-pins",
    )
    out = capsys.readouterr().out
    assert "不含这 1 个报名或保留排班，重新求解" in out
    assert "赵晓明 的报名（市第六小学 南门，2026-11-16 星期一 07:00–08:00）" in out
    run = RosterRun.objects.get()
    mine = Assignment.objects.planned().filter(person=person)
    assert mine.exists()  # from Tuesday, when trained
    assert not mine.filter(shift__day=PAST_MONDAY).exists()
    assert f"已填补 {run.filled} / {run.slots} 个岗位" in out


def test_pins_that_clash_keep_the_earlier_and_name_the_rule(city: City) -> None:
    week = _past_week(city)
    person = _member(city, "钱多多")
    # the same member signed up for the 07:00 shift, and kept by hand on another gate then
    other_gate = make_shift(city.post_b1, day=week[0].day, requirements={"volunteer": 2})
    SignUp.objects.create(person=person, shift=week[0])
    Assignment.objects.create(
        shift=other_gate, person=person, group="volunteer", source="manual", locked=True
    )
    plan = build_plan(actor=None, place=city.city, start=PAST_MONDAY, end=PAST_FRIDAY)
    (broken,) = pins_broken(plan)
    assert (broken.person.pk, broken.shift.pk, broken.rule) == (person.pk, week[0].pk, "overlap")
    assert not broken.kept  # the kept assignment goes first; the sign-up is left out
    assert "该队员同一时段已有另一个班次" in broken.text


def test_the_web_solve_answers_a_broken_pin_with_a_message_not_a_500(
    city: City, login: Any
) -> None:
    week = _past_week(city)
    person = _member(city, "赵晓明", trained_on=PAST_MONDAY + dt.timedelta(days=1))
    SignUp.objects.create(person=person, shift=week[0])
    client = login("school_lead")
    grid = reverse("roster:grid", args=[city.school_a1.pk, PAST_MONDAY.isoformat()])
    response = client.post(grid + "solve/")
    assert response.status_code == 302 and response.url == grid
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert "违反规则" in message and "赵晓明 的报名" in message and "南门" in message
    assert not RosterRun.objects.exists()


def test_roster_solve_raises_pins_rejected_as_a_validation_error(city: City) -> None:
    week = _past_week(city)
    person = _member(city, "赵晓明", trained_on=PAST_FRIDAY)
    for shift in week[:4]:
        SignUp.objects.create(person=person, shift=shift)
    with pytest.raises(PinsRejected) as caught:
        roster_solve(actor=None, place=city.school_a1.unit, start=PAST_MONDAY, end=PAST_FRIDAY)
    assert len(caught.value.broken) == 4
    assert caught.value.messages[-1] == "……另有 1 处。"  # three named, then the count


# --- explanations in the users' words ------------------------------------------------------------


def test_the_explanation_names_the_nearest_capped_and_unready_members() -> None:
    day = dt.date(2026, 3, 2)

    def member(id: int, **kw: Any) -> solver.Member:
        values: dict[str, Any] = {
            "group": "volunteer",
            "vetted": True,
            "trained": True,
            "home_school": 1,
            "lat": 45.77,
            "lng": 131.0,
            "weekly_cap": 1,
        }
        values.update(kw)
        return solver.Member(id=id, **values)

    def shift(id: int, days: int, start: int = 420) -> solver.Shift:
        return solver.Shift(
            id=id,
            post=id,
            school=1,
            lat=45.77,
            lng=131.0,
            day=day + dt.timedelta(days=days),
            start=start,
            end=start + 60,
            requirements={"volunteer": 1},
        )

    problem = solver.Problem(
        members=(
            member(1),  # capped by Monday's shift: 0 km
            member(2, lat=45.78),  # capped too, about 1.1 km off
            member(3, trained=False),  # free then, not trained
            member(4, vetted=False, trained=False, lat=45.80),  # free then, not vetted
        ),
        shifts=(shift(10, 0), shift(11, 0, start=900), shift(12, 1)),
        availability={
            1: frozenset({10, 12}),
            2: frozenset({11, 12}),
            3: frozenset({12}),
            4: frozenset({12}),
        },
        locks=frozenset({(1, 10), (2, 11)}),
    )
    (slot,) = solver.solve(problem).unfilled
    assert (slot.shift, slot.reason) == (12, "cap_or_busy")
    assert slot.params["capped"] == [[1, 0.0], [2, 1.1]]
    assert slot.params["unready"] == [[3, 0.0, "train"], [4, 3.3, "vet"]]


def _item(group: str, reason: str, suggestion: str, **params: Any) -> dict[str, Any]:
    return {
        "shift": 1,
        "group": group,
        "missing": 2,
        "reason": reason,
        "suggestion": suggestion,
        "suggestion_text": "",
        "school_name": "市第六小学",
        "params": params,
    }


def test_the_advice_fits_the_force_group() -> None:
    police = _item("police", "not_available", "recruit")
    assert explain_text(police, station="新兴派出所")[1] == (
        "请联系学校属地派出所（新兴派出所）增派 2 名民警或辅警。"
    )
    assert explain_text(police)[1] == "请联系学校属地派出所增派 2 名民警或辅警。"
    guard = _item("guard", "no_group", "recruit")
    assert explain_text(guard, company="护安保安公司")[1] == (
        "请联系保安公司（护安保安公司）增派 2 名保安员，或由学校保卫人员补位。"
    )
    staff = _item("staff", "cap_or_busy", "raise_cap")
    assert explain_text(staff)[1] == "请市第六小学在该时段再安排 2 名教职员工。"
    volunteer = _item(
        "volunteer",
        "cap_or_busy",
        "raise_cap",
        capped=[[7, 0.4]],
        unready=[[8, 0.9, "train"], [9, 5.0, "vet"]],
    )
    names = {7: "王*红", 8: "李*明", 9: "周*"}
    reason, advice = explain_text(volunteer, names=names)
    assert reason == "该时段符合条件且有空的队员均已达到上限或另有班次。"
    assert advice == (
        "请在市第六小学附近再招募 2 名志愿者，或提高每周上限。 "
        "提高每周上限即可上岗的最近队员：王*红（0.4 公里）。 "
        "附近该时段有空、但尚未完成审查或培训的队员：李*明（0.9 公里，待培训）。"
    )  # 周* is 5 km away: not near
    assert "police" not in explain_text(police)[1]
    with translation.override("en"):
        assert explain_text(police, station="新兴派出所")[1] == (
            "Ask the school's local police station, 新兴派出所, for more police or auxiliary "
            "officers (2 needed)."
        )


def test_names_are_masked_as_ids_and_phones_are() -> None:
    assert [mask_name(n) for n in ("王小红", "李明", "欧阳娜娜", "周", "")] == [
        "王*红",
        "李*",
        "欧**娜",
        "*",
        "",
    ]


def test_the_run_page_leads_with_the_fill_and_names_school_gate_day_and_time(
    city: City, login: Any
) -> None:
    make_term(city)
    shifts_generate(
        actor=None,
        posts=[city.post_a1],
        start=ROSTER_MONDAY,
        end=ROSTER_MONDAY + dt.timedelta(days=4),
    )
    CityRules.objects.create(region=city.city, shifts_per_member_week=1)
    unit_create(
        kind=Unit.Kind.SECURITY_COMPANY,
        name="七台河市护安保安服务有限公司",
        region=city.taoshan,
        parent=city.bureau,
    )
    _member(city, "王小红")  # takes one shift, then is at the weekly cap
    _member(city, "李大明", training="none", trained_on=None)  # free, not trained
    client = login("school_lead")
    solved = client.post(
        reverse("roster:grid", args=[city.school_a1.pk, ROSTER_MONDAY.isoformat()]) + "solve/"
    )
    run = RosterRun.objects.get()
    html = client.get(solved.url).content.decode()

    summary = html.split('data-testid="run-summary"')[1].split("</section>")[0]
    assert f"已填补 {run.filled} / {run.slots} 个岗位" in summary
    assert "其余岗位为何空缺" in summary
    # the optimisation figures sit behind the details toggle
    details = summary.split("<details")[1].split("</details>")[0]
    assert "目标值" in details and "差距" in details
    assert "目标值" not in summary.split("<details")[0]

    unfilled = html.split('data-testid="unfilled"')[1]
    assert "市第六小学" in unfilled and "南门" in unfilled
    assert "2026-12-07 星期一 07:00–08:00" in unfilled
    assert "请联系学校属地派出所（新兴派出所）增派 1 名民警或辅警。" in unfilled
    assert "请联系保安公司（七台河市护安保安服务有限公司）增派 1 名保安员" in unfilled
    assert "提高每周上限即可上岗的最近队员：王*红（0.0 公里）" in unfilled
    assert "李*明（0.0 公里，待培训）" in unfilled
    assert "王小红" not in unfilled and "李大明" not in unfilled
    for code in ("volunteer", "police", "guard", "not_available", "cap_or_busy", "raise_cap"):
        assert code not in unfilled
    for item in run.unfilled:  # no internal ids: neither "班次 12" nor "shift 12"
        assert f"班次 {item['shift']}" not in html and f"shift {item['shift']}" not in html


def test_the_cli_names_the_slot_and_the_group_in_chinese(city: City, capsys: Any) -> None:
    make_term(city)
    call_command("roster_solve", "--region", "230900", "--from", "2026-12-07", "--to", "2026-12-07")
    out = capsys.readouterr().out
    assert "市第六小学 南门，2026-12-07 星期一 07:00–08:00，民警或辅警：缺 1 人。" in out
    assert "请联系学校属地派出所（新兴派出所）增派 1 名民警或辅警。" in out
    assert "班次 " not in out and " police " not in out


def test_the_unfilled_slots_of_a_run_read_in_a_fixed_number_of_queries(
    city: City, django_assert_max_num_queries: Any
) -> None:
    make_term(city)
    shifts_generate(
        actor=None, posts=[city.post_a1, city.post_b1], start=ROSTER_MONDAY, end=ROSTER_MONDAY
    )
    _member(city, "王小红")
    run = roster_solve(actor=None, place=city.city, start=ROSTER_MONDAY, end=ROSTER_MONDAY)
    assert len(run.unfilled) > 4
    with django_assert_max_num_queries(3):
        slots = roster_run_unfilled(run=run, with_shifts=True)
    assert all(s.where and s.group_label for s in slots)
