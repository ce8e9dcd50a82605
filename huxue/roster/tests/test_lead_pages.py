"""The lead pages: week grid, solve and publish, solver runs, hand edits, scope, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huxue.core.models import AuditEvent
from huxue.notify.models import Notification
from huxue.people.models import Person
from huxue.posts.services import parse_windows, post_create
from huxue.roster.models import Assignment, RosterRun, RosterVersion, Shift, SignUp
from huxue.roster.planning import explain_text
from huxue.roster.services import shifts_generate
from huxue.testing import (
    ROSTER_MONDAY,
    ROSTER_NOW,
    City,
    make_ready_member,
    make_term,
)

MONDAY = ROSTER_MONDAY
FRIDAY = MONDAY + dt.timedelta(days=4)
NOW = ROSTER_NOW


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW."""


@pytest.fixture
def week(city: City) -> list[Shift]:
    make_term(city)
    shifts_generate(actor=None, posts=[city.post_a1, city.post_b1], start=MONDAY, end=FRIDAY)
    return list(Shift.objects.filter(post=city.post_a1).order_by("starts_at"))


ready = make_ready_member


def grid_url(city: City, monday: dt.date = MONDAY) -> str:
    return reverse("roster:grid", args=[city.school_a1.pk, monday.isoformat()])


def _assign(shift: Shift, person: Person, **extra) -> Assignment:  # type: ignore[no-untyped-def]
    return Assignment.objects.create(
        shift=shift, person=person, group=person.force_group, source="manual", **extra
    )


def test_the_grid_shows_posts_by_windows_and_days_with_fill_states(
    city: City, login, week: list[Shift]
) -> None:
    first, second = week[0], week[1]  # Monday morning and afternoon
    people = [ready(city, "警察", "police"), ready(city, "保安", "guard")]
    people += [ready(city, f"家长{i}", "parent") for i in range(2)]
    for person in people:
        _assign(first, person, locked=person.name == "保安")
    _assign(second, people[2])
    SignUp.objects.create(person=people[3], shift=second)

    response = login("school_lead").get(grid_url(city))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 2  # one post × two windows; school_b1's post is not here
    assert [len(r["cells"]) for r in rows] == [5, 5]
    morning, afternoon = rows[0]["cells"][0], rows[1]["cells"][0]
    assert (morning["state"], morning["filled"], morning["need"], morning["locked"]) == (
        "full",
        4,
        4,
        1,
    )
    assert (afternoon["state"], afternoon["signups"]) == ("partly", 1)
    assert rows[0]["cells"][1]["state"] == "empty"
    html = response.content.decode()
    assert f'data-testid="cell-{first.pk}" data-state="full"' in html
    assert "家长0" in html and 'data-icon="lock"' in html
    assert "🔒" not in html  # an icon that needs no emoji font
    assert people[0].phone not in html  # names are shown; phones never
    previous = reverse("roster:grid", args=[city.school_a1.pk, "2026-11-30"])
    following = reverse("roster:grid", args=[city.school_a1.pk, "2026-12-14"])
    assert previous in html and following in html


def test_a_day_inside_the_week_redirects_to_its_monday(city: City, login, week) -> None:  # type: ignore[no-untyped-def]
    response = login("school_lead").get(grid_url(city, MONDAY + dt.timedelta(days=2)))
    assert response.status_code == 302 and response.url == grid_url(city)
    assert (
        login("school_lead").get(grid_url(city).replace("2026-12-07", "nonsense")).status_code
        == 404
    )


@pytest.mark.parametrize("user", ["other_lead", "volunteer", "education", "stranger"])
def test_people_outside_the_school_or_without_planning_rights_get_404(
    city: City, login, week: list[Shift], user: str
) -> None:
    client = login(user)
    assert client.get(grid_url(city)).status_code == 404
    assert client.post(grid_url(city) + "solve/").status_code == 404
    assert client.post(grid_url(city) + "publish/").status_code == 404
    assert client.get(reverse("roster:shift_lead", args=[week[0].pk])).status_code == 404
    assert not RosterRun.objects.exists() and not RosterVersion.objects.exists()


def test_station_and_bureau_planners_see_the_grid_of_their_schools(
    city: City, login, week: list[Shift]
) -> None:
    assert login("station_officer").get(grid_url(city)).status_code == 200
    assert login("city_admin").get(grid_url(city)).status_code == 200
    b1 = reverse("roster:grid", args=[city.school_b1.pk, MONDAY.isoformat()])
    assert login("station_officer").get(b1).status_code == 404  # station_b's school


def test_anonymous_visitors_are_sent_to_sign_in(city: City, client, week) -> None:  # type: ignore[no-untyped-def]
    response = client.get(grid_url(city))
    assert response.status_code == 302 and "login" in response.url


def test_solve_runs_the_solver_for_the_school_week_and_shows_the_run(
    city: City, login, week: list[Shift]
) -> None:
    for i in range(3):
        ready(city, f"家长{i}", "parent")
    client = login("school_lead")

    response = client.post(grid_url(city) + "solve/")

    run = RosterRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("roster:run", args=[run.pk])
    assert (run.unit, run.start, run.end) == (city.school_a1.unit, MONDAY, MONDAY + dt.timedelta(6))
    assert run.slots == 40 and run.filled > 0
    assert Assignment.objects.filter(run=run, shift__post=city.post_a1).count() == run.filled
    page = client.get(response.url)
    assert page.status_code == 200
    unfilled = page.context["unfilled"]
    assert len(unfilled) == len(run.unfilled) > 0
    reason, suggestion = explain_text(run.unfilled[0])
    assert (unfilled[0]["reason"], unfilled[0]["suggestion"]) == (reason, suggestion)
    html = page.content.decode()
    assert str(run.slots) in html and 'data-testid="run-figures"' in html
    # the grid now links to the run
    assert page.context["run"] == client.get(grid_url(city)).context["last_run"]


def test_another_school_lead_cannot_see_the_run(city: City, login, week: list[Shift]) -> None:
    login("school_lead").post(grid_url(city) + "solve/")
    run = RosterRun.objects.get()
    assert login("other_lead").get(reverse("roster:run", args=[run.pk])).status_code == 404
    assert login("volunteer").get(reverse("roster:run", args=[run.pk])).status_code == 404


def test_publish_makes_a_new_version_and_the_grid_shows_its_number(
    city: City, login, week: list[Shift]
) -> None:
    person = ready(city, "家长", "parent")
    _assign(week[0], person)
    client = login("school_lead")
    assert "未发布的更改：1" in client.get(grid_url(city)).content.decode()
    preview = client.get(grid_url(city) + "publish/").content.decode()
    assert "家长" in preview and "发布后将有 1 / " in preview

    assert client.post(grid_url(city) + "publish/").status_code == 302
    refused = client.post(grid_url(city) + "publish/", follow=True).content.decode()
    assert "自第 1 版发布以来没有更改" in refused  # nothing to publish: no empty version
    assert 'data-testid="unpublished"' not in client.get(grid_url(city)).content.decode()
    other = ready(city, "家长二", "parent")
    _assign(week[1], other)
    assert client.post(grid_url(city) + "publish/").status_code == 302

    versions = list(RosterVersion.objects.filter(school=city.school_a1).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].snapshot == sorted(
        [[week[0].pk, person.pk, "volunteer"], [week[1].pk, other.pk, "volunteer"]]
    )
    response = client.get(grid_url(city))
    assert response.context["version"] == versions[1]
    assert 'data-testid="version"' in response.content.decode()


def test_a_lead_adds_a_member_as_a_locked_manual_assignment(
    city: City, login, week: list[Shift]
) -> None:
    person = ready(city, "家长", "parent")
    client = login("school_lead")
    page = client.get(reverse("roster:shift_lead", args=[week[0].pk]))
    volunteers = next(g for g in page.context["ranked"] if g["group"] == "volunteer")
    assert [c.person_id for c in volunteers["people"]] == [person.pk]

    response = client.post(reverse("roster:assign", args=[week[0].pk]), {"person": person.pk})

    assert response.status_code == 302
    a = Assignment.objects.get(shift=week[0], person=person)
    assert (a.source, a.locked, a.dropped_at) == ("manual", True, None)
    assert AuditEvent.objects.filter(action="assignment.manual").count() == 1


def test_a_lead_cannot_add_an_ineligible_member(city: City, login, week: list[Shift]) -> None:
    unvetted = city.person_a1  # not vetted
    client = login("school_lead")
    client.post(reverse("roster:assign", args=[week[0].pk]), {"person": unvetted.pk})
    assert not Assignment.objects.exists()


def test_a_lead_cannot_add_to_another_schools_shift(city: City, login, week: list[Shift]) -> None:
    person = ready(city, "家长", "parent")
    response = login("other_lead").post(
        reverse("roster:assign", args=[week[0].pk]), {"person": person.pk}
    )
    assert response.status_code == 404
    assert not Assignment.objects.exists()


def test_a_lead_takes_a_member_off_with_a_reason_and_locks_and_unlocks(
    city: City, login, week: list[Shift]
) -> None:
    person = ready(city, "家长", "parent")
    Person.objects.filter(pk=city.person_a1.pk).update(user=None)
    Person.objects.filter(pk=person.pk).update(user=city.users["volunteer"])
    a = _assign(week[0], person, published=True)
    client = login("school_lead")

    client.post(reverse("roster:lock", args=[a.pk]), {"locked": "1"})
    a.refresh_from_db()
    assert a.locked
    client.post(reverse("roster:lock", args=[a.pk]), {"locked": "0"})
    a.refresh_from_db()
    assert not a.locked

    client.post(reverse("roster:drop", args=[a.pk]), {"reason": ""})
    a.refresh_from_db()
    assert a.dropped_at is None  # a reason is required
    client.post(reverse("roster:drop", args=[a.pk]), {"reason": "生病"})
    a.refresh_from_db()
    assert a.dropped_at == NOW and a.drop_reason == "生病"
    assert a.published  # members see the published roster until the lead publishes the change
    assert not Notification.objects.filter(kind="roster.changed").exists()
    client.post(grid_url(city) + "publish/")
    told = Notification.objects.get(kind="roster.changed", user=city.users["volunteer"])
    assert told.subject == "您的排班有变动" and "执勤已取消" in told.body
    actions = AuditEvent.objects.filter(action__startswith="assignment.").order_by("pk")
    assert [e.action for e in actions] == [
        "assignment.lock",
        "assignment.unlock",
        "assignment.drop",
    ]


def test_other_leads_and_members_cannot_drop_or_lock(city: City, login, week: list[Shift]) -> None:
    a = _assign(week[0], ready(city, "家长", "parent"))
    for user in ("other_lead", "volunteer"):
        client = login(user)
        assert client.post(reverse("roster:drop", args=[a.pk]), {"reason": "x"}).status_code == 404
        assert client.post(reverse("roster:lock", args=[a.pk]), {"locked": "1"}).status_code == 404
    a.refresh_from_db()
    assert a.dropped_at is None and not a.locked


def test_after_a_drop_the_lead_assigns_a_ranked_substitute_with_one_click(
    city: City, login, week: list[Shift]
) -> None:
    leaving = ready(city, "离开", "parent")
    keeping = ready(city, "留下", "parent")
    busy = ready(city, "忙碌", "parent")
    free = ready(city, "空闲", "parent")
    _assign(week[0], leaving)
    _assign(week[0], keeping)
    _assign(week[2], busy)  # Tuesday morning: one shift that week already
    client = login("school_lead")
    drop = Assignment.objects.get(person=leaving)
    client.post(reverse("roster:drop", args=[drop.pk]), {"reason": "临时有事"})

    page = client.get(reverse("roster:shift_lead", args=[week[0].pk]))
    volunteers = next(g for g in page.context["ranked"] if g["group"] == "volunteer")
    ranked = [c.person_id for c in volunteers["people"]]
    assert ranked.index(free.pk) < ranked.index(busy.pk)
    assert keeping.pk not in ranked  # already on the shift
    assert "临时有事" in page.content.decode()

    client.post(reverse("roster:assign", args=[week[0].pk]), {"person": free.pk, "substitute": "1"})
    sub = Assignment.objects.get(person=free, dropped_at__isnull=True)
    assert (sub.shift, sub.source, sub.locked) == (week[0], "substitute", True)
    index = login("school_lead").get(reverse("roster:lead"))
    assert [a.pk for a in index.context["drops"]] == [drop.pk]


def test_the_nav_shows_rosters_to_planners_only(city: City, login, week) -> None:  # type: ignore[no-untyped-def]
    url = reverse("roster:lead")
    assert url in login("school_lead").get(url).content.decode()
    assert login("volunteer").get(url).status_code == 404
    home = login("volunteer").get(reverse("roster:my_shifts")).content.decode()
    assert url not in home


def _grid_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_grid_costs_the_same_queries_for_one_post_or_many(
    city: City, login, week: list[Shift], django_assert_max_num_queries
) -> None:
    people = [ready(city, f"家长{i}", "parent") for i in range(2)]
    for shift in week:
        _assign(shift, people[0])
    client = login("school_lead")
    one_post = _grid_queries(client, grid_url(city))

    for name in ("北门", "东门", "西门"):
        post = post_create(
            actor=None,
            school=city.school_a1,
            name=name,
            latitude=city.school_a1.latitude,
            longitude=city.school_a1.longitude,
            windows=parse_windows("07:00-08:00, 15:30-17:00"),
            requirements={"guard": 1, "volunteer": 2},
        )
        shifts_generate(actor=None, posts=[post], start=MONDAY, end=FRIDAY)
        for shift in Shift.objects.filter(post=post):
            _assign(shift, people[1]) if shift.start.hour == 7 else None
    many_posts = _grid_queries(client, grid_url(city))

    assert many_posts == one_post
    with django_assert_max_num_queries(one_post):
        client.get(grid_url(city))


def test_on_a_weekend_the_planner_starts_from_next_week(city: City, login) -> None:  # type: ignore[no-untyped-def]
    response = login("school_lead").get(reverse("roster:lead"))
    assert response.context["monday"] == dt.date(2026, 11, 30)  # ROSTER_NOW is a Saturday


def test_a_member_added_after_publishing_is_told_and_reminded_once_the_change_is_published(
    city: City, login, week: list[Shift]
) -> None:  # type: ignore[no-untyped-def]
    from huxue.people.services import person_link_user
    from huxue.roster.planning import roster_publish
    from huxue.testing import make_user

    before = ready(city, "早到", "parent")
    person_link_user(
        actor=None, person=before, user=make_user("early", "member", unit=city.school_a1.unit)
    )
    client = login("school_lead")
    client.post(reverse("roster:assign", args=[week[0].pk]), {"person": before.pk})
    assert not Notification.objects.filter(kind="shift.reminder").exists()  # not published yet

    roster_publish(
        actor=None, school=city.school_a1, start=MONDAY, end=MONDAY + dt.timedelta(days=4)
    )
    assert Notification.objects.filter(kind="shift.reminder", user__username="early").count() == 1

    later = ready(city, "后到", "parent")
    person_link_user(
        actor=None, person=later, user=make_user("late", "member", unit=city.school_a1.unit)
    )
    client.post(reverse("roster:assign", args=[week[1].pk]), {"person": later.pk})
    assert not Notification.objects.filter(user__username="late").exists()  # a plan, unpublished
    client.post(grid_url(city) + "publish/")
    assert Notification.objects.get(kind="roster.changed", user__username="late")
    reminder = Notification.objects.get(kind="shift.reminder", user__username="late")
    assert reminder.due_at < week[1].starts_at
