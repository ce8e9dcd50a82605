"""The records a walk through every page needs, built with the test factories in the live
server's database, and the pages each role walks.

The clock is the rostering tests' ROSTER_NOW (Saturday 2026-11-28, 09:00 in Shanghai): the
member has a shift at the gate now (08:30–10:00), a call-out for later that morning, rostered
shifts the week of ROSTER_MONDAY (one a colleague could take, one nobody could, one already asked
about), a pending sign-up, open shifts to sign up for, a special date and a past check-in; the
lead has a solver run, a closure, a swap to decide and a shift to call the roll on.

A page added later (an inbox, a my-hours page) is one line in MEMBER_PAGES or ROLE_PAGES.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from huxue.calendar.models import Closure
from huxue.calendar.services import closure_create
from huxue.duty.alerts.services import callout_create
from huxue.duty.models import CallOut, CheckIn
from huxue.notify.dispatch import dispatch_pass
from huxue.notify.models import InboxMessage
from huxue.orgs.models import User
from huxue.people.forces import ForceType
from huxue.people.models import Person
from huxue.posts.models import Post
from huxue.posts.services import parse_windows, post_create
from huxue.roster.models import Assignment, RosterRun, Shift
from huxue.roster.planning import roster_solve
from huxue.roster.services import (
    availability_exception_set,
    availability_set,
    shifts_generate,
    signup_create,
)
from huxue.roster.swaps import swap_request
from huxue.supervision.hazards import hazard_report, hazard_step
from huxue.supervision.models import Hazard, InspectionRound
from huxue.supervision.services import round_answer, round_start, round_submit
from huxue.testing import (
    ROSTER_MONDAY,
    ROSTER_NOW,
    City,
    local_at,
    make_person,
    make_ready_member,
    make_shift,
    make_term,
    make_user,
)

TODAY = dt.date(2026, 11, 28)  # ROSTER_NOW's day in Shanghai, a Saturday
MORNING = [(d, dt.time(7), dt.time(8)) for d in range(5)]


@dataclass
class World:
    city: City
    member: Person
    colleague: Person
    today_shift: Shift  # the member's shift at the gate now
    callout: CallOut  # the member is asked to come to the north gate at 10:15
    swap_mine: Assignment  # a colleague is free to take it: the swap form
    release_mine: Assignment  # nobody is free: the release form
    north_post: Post
    run: RosterRun
    closure: Closure
    message: InboxMessage  # the call-out's notice in the member's inbox
    round: InspectionRound  # the inspector's round at the south gate, 看设施 failed
    hazard: Hazard  # raised from it, assigned to the school


def _rostered(shift: Shift, person: Person) -> Assignment:
    return Assignment.objects.create(
        published=True, shift=shift, person=person, group=person.force_group, source="manual"
    )


def build_world(city: City) -> World:
    """Call under the frozen clock (the roster_now fixture)."""
    assert ROSTER_NOW.date() == TODAY
    make_term(city)
    school = city.school_a1
    monday = ROSTER_MONDAY
    member = Person.objects.get(pk=city.person_a1.pk)
    Person.objects.filter(pk=member.pk).update(
        vetting_status="passed",
        vetted_on=dt.date(2026, 9, 1),
        training_status="trained",
        trained_on=dt.date(2026, 9, 2),
    )
    member.refresh_from_db()
    availability_set(
        actor=None,
        person=member,
        windows=MORNING + [(d, dt.time(15), dt.time(17)) for d in range(5)],
    )
    availability_exception_set(
        actor=None, person=member, day=TODAY + dt.timedelta(days=3), available=False, note="出差"
    )
    # A colleague of the same school and force group, free only in the mornings.
    colleague = make_ready_member(city, "赵敏", force_type=member.force_type)
    availability_set(actor=None, person=colleague, windows=MORNING)
    Person.objects.filter(pk=colleague.pk).update(
        user=make_user("zhaomin", "member", unit=school.unit)
    )

    # Members not yet cleared to stand at a gate: every state the people list shows.
    make_person(city, unit=school.unit, name="钱多", force_type=ForceType.PARENT)
    make_person(
        city,
        unit=school.unit,
        name="孙立",
        force_type=ForceType.GUARD,
        vetting_status="failed",
        training_status="expired",
        trained_on=dt.date(2024, 9, 2),
    )

    shifts_generate(actor=None, posts=[city.post_a1], start=monday, end=monday + dt.timedelta(4))

    def shift_at(days: int, hour: int, minute: int = 0) -> Shift:
        return Shift.objects.get(
            post=city.post_a1, day=monday + dt.timedelta(days), start=dt.time(hour, minute)
        )

    volunteer = User.objects.get(username="volunteer")
    # A long account name, as the demo's are: the header cuts it rather than widen the page.
    User.objects.filter(pk=volunteer.pk).update(
        display_name="七台河市第六小学家长志愿者（演示账号）"
    )
    signup_create(actor=volunteer, person=member, shift=shift_at(2, 7))
    # Rostered by hand past the member's weekly cap of sign-ups (a lead may).
    swap_mine = _rostered(shift_at(0, 7), member)
    release_mine = _rostered(shift_at(1, 15, 30), member)
    asked = _rostered(shift_at(4, 7), member)
    swap_request(actor=volunteer, assignment=asked, colleague=colleague, note="出差")

    # Now at the gate: the member's shift at the south gate, a call-out to the north gate after it.
    today_shift = make_shift(city.post_a1, day=TODAY, start=dt.time(8, 30), end=dt.time(10))
    _rostered(today_shift, member)
    north_post = post_create(
        actor=None,
        school=school,
        name="北门",
        latitude=school.latitude,
        longitude=school.longitude,
        windows=parse_windows("07:00-08:00, 15:30-17:00"),
        requirements={"volunteer": 2},
    )
    north_later = make_shift(north_post, day=TODAY, start=dt.time(10, 15), end=dt.time(11))
    lead = User.objects.get(username="school_lead")
    callout = callout_create(actor=lead, shift=north_later, person=member)
    # The outbox delivers the call-out's notice: it is in the member's inbox.
    dispatch_pass(now=ROSTER_NOW)
    message = InboxMessage.objects.get(user=volunteer, link__contains=f"/{callout.pk}/")

    # Last Thursday's check-in, for the person-times pages.
    thursday = TODAY - dt.timedelta(days=2)
    past = make_shift(city.post_a1, day=thursday, start=dt.time(7), end=dt.time(8))
    at = local_at(thursday, 6, 55)
    CheckIn.objects.create(
        person=member,
        post=city.post_a1,
        shift=past,
        group=member.force_group,
        force_type=member.force_type,
        day=thursday,
        method=CheckIn.Method.QR,
        at=at,
        server_at=at,
        checked_out_at=at + dt.timedelta(minutes=70),
        checkout_method=CheckIn.Checkout.SELF,
    )

    # The week after: a solver run the lead has not published.
    later = monday + dt.timedelta(days=7)
    shifts_generate(actor=None, posts=[city.post_a1], start=later, end=later + dt.timedelta(4))
    run = roster_solve(actor=lead, place=school.unit, start=later, end=later + dt.timedelta(4))
    closure = closure_create(
        actor=lead,
        school=school,
        start=dt.date(2026, 12, 24),
        end=dt.date(2026, 12, 25),
        reason=Closure.Reason.EXAM,
        note="期末考试",
    )
    # The inspector's round at the south gate: 看设施 failed, raised as a hazard, which the
    # station assigned to the school.
    inspector = User.objects.get(username="inspector")
    round_ = round_start(actor=inspector, post=city.post_a1)
    for answer in round_.answers.select_related("item"):
        if answer.item.auto:
            continue
        failed = answer.item.title == "看设施"
        round_answer(
            actor=inspector,
            round=round_,
            item=answer.item,
            result="fail" if failed else "pass",
            note="南门防冲撞护栏倒伏" if failed else "",
        )
    round_submit(actor=inspector, round=round_)
    hazard = hazard_report(
        actor=inspector,
        school=school,
        post=city.post_a1,
        title="南门防冲撞护栏倒伏",
        category=Hazard.Category.FACILITIES,
        grade=Hazard.Grade.GENERAL,
        answer=round_.answers.get(item__title="看设施"),
    )
    hazard = hazard_step(
        actor=User.objects.get(username="station_officer"),
        hazard=hazard,
        step="assign",
        version=hazard.version,
        responsible=school.unit,
        deadline=TODAY + dt.timedelta(days=7),
        requirement="三日内扶正并加固",
    )
    return World(
        city=city,
        member=member,
        colleague=colleague,
        today_shift=today_shift,
        callout=callout,
        swap_mine=swap_mine,
        release_mine=release_mine,
        north_post=north_post,
        run=run,
        closure=closure,
        message=message,
        round=round_,
        hazard=hazard,
    )


# ---- the pages -----------------------------------------------------------------------------

UrlOf = Callable[[World], str]


def _url(name: str, *args: Callable[[World], object]) -> UrlOf:
    return lambda w: reverse(name, args=[arg(w) for arg in args])


LOGIN = "/login/"
NOT_FOUND = "/no-such-page/"

# The member's phone: every page of the navigation and those one click away; the login page is
# opened signed out (SIGNED_OUT).
MEMBER_PAGES: dict[str, UrlOf] = {
    "home": _url("home"),
    "today": _url("duty:today"),
    "my-shifts": _url("roster:my_shifts"),
    "availability": _url("roster:availability"),
    "swap-form": _url("roster:swap_ask", lambda w: w.swap_mine.pk),
    "release-form": _url("roster:swap_ask", lambda w: w.release_mine.pk),
    "callout": _url("duty:callout", lambda w: w.callout.pk),
    "qr-landing": _url("posts:qr_landing", lambda w: w.city.post_a1.qr_token),
    "password": _url("password_change"),
    "login": lambda w: LOGIN,
    "people": _url("people:list"),
    "own-record": _url("people:detail", lambda w: w.member.pk),
    "person-times": _url("duty:stats"),
    "my-hours": _url("duty:my_hours"),
    "inbox": _url("notify:inbox"),
    "message": _url("notify:message", lambda w: w.message.pk),
    "not-found": lambda w: NOT_FOUND,
}


SIGNED_OUT = frozenset({LOGIN})


def member_urls(world: World) -> list[str]:
    """Every page a member opens on the phone."""
    return [url_of(world) for url_of in MEMBER_PAGES.values()]


# Every page of the other roles: their navigation and the pages one click away.
PAGES: dict[str, UrlOf] = {
    "home": _url("home"),
    "login": lambda w: LOGIN,
    "not-found": lambda w: NOT_FOUND,
    "password": _url("password_change"),
    "board": _url("duty:board"),
    "alerts": _url("duty:alerts"),
    "people": _url("people:list"),
    "person": _url("people:detail", lambda w: w.member.pk),
    "person-new": _url("people:create"),
    "person-edit": _url("people:edit", lambda w: w.member.pk),
    "schools": _url("posts:school_list"),
    "school": _url("posts:school_detail", lambda w: w.city.school_a1.pk),
    "school-new": _url("posts:school_create"),
    "post-new": _url("posts:post_create", lambda w: w.city.school_a1.pk),
    "posts": _url("posts:post_list"),
    "post": _url("posts:post_detail", lambda w: w.city.post_a1.pk),
    "post-edit": _url("posts:post_edit", lambda w: w.city.post_a1.pk),
    "poster": _url("posts:post_poster", lambda w: w.city.post_a1.pk),
    "qr-landing": _url("posts:qr_landing", lambda w: w.city.post_a1.qr_token),
    "imports": _url("imports:index"),
    "calendar": _url("calendar:index"),
    "arrangement-new": _url("calendar:arrangement"),
    "term-new": _url("calendar:term_create"),
    "closure-new": _url("calendar:closure_create"),
    "closure": _url("calendar:closure_detail", lambda w: w.closure.pk),
    "rosters": _url("roster:lead"),
    "week": _url("roster:grid", lambda w: w.city.school_a1.pk, lambda w: ROSTER_MONDAY.isoformat()),
    "shift-plan": _url("roster:shift_lead", lambda w: w.swap_mine.shift_id),
    "solver-run": _url("roster:run", lambda w: w.run.pk),
    "swaps": _url("roster:swaps"),
    "shift-now": _url("duty:shift", lambda w: w.today_shift.pk),
    "person-times": _url("duty:stats"),
    "check-ins": _url("duty:checkins"),
    "city-rules": _url("city_rules"),
    "audit": _url("audit:list"),
    "inbox": _url("notify:inbox"),
    "supervision": _url("supervision:home"),
    "rounds": _url("supervision:rounds"),
    "round": _url("supervision:round", lambda w: w.round.pk),
    "hazards": _url("supervision:hazards"),
    "hazard": _url("supervision:hazard", lambda w: w.hazard.pk),
    "hazard-new": _url("supervision:hazard_new"),
    "ranking": _url("supervision:ranking"),
    "admin": lambda w: "/admin/",
    "admin-orgs": lambda w: "/admin/orgs/",
    "admin-audit-app": lambda w: "/admin/core/",
    "admin-audit": lambda w: "/admin/core/auditevent/",
    "admin-units": lambda w: "/admin/orgs/unit/",
    "admin-users": lambda w: "/admin/orgs/user/",
    "admin-memberships": lambda w: "/admin/orgs/membership/",
}

_EVERYONE = ["home", "password", "inbox", "qr-landing", "not-found"]
_LEAD_PLACES = ["people", "person", "schools", "school", "posts", "post"]
_WATCHER = ["board", "alerts", "imports", "calendar", "closure", "solver-run", "shift-now"]
_FIGURES = ["person-times", "check-ins", "city-rules"]
_PLANNER = ["rosters", "week", "shift-plan", "swaps", "person-new", "person-edit"]
_POSTS_KEEPER = ["post-new", "post-edit", "poster"]
_SUPERVISION = ["supervision", "rounds", "round", "hazards", "hazard", "hazard-new", "ranking"]

# Role (a user of the test city) → the pages it walks, signed in; every role also opens the login
# page signed out. The member walks MEMBER_PAGES.
ROLE_PAGES: dict[str, list[str]] = {
    "school_lead": [*_EVERYONE, *_LEAD_PLACES, *_WATCHER, *_FIGURES, *_PLANNER, *_POSTS_KEEPER]
    + ["closure-new", *_SUPERVISION],
    "station_officer": [*_EVERYONE, *_LEAD_PLACES, *_WATCHER, *_FIGURES, *_PLANNER]
    + [*_POSTS_KEEPER, "school-new", *_SUPERVISION],
    "city_admin": [*_EVERYONE, *_LEAD_PLACES, *_WATCHER, *_FIGURES, *_PLANNER, *_POSTS_KEEPER]
    + ["school-new", "arrangement-new", "term-new", "closure-new", *_SUPERVISION],
    "education": [*_EVERYONE, *_LEAD_PLACES, *_WATCHER, *_FIGURES]
    + ["school-new", "arrangement-new", "term-new", "closure-new", *_SUPERVISION],
    "inspector": [*_EVERYONE, *_LEAD_PLACES, *_WATCHER, *_FIGURES, *_SUPERVISION],
    "sysadmin": [*_EVERYONE, "admin", "admin-orgs", "admin-units", "admin-users"],
    "secadmin": [*_EVERYONE, "admin", "admin-orgs", "admin-units", "admin-users"]
    + ["admin-memberships"],
    "auditor": [*_EVERYONE, "audit", "admin", "admin-audit-app", "admin-audit"],
}
