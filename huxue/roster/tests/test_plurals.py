"""Sentences with a count read right in English for one and for many, and stay right in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from huxue.people.models import Family, Person
from huxue.roster import lead_views
from huxue.roster.models import CityRules, RosterRun, Shift
from huxue.roster.services import shifts_generate, signup_create
from huxue.testing import ROSTER_MONDAY, City, make_ready_member, make_term

MONDAY = ROSTER_MONDAY


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW."""


@pytest.fixture
def mornings(city: City) -> list[Shift]:
    make_term(city)
    shifts_generate(actor=None, posts=[city.post_a1], start=MONDAY, end=MONDAY + dt.timedelta(6))
    return list(Shift.objects.filter(post=city.post_a1, start=dt.time(7)).order_by("starts_at"))


def _refusal(person: Person, shift: Shift, language: str) -> str:
    with translation.override(language), pytest.raises(ValidationError) as refused:
        signup_create(actor=None, person=person, shift=shift)
    return refused.value.messages[0]


@pytest.mark.parametrize(
    "cap,english,chinese",
    [
        (
            1,
            "You already have 1 shift that week, the most a member may take.",
            "您当周已有 1 个班次，已达每名队员的上限。",
        ),
        (
            2,
            "You already have 2 shifts that week, the most a member may take.",
            "您当周已有 2 个班次，已达每名队员的上限。",
        ),
    ],
)
def test_the_weekly_cap_refusal_counts_shifts_right(
    city: City, mornings: list[Shift], cap: int, english: str, chinese: str
) -> None:
    CityRules.objects.create(region=city.city, shifts_per_member_week=cap)
    person = make_ready_member(city, "孙丽", "parent")
    for shift in mornings[:cap]:
        signup_create(actor=None, person=person, shift=shift)
    assert _refusal(person, mornings[cap], "en") == english
    assert _refusal(person, mornings[cap], "zh-hans") == chinese


@pytest.mark.parametrize("cap,word", [(1, "shift"), (2, "shifts")])
def test_the_family_cap_refusal_counts_shifts_right(
    city: City, mornings: list[Shift], cap: int, word: str
) -> None:
    CityRules.objects.create(region=city.city, shifts_per_family_term=cap)
    family = Family.objects.create(school=city.school_a1, label="三年二班")
    parents = [make_ready_member(city, name, "parent") for name in ("母亲", "父亲")]
    Person.objects.filter(pk__in=[p.pk for p in parents]).update(family=family)
    for person, shift in zip(parents, mornings[:cap], strict=False):
        signup_create(actor=None, person=person, shift=shift)
    father = Person.objects.get(pk=parents[1].pk)
    english = _refusal(father, mornings[cap], "en")
    assert english.startswith(f"Your family has already taken {cap} {word} this term,")
    assert _refusal(father, mornings[cap], "zh-hans").startswith(
        f"您的家庭本学期已承担 {cap} 个班次"
    )


def _run(city: City, *, slots: int, filled: int) -> RosterRun:
    return RosterRun.objects.create(
        unit=city.school_a1.unit,
        region=city.xinxing,
        start=MONDAY,
        end=MONDAY + dt.timedelta(6),
        slots=slots,
        filled=filled,
    )


@pytest.mark.parametrize(
    "slots,english,chinese",
    [
        (1, "1 of 1 slot filled", "已填补 1 / 1 个岗位"),
        (40, "12 of 40 slots filled", "已填补 12 / 40 个岗位"),
    ],
)
def test_a_runs_page_counts_its_slots_right(
    city: City, login, slots: int, english: str, chinese: str
) -> None:
    run = _run(city, slots=slots, filled=min(slots, 12))
    client = login("school_lead")
    url = reverse("roster:run", args=[run.pk])
    assert (
        f'data-testid="filled">{english}<'
        in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert (
        f'data-testid="filled">{chinese}<'
        in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )


@pytest.mark.parametrize(
    "slots,english",
    [
        (1, "The week was solved: 1 of 1 slot filled."),
        (40, "The week was solved: 12 of 40 slots filled."),
    ],
)
def test_the_solve_message_counts_slots_right(
    city: City, login, monkeypatch, slots: int, english: str
) -> None:
    run = _run(city, slots=slots, filled=min(slots, 12))
    monkeypatch.setattr(lead_views, "roster_solve", lambda **kwargs: run)
    url = reverse("roster:grid", args=[city.school_a1.pk, MONDAY.isoformat()]) + "solve/"
    for language, expected in [
        ("en", english),
        ("zh-hans", f"本周排班已求解：{slots} 个岗位名额中已排 {min(slots, 12)} 个。"),
    ]:
        response = login("school_lead").post(url, HTTP_ACCEPT_LANGUAGE=language)
        assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]


def test_the_cli_counts_one_post_and_one_school_in_the_singular(city: City, capsys) -> None:  # type: ignore[no-untyped-def]
    make_term(city)
    args = ["--region", "230903", "--from", "2026-12-07", "--to", "2026-12-11", "--publish"]
    with translation.override("en"):
        call_command("roster_solve", *args)  # 桃山区: one school, one post
        out = capsys.readouterr().out
        assert "[1/3] shifts for 1 post, 2026-12-07 … 2026-12-11" in out
        assert "[3/3] publishing 1 school\n" in out
        call_command("roster_solve", *args)
        assert "1 school had nothing new to publish." in capsys.readouterr().out
    call_command("roster_solve", *args)
    out = capsys.readouterr().out
    assert "[1/3] 生成 1 个护学岗的班次" in out
    assert "1 所学校自上一版以来没有更改，未重复发布。" in out


def test_the_cli_counts_several_posts_and_schools_in_the_plural(city: City, capsys) -> None:  # type: ignore[no-untyped-def]
    make_term(city)
    args = ["--region", "230900", "--from", "2026-12-07", "--to", "2026-12-07", "--publish"]
    with translation.override("en"):
        call_command("roster_solve", *args)
    out = capsys.readouterr().out
    assert "[1/3] shifts for 2 posts," in out
    assert "[3/3] publishing 3 schools\n" in out
    assert " slots (" in out  # 2 posts × 2 windows × 4 slots
