from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from icalendar import Calendar

from huxue.people.models import Person
from huxue.roster.models import Assignment, Shift, SignUp
from huxue.roster.services import availability_set, shifts_generate
from huxue.testing import ROSTER_MONDAY, ROSTER_NOW, City, make_term

MONDAY = ROSTER_MONDAY
NOW = ROSTER_NOW


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW."""


@pytest.fixture
def member(city: City) -> Person:
    """The volunteer login's own record, vetted, trained and free on weekday mornings."""
    make_term(city)
    shifts_generate(
        actor=None,
        posts=[city.post_a1, city.post_b1],
        start=MONDAY,
        end=MONDAY + dt.timedelta(days=4),
    )
    person = city.person_a1
    Person.objects.filter(pk=person.pk).update(
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
    )
    availability_set(
        actor=None, person=person, windows=[(d, dt.time(7), dt.time(8)) for d in range(5)]
    )
    person.refresh_from_db()
    return person


def test_a_member_sees_open_shifts_of_their_school_only(city: City, login, member: Person) -> None:
    response = login("volunteer").get(reverse("roster:my_shifts"))
    shifts = response.context["open_shifts"]
    assert shifts and all(s.post_id == city.post_a1.pk for s in shifts)


def test_a_member_signs_up_and_withdraws_on_their_phone(city: City, login, member: Person) -> None:
    client = login("volunteer")
    shift = Shift.objects.filter(post=city.post_a1, start=dt.time(7)).order_by("starts_at").first()
    assert shift is not None
    client.post(reverse("roster:signup", args=[shift.pk]))
    signup = SignUp.objects.get(person=member, shift=shift)
    body = client.get(reverse("roster:my_shifts")).content.decode()
    assert 'data-testid="signup"' in body
    client.post(reverse("roster:withdraw", args=[signup.pk]))
    assert SignUp.objects.get(pk=signup.pk).withdrawn_at is not None


def test_a_refused_sign_up_says_why(city: City, login, member: Person) -> None:
    shift = Shift.objects.filter(post=city.post_a1, start=dt.time(15, 30)).first()
    assert shift is not None
    response = login("volunteer").post(reverse("roster:signup", args=[shift.pk]), follow=True)
    assert "不在您填写的可服务时间内" in response.content.decode()
    assert not SignUp.objects.exists()


def test_another_schools_shift_is_not_found(city: City, login, member: Person) -> None:
    other = Shift.objects.filter(post=city.post_b1).first()
    assert other is not None
    assert login("volunteer").post(reverse("roster:signup", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("username", ["school_lead", "auditor", "stranger"])
def test_member_pages_are_for_members(city: City, login, username: str) -> None:
    assert login(username).get(reverse("roster:my_shifts")).status_code == 404


def test_availability_is_edited_per_weekday(city: City, login, member: Person) -> None:
    client = login("volunteer")
    data = {f"start_{d}": "" for d in range(7)} | {f"end_{d}": "" for d in range(7)}
    data |= {"start_1": "07:00", "end_1": "09:00", "start_3": "15:00", "end_3": "14:00"}
    bad = client.post(reverse("roster:availability"), data)
    assert bad.status_code == 200 and "end_3" in bad.context["form"].errors
    data["end_3"] = "17:00"
    client.post(reverse("roster:availability"), data)
    assert sorted((a.weekday, a.start, a.end) for a in member.availability.all()) == [
        (1, dt.time(7), dt.time(9)),
        (3, dt.time(15), dt.time(17)),
    ]


def test_the_private_calendar_feed_lists_rostered_shifts(city: City, login, member: Person) -> None:
    client = login("volunteer")
    shift = Shift.objects.filter(post=city.post_a1).order_by("starts_at").first()
    assert shift is not None
    Assignment.objects.create(
        published=True, shift=shift, person=member, group="volunteer", source="manual"
    )
    client.post(reverse("roster:feed_issue"))
    token = member.calendar_feed.token
    response = client.get(reverse("roster:ical", args=[token]))
    assert response["Content-Type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(response.content).walk("VEVENT")]
    assert len(events) == 1 and events[0].decoded("dtstart") == shift.starts_at
    client.post(reverse("roster:feed_issue"))  # replaced: the old address stops working
    assert client.get(reverse("roster:ical", args=[token])).status_code == 404


def test_a_rostered_shift_is_not_offered_again(city: City, login, member: Person) -> None:
    shift = Shift.objects.filter(post=city.post_a1, start=dt.time(7)).order_by("starts_at").first()
    assert shift is not None
    Assignment.objects.create(
        published=True, shift=shift, person=member, group="volunteer", source="solver"
    )
    response = login("volunteer").get(reverse("roster:my_shifts"))
    assert shift.pk not in {s.pk for s in response.context["open_shifts"]}
    assert [a.shift_id for a in response.context["assignments"]] == [shift.pk]
