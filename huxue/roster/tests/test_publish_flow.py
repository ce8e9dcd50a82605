"""Draft and published, sign-ups with an answer, and a re-solve that changes as little as it can.

Issue 15, items 1 to 3: what the lead plans reaches no member until it is published; a sign-up
ends accepted or declined; a re-solve keeps what was published unless a gap forces a move, and
never puts back a member just taken off.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from huxue.duty.checkin.gate import gate_read
from huxue.notify.models import Notification
from huxue.people.models import Person
from huxue.roster.models import Assignment, CalendarFeed, Shift, SignUp
from huxue.roster.planning import roster_publish, roster_solve, week_changes
from huxue.roster.services import (
    availability_set,
    calendar_feed_issue,
    shifts_generate,
    signup_accept,
    signup_create,
)
from huxue.roster.swaps import assignment_drop
from huxue.testing import ROSTER_MONDAY, City, make_person, make_ready_member, make_term

MONDAY = ROSTER_MONDAY
FRIDAY = MONDAY + dt.timedelta(days=4)


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW, the week before MONDAY."""


@pytest.fixture
def week(city: City) -> list[Shift]:
    make_term(city)
    shifts_generate(actor=None, posts=[city.post_a1], start=MONDAY, end=FRIDAY)
    return list(Shift.objects.filter(post=city.post_a1).order_by("starts_at"))


ready = make_ready_member


def the_volunteer(city: City) -> Person:
    """city.person_a1, who has the volunteer login, made able to stand duty."""
    Person.objects.filter(pk=city.person_a1.pk).update(
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
    )
    person = Person.objects.get(pk=city.person_a1.pk)
    availability_set(
        actor=None, person=person, windows=[(d, dt.time(7), dt.time(8)) for d in range(5)]
    )
    return person


def publish(city: City) -> None:
    roster_publish(actor=None, school=city.school_a1, start=MONDAY, end=MONDAY + dt.timedelta(6))


def planned_pairs() -> set[tuple[int, int]]:
    return set(Assignment.objects.planned().values_list("person_id", "shift_id"))


def published_pairs() -> set[tuple[int, int]]:
    return set(Assignment.objects.published().values_list("person_id", "shift_id"))


# --- 1. Draft and published ----------------------------------------------------------------


def test_a_draft_reaches_no_member_page_feed_reminder_or_check_in_until_published(
    city: City, week: list[Shift], login
) -> None:
    member = the_volunteer(city)
    roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)
    mine = Assignment.objects.planned().filter(person=member).select_related("shift__post").first()
    assert mine is not None and not mine.published
    shift = mine.shift
    feed = calendar_feed_issue(actor=None, person=member)
    client = login("volunteer")

    def seen() -> dict[str, bool]:
        page = client.get(reverse("roster:my_shifts")).content.decode()
        ics = client.get(reverse("roster:ical", args=[feed.token])).content.decode()
        gate = gate_read(actor=None, member=member, at=shift.starts_at, post_id=shift.post_id)
        assert gate is not None
        return {
            "page": 'data-testid="assignment"' in page,
            "feed": "BEGIN:VEVENT" in ics,
            "reminder": Notification.objects.filter(
                kind="shift.reminder", user=city.users["volunteer"]
            ).exists(),
            "check-in": gate.assignment_id is not None,
        }

    assert seen() == {"page": False, "feed": False, "reminder": False, "check-in": False}
    publish(city)
    assert seen() == {"page": True, "feed": True, "reminder": True, "check-in": True}
    assert CalendarFeed.objects.count() == 1


def test_a_lead_drop_waits_for_publishing_and_the_grid_counts_it(
    city: City, week: list[Shift], login
) -> None:
    member = the_volunteer(city)
    roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)
    publish(city)
    mine = Assignment.objects.published().filter(person=member).first()
    assert mine is not None
    assignment_drop(actor=city.users["school_lead"], assignment=mine, reason="临时有事")

    assert (member.pk, mine.shift_id) in published_pairs()  # still what the member was told
    changes = week_changes(school=city.school_a1, start=MONDAY, end=FRIDAY)
    assert [a.pk for a in changes.removed] == [mine.pk] and changes.count == 1
    grid = login("school_lead").get(
        reverse("roster:grid", args=[city.school_a1.pk, MONDAY.isoformat()])
    )
    assert "未发布的更改：1 处" in grid.content.decode()

    publish(city)
    assert (member.pk, mine.shift_id) not in published_pairs()
    told = Notification.objects.filter(kind="roster.changed", user=city.users["volunteer"])
    subjects = [n.subject for n in told.order_by("pk")]
    shifts = Assignment.objects.filter(person=member, run__isnull=False).count()
    assert subjects == ["您有新的班次"] * shifts + ["您的排班有变动"]  # one notice per change


# --- 2. A sign-up is a request with an answer -----------------------------------------------


def test_a_sign_up_accepted_by_the_lead_is_seen_once_published(
    city: City, week: list[Shift], login
) -> None:
    member = the_volunteer(city)
    shift = week[2]  # Wednesday 07:00
    member_client = login("volunteer")
    page = member_client.get(reverse("roster:my_shifts"))
    assert shift.pk in {s.pk for s in page.context["open_shifts"]}
    member_client.post(reverse("roster:signup", args=[shift.pk]))
    signup = SignUp.objects.get(person=member, shift=shift)
    assert (signup.status, signup.reserve) == ("pending", False)
    assert "待学校保卫干部审批" in member_client.get(reverse("roster:my_shifts")).content.decode()

    lead = login("school_lead")
    shift_page = lead.get(reverse("roster:shift_lead", args=[shift.pk])).content.decode()
    assert f'data-testid="accept-{signup.pk}"' in shift_page
    lead.post(reverse("roster:signup_answer", args=[signup.pk]), {"answer": "accept"})
    signup.refresh_from_db()
    assert signup.status == "accepted"
    assert (member.pk, shift.pk) in planned_pairs() - published_pairs()
    page = member_client.get(reverse("roster:my_shifts")).content.decode()
    assert "已接受：排班发布后生效" in page and 'data-testid="assignment"' not in page

    publish(city)
    page = member_client.get(reverse("roster:my_shifts")).content.decode()
    assert page.count('data-testid="assignment"') == 1
    assert 'data-testid="signup"' not in page  # shown once, under 已排班


def test_a_sign_up_the_published_week_leaves_out_is_declined_with_a_notice(
    city: City, week: list[Shift]
) -> None:
    member = the_volunteer(city)
    signup = signup_create(actor=None, person=member, shift=week[0])
    publish(city)  # the lead publishes without placing it
    signup.refresh_from_db()
    assert signup.status == "declined" and signup.decided_at is not None
    notice = Notification.objects.get(dedupe_key=f"signup:{signup.pk}:declined")
    assert notice.subject == "本次报名未被安排"


def test_a_solve_places_a_pending_sign_up_and_accepts_it(city: City, week: list[Shift]) -> None:
    member = the_volunteer(city)
    signup = signup_create(actor=None, person=member, shift=week[4])
    roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)
    signup.refresh_from_db()
    assert signup.status == "accepted"
    assert Assignment.objects.planned().get(person=member, shift=week[4]).source == "signup"


def test_a_full_slot_takes_a_reserve_and_an_ineligible_member_is_offered_nothing(
    city: City, week: list[Shift], login
) -> None:
    shift = week[0]
    needed = int(shift.requirements["volunteer"])
    for i in range(needed):
        signup_accept(
            actor=city.users["school_lead"],
            signup=signup_create(actor=None, person=ready(city, f"家长{i}"), shift=shift),
        )
    member = the_volunteer(city)
    client = login("volunteer")
    offered = {
        s.pk: s.reserve for s in client.get(reverse("roster:my_shifts")).context["open_shifts"]
    }
    assert offered[shift.pk] is True and offered[week[2].pk] is False
    reply = client.post(reverse("roster:signup", args=[shift.pk]), follow=True).content.decode()
    assert "候补" in reply
    assert SignUp.objects.get(person=member, shift=shift).reserve

    Person.objects.filter(pk=member.pk).update(training_status="expired")
    page = client.get(reverse("roster:my_shifts"))
    assert page.context["open_shifts"] == []
    assert "培训" in page.content.decode()  # says why nothing is offered


# --- 3. A re-solve changes as little as it can -----------------------------------------------


def test_a_re_solve_after_a_drop_never_puts_the_member_back_at_that_time(
    city: City, week: list[Shift]
) -> None:
    needed = int(week[0].requirements["volunteer"])
    people = [ready(city, f"家长{i}") for i in range(needed)]
    for person in people:  # free on Monday morning only: nobody else could fill the gap
        availability_set(actor=None, person=person, windows=[(0, dt.time(7), dt.time(8))])
    roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)
    publish(city)
    dropped = Assignment.objects.planned().filter(person__in=people).order_by("pk").first()
    assert dropped is not None and dropped.shift == week[0]
    assignment_drop(actor=city.users["school_lead"], assignment=dropped, reason="临时有事")

    roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)

    same_time = Shift.objects.filter(
        starts_at__lt=dropped.shift.ends_at, ends_at__gt=dropped.shift.starts_at
    )
    assert (
        not Assignment.objects.planned().filter(person=dropped.person, shift__in=same_time).exists()
    )


def test_a_re_solve_moves_nothing_published_when_no_gap_forces_it(
    city: City, week: list[Shift]
) -> None:
    for i in range(8):
        ready(city, f"家长{i}")
    roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)
    publish(city)
    before = published_pairs()
    newcomer = ready(
        city, "新来的家长"
    )  # a closer, fresher choice would tempt a from-scratch solve
    Person.objects.filter(pk=newcomer.pk).update(child_school=city.school_a1)

    run = roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)

    assert planned_pairs() >= before  # every published pair kept
    assert week_changes(school=city.school_a1, start=MONDAY, end=FRIDAY).removed == []
    assert run.filled >= len(before)


def test_the_api_gives_members_the_published_roster_and_planners_the_plan_when_asked(
    city: City, week: list[Shift], login
) -> None:
    member = the_volunteer(city)
    roster_solve(actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY)
    mine = Assignment.objects.planned().filter(person=member).count()
    assert mine > 0

    def ids(user: str, query: str = "") -> int:
        response = login(user).get("/api/v1/assignments/" + query)
        assert response.status_code == 200, response.content
        return response.json()["count"]

    assert ids("volunteer") == 0 and ids("volunteer", "?roster=planned") == 0
    assert ids("school_lead") == 0
    assert ids("school_lead", "?roster=planned") == Assignment.objects.planned().count()
    publish(city)
    assert ids("volunteer") == mine


def test_a_planner_answers_a_sign_up_over_the_api_and_a_member_cannot(
    city: City, week: list[Shift], login
) -> None:
    member = the_volunteer(city)
    signup = signup_create(actor=None, person=member, shift=week[0])
    url = f"/api/v1/signups/{signup.pk}/"
    assert login("volunteer").post(url + "accept/").status_code == 404
    assert login("other_lead").post(url + "accept/").status_code == 404
    answered = login("school_lead").post(url + "accept/")
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    again = login("school_lead").post(url + "decline/")
    assert again.status_code in (400, 422) and "已答复" in again.content.decode()


def test_a_kept_row_left_out_as_breaking_a_rule_is_taken_off_the_plan_not_over_filled(
    city: City, week: list[Shift]
) -> None:
    people = [ready(city, f"家长{i}") for i in range(6)]
    lapsed = people[0]
    kept = Assignment.objects.create(
        shift=week[0], person=lapsed, group="volunteer", source="manual", locked=True
    )
    Person.objects.filter(pk=lapsed.pk).update(training_status="expired")

    roster_solve(
        actor=None, place=city.school_a1.unit, start=MONDAY, end=FRIDAY, drop_invalid_pins=True
    )

    kept.refresh_from_db()
    assert kept.dropped_at is not None and kept.drop_reason == "breaks a rule"
    on_shift = Assignment.objects.planned().filter(shift=week[0], group="volunteer").count()
    assert on_shift <= int(week[0].requirements["volunteer"])


def test_a_member_is_not_offered_a_shift_at_a_time_they_are_already_rostered(
    city: City, week: list[Shift], login
) -> None:
    from huxue.posts.services import parse_windows, post_create

    member = the_volunteer(city)
    east = post_create(
        actor=None,
        school=city.school_a1,
        name="东门",
        latitude=city.school_a1.latitude,
        longitude=city.school_a1.longitude,
        windows=parse_windows("07:00-08:00"),
        requirements={"volunteer": 2},
    )
    shifts_generate(actor=None, posts=[east], start=MONDAY, end=FRIDAY)
    Assignment.objects.create(
        shift=week[0], person=member, group="volunteer", source="manual", published=True
    )
    same_time = Shift.objects.get(post=east, starts_at=week[0].starts_at)
    tuesday = Shift.objects.get(post=east, day=MONDAY + dt.timedelta(days=1))

    offered = {
        s.pk for s in login("volunteer").get(reverse("roster:my_shifts")).context["open_shifts"]
    }
    assert same_time.pk not in offered and tuesday.pk in offered


def test_a_school_leads_solve_keeps_the_people_it_cannot_see_and_counts_their_slots(
    city: City, week: list[Shift]
) -> None:
    officer = make_person(
        city,
        unit=city.station_a,
        name="民警甲",
        force_type="police",
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
    )
    placed = Assignment.objects.create(
        shift=week[0], person=officer, group="police", source="solver", published=True
    )
    for i in range(4):
        ready(city, f"家长{i}")

    run = roster_solve(
        actor=city.users["school_lead"], place=city.school_a1.unit, start=MONDAY, end=FRIDAY
    )

    placed.refresh_from_db()
    assert placed.dropped_at is None  # the station's officer stays where the station put him
    police = Assignment.objects.planned().filter(shift=week[0], group="police").count()
    assert police == int(week[0].requirements["police"])  # not over-filled
    assert (
        run.filled
        >= 1 + Assignment.objects.planned().filter(person__name__startswith="家长").count()
    )
