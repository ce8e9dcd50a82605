"""Who a lead may call out to a short post, in what order, and why the others are not offered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from huxue.duty.alerts.services import callout_create
from huxue.duty.models import CheckIn
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.posts.services import parse_windows, post_create, school_create
from huxue.roster.models import Assignment, Shift
from huxue.roster.services import availability_set
from huxue.roster.swaps import assignment_add, assignment_drop
from huxue.testing import ROSTER_MONDAY, City, local_at, make_person, make_shift

VOLUNTEERS_2 = {"volunteer": 2}


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """at(hh, mm) freezes the clock at that time on the shift's day."""

    def freeze(hh: int, mm: int = 0) -> dt.datetime:
        moment = local_at(ROSTER_MONDAY, hh, mm)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def vet(person: Person, *, weekday: int = 0, trained: bool = True) -> Person:
    """Vetted, trained (unless not) and free on that weekday's mornings (Monday unless said)."""
    Person.objects.filter(pk=person.pk).update(
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained" if trained else "none",
        trained_on=dt.date(2026, 9, 2) if trained else None,
    )
    availability_set(actor=None, person=person, windows=[(weekday, dt.time(6, 30), dt.time(9))])
    person.refresh_from_db()
    return person


def school_at(city: City, name: str, km_north: float) -> School:
    """A school of 新兴派出所 this far north of 市第六小学."""
    return school_create(
        actor=None,
        name=name,
        stage=School.Stage.PRIMARY,
        station=city.station_a,
        region=city.xinxing,
        latitude=Decimal(str(round(45.771 + km_north / 111.2, 6))),
        longitude=Decimal("131.003000"),
        pupils=600,
    )


def east_gate(school: School) -> Post:
    return post_create(
        actor=None,
        school=school,
        name="东门",
        latitude=school.latitude,
        longitude=school.longitude,
        windows=parse_windows("07:00-08:00, 15:30-17:00"),
        requirements={"volunteer": 2},
    )


def at_gate(post: Post, *, days_later: int = 0, start: int = 7) -> Shift:
    day = ROSTER_MONDAY + dt.timedelta(days=days_later)
    return make_shift(post, day=day, start=dt.time(start), end=dt.time(start + 1))


@pytest.fixture
def shift(city: City) -> Shift:
    """07:00–08:00 at 市第六小学's south gate, needing two volunteers; nobody rostered."""
    return make_shift(city.post_a1, requirements=VOLUNTEERS_2)


@pytest.fixture
def people(city: City, shift: Shift) -> dict[str, Person]:
    """A pool with one member for every reason to offer or not to offer."""
    a1 = city.school_a1.unit

    def parent(name: str, **kw: object) -> Person:
        return vet(make_person(city, unit=a1, name=name, force_type="parent"), **kw)  # type: ignore[arg-type]

    near = school_at(city, "七台河小学", 0.6)
    far = school_at(city, "新兴二小", 1.6)
    out_of_reach = school_at(city, "远郊小学", 5.0)
    made = {
        "light": parent("甲轻"),
        "heavy": parent("乙重"),
        "near": vet(make_person(city, unit=near.unit, name="丙近", force_type="community")),
        "far": vet(make_person(city, unit=far.unit, name="丁远", force_type="community")),
        "far_parent": vet(make_person(city, unit=far.unit, name="戊家长", force_type="parent")),
        "out_of_reach": vet(
            make_person(city, unit=out_of_reach.unit, name="己远郊", force_type="community")
        ),
        "away": parent("庚外出", weekday=1),
        "busy": parent("辛在岗"),
        "checked_in": parent("壬签到"),
        "capped": parent("癸满"),
        "unvetted": make_person(city, unit=a1, name="子未审", force_type="parent"),
        "untrained": parent("丑未训", trained=False),
        "dropped": parent("寅调离"),
        "dropped_then": parent("卯调离"),
        "guard": vet(make_person(city, unit=a1, name="辰保安", force_type="guard")),
    }
    gate = east_gate(city.school_a2)
    for day in (1, 2):  # two shifts later that week, at another school
        later = at_gate(gate, days_later=day)
        Assignment.objects.create(
            shift=later, person=made["heavy"], group="volunteer", source="solver"
        )
    for day in (1, 2, 3):
        later = at_gate(gate, days_later=day, start=15)
        Assignment.objects.create(
            shift=later, person=made["capped"], group="volunteer", source="solver"
        )
    same_time = at_gate(gate)
    Assignment.objects.create(
        shift=same_time, person=made["busy"], group="volunteer", source="solver"
    )
    CheckIn.objects.create(  # a walk-in at another gate, not on any roster
        person=made["checked_in"],
        post=same_time.post,
        shift=same_time,
        group="volunteer",
        force_type="parent",
        day=ROSTER_MONDAY,
        method="gps",
        at=local_at(ROSTER_MONDAY, 6, 55),
        server_at=local_at(ROSTER_MONDAY, 6, 55),
    )
    # The lead took two members off: one from this very shift, one from another at that time.
    for person, where in ((made["dropped"], shift), (made["dropped_then"], same_time)):
        assignment = Assignment.objects.create(
            shift=where, person=person, group="volunteer", source="solver", published=True
        )
        assignment_drop(
            actor=city.users["station_officer"], assignment=assignment, reason="临时有事"
        )
        # … and the week has been published since: they are off what members see too.
        Assignment.objects.filter(pk=assignment.pk).update(published=False)
    return made


def page(client, shift: Shift):
    response = client.get(reverse("duty:shift", args=[shift.pk]))
    assert response.status_code == 200
    return response


def test_those_who_could_come_are_ranked_own_school_then_near_then_fewest_shifts(
    city: City, login, shift: Shift, people: dict[str, Person], at
) -> None:
    at(7, 15)
    [group] = page(login("station_officer"), shift).context["substitutes"]
    offered = [p["candidate"].person_id for p in group["people"]]
    expected = ["light", "heavy", "near", "far"]
    assert offered == [people[k].pk for k in expected]
    by_id = {p["candidate"].person_id: p["candidate"] for p in group["people"]}
    assert by_id[people["heavy"].pk].week_shifts == 2
    assert by_id[people["near"].pk].school == "七台河小学"
    assert 0.5 < by_id[people["near"].pk].distance_km < 0.7
    # A parent helps only at their own school; a volunteer 5 km away is not near enough.
    listed = offered + [c.person_id for c, _reason in group["not_offered"]]
    assert people["far_parent"].pk not in listed
    assert people["out_of_reach"].pk not in listed
    assert people["guard"].pk not in listed  # another force group: not the question


def test_the_page_says_why_the_others_are_not_offered(
    city: City, login, shift: Shift, people: dict[str, Person], at
) -> None:
    at(7, 15)
    response = page(login("station_officer"), shift)
    [group] = response.context["substitutes"]
    reasons = {c.person_id: str(reason) for c, reason in group["not_offered"]}
    assert reasons == {
        city.person_a1.pk: "未通过背景审查",
        people["away"].pk: "不在可用时间",
        people["busy"].pk: "当时已在其他岗点",
        people["checked_in"].pk: "当时已在其他岗点",
        people["capped"].pk: "本周已达上限",
        people["unvetted"].pk: "未通过背景审查",
        people["untrained"].pk: "未完成培训",
        people["dropped"].pk: "本班次刚被调离",
        people["dropped_then"].pk: "刚被调离同一时段的班次",
    }
    html = response.content.decode()
    assert 'data-testid="not-offered-volunteer"' in html and "<details" in html
    item = html.split(f'data-testid="not-offered-{people["dropped"].pk}"')[1].split("</li>")[0]
    assert "寅调离" in item and "本班次刚被调离" in item
    assert "为什么没有推荐其他 9 人" in html


def test_a_member_just_taken_off_the_shift_is_not_called_back_to_it(
    city: City, login, shift: Shift, people: dict[str, Person], at
) -> None:
    at(7, 15)
    with pytest.raises(ValidationError) as raised:
        callout_create(actor=city.users["school_lead"], shift=shift, person=people["dropped"])
    assert raised.value.code == "dropped"
    # The roster's shift page does not offer them either, and says why.
    response = login("school_lead").get(reverse("roster:shift_lead", args=[shift.pk]))
    [group] = response.context["ranked"]
    assert people["dropped"].pk not in [c.person_id for c in group["people"]]
    assert (people["dropped"].pk, "本班次刚被调离") in [
        (c.person_id, str(reason)) for c, reason in group["not_offered"]
    ]
    # A lead who names them on purpose may still put them back.
    back = assignment_add(actor=city.users["school_lead"], shift=shift, person=people["dropped"])
    assert back.dropped_at is None


def test_a_school_lead_sees_only_their_own_schools_members(
    city: City, login, shift: Shift, people: dict[str, Person], at
) -> None:
    at(7, 15)
    [group] = page(login("school_lead"), shift).context["substitutes"]
    offered = [p["candidate"].person_id for p in group["people"]]
    assert offered == [people["light"].pk, people["heavy"].pk]
    shown = set(offered) | {c.person_id for c, _reason in group["not_offered"]}
    assert not shown & {people["near"].pk, people["far"].pk}


def test_more_members_not_offered_take_no_more_queries(
    city: City, login, shift: Shift, people: dict[str, Person], at
) -> None:
    at(7, 15)
    client = login("station_officer")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page(client, shift)
        return len(queries)

    few = count()
    for i in range(3):
        make_person(city, unit=city.school_a1.unit, name=f"未审{i}", force_type="parent")
        vet(
            make_person(city, unit=city.school_a1.unit, name=f"外出{i}", force_type="parent"),
            weekday=3,
        )
    assert count() == few
    [group] = page(client, shift).context["substitutes"]
    assert len(group["not_offered"]) == 9 + 6
