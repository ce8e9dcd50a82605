"""The full demo city, built once for this module and rolled back at its end."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, F
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from huxue.calendar.models import Closure
from huxue.core import audit
from huxue.core.models import AuditEvent
from huxue.core.validators import validate_id_number, validate_phone
from huxue.demo import data
from huxue.demo.builder import Outcome, build_city
from huxue.demo.builder.people import plan_people
from huxue.demo.builder.places import plan_places
from huxue.demo.builder.summary import city_counts, login_lines, write_summary
from huxue.demo.builder.users import DEMO_LOGINS, PASSWORD
from huxue.duty.models import CheckIn
from huxue.orgs.models import Region, Unit, User
from huxue.orgs.roles import Role
from huxue.people.forces import VOLUNTEER_TYPES
from huxue.people.models import Consent, Person
from huxue.people.services import id_index_of, phone_index_of
from huxue.posts.models import DutyWindow, Post, School, StaffingRequirement
from huxue.posts.services import post_void
from huxue.testing import empty_tables

SEED = data.DEFAULT_SEED
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Built:
    outcome: Outcome
    output: str


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Built]:
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER),
        mock.patch.object(timezone, "now", lambda: NOW),  # the roster week follows "today"
        transaction.atomic(),
    ):
        empty_tables()  # the session's test city holds the demo's region codes
        out = io.StringIO()
        outcome = build_city(seed=SEED, stdout=out)
        # Check the deferred foreign keys of the build's rows once, here: left pending, each
        # test's end would check them all again (on PostgreSQL some 15 s a test).
        connection.check_constraints()
        yield Built(outcome, out.getvalue())
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.slow]
NOW = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)


def test_the_build_reports_what_it_wrote(demo: Built) -> None:
    assert demo.outcome.built
    assert demo.outcome.seed == SEED
    assert "222" in demo.output


def test_the_city_has_exactly_222_posts_each_with_windows_and_staffing(demo: Built) -> None:
    assert Post.objects.filter(voided_at__isnull=True).count() == 222
    assert city_counts().posts == 222
    assert not Post.objects.filter(windows__isnull=True).exists()
    assert not Post.objects.filter(requirements__isnull=True).exists()
    assert DutyWindow.objects.filter(weekday__gte=5).count() == 0
    assert (
        StaffingRequirement.objects.filter(group="police", minimum=1).count()
        == School.objects.count()
    )


def test_the_regions_carry_their_codes_under_the_city(demo: Built) -> None:
    city = Region.objects.get(code="230900")
    assert city.name == "七台河市"
    districts = dict(Region.objects.filter(parent=city).values_list("code", "name"))
    assert districts == {
        "230902": "新兴区",
        "230903": "桃山区",
        "230904": "茄子河区",
        "230921": "勃利县",
    }
    assert city_counts().regions == 5


def test_the_county_bureau_is_under_the_city_bureau(demo: Built) -> None:
    county = Unit.objects.get(name="勃利县公安局")
    assert county.parent is not None and county.parent.name == "七台河市公安局"
    assert county.region.code == "230921"
    assert Unit.objects.filter(kind=Unit.Kind.STATION, path__startswith=county.path).count() >= 3


def test_the_pilot_school_exists_under_a_station_in_xinxing(demo: Built) -> None:
    pilot = School.objects.select_related("unit__region", "station").get(
        unit__name="七台河市第六小学"
    )
    assert pilot.unit.region.code == "230902"
    assert pilot.station.kind == Unit.Kind.STATION
    assert pilot.unit.parent_id == pilot.station_id
    assert pilot.posts.count() >= 1


def test_every_school_is_under_its_station_in_its_district(demo: Built) -> None:
    assert School.objects.count() == 100
    assert not School.objects.exclude(unit__parent=F("station")).exists()
    assert not School.objects.exclude(station__region=F("unit__region")).exists()


def test_coordinates_lie_near_the_city_centre_or_the_county_seat(demo: Built) -> None:
    for lat, lon, code in Post.objects.values_list(
        "latitude", "longitude", "school__unit__region__code"
    ):
        centre = (45.75, 130.57) if code == "230921" else (45.77, 131.00)
        assert abs(float(lat) - centre[0]) < 0.5 and abs(float(lon) - centre[1]) < 0.5


def test_there_are_at_least_3000_members_with_valid_unique_ids(demo: Built) -> None:
    people = Person.objects.filter(voided_at__isnull=True)
    assert people.count() >= 3000
    assert people.values("id_index").distinct().count() == people.count()
    for person in people.order_by("?")[:200]:
        assert validate_id_number(person.id_number) == person.id_number
        assert validate_phone(person.phone) == person.phone
        assert person.id_index == id_index_of(person.id_number)
        assert person.phone_index == phone_index_of(person.phone)


def test_no_plaintext_id_or_phone_is_stored(demo: Built) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, id_number, phone FROM people_person")
        stored = {
            pk: (id_cipher, phone_cipher) for pk, id_cipher, phone_cipher in cursor.fetchall()
        }
    plain = {p.pk: (p.id_number, p.phone) for p in Person.objects.all()}
    assert stored.keys() == plain.keys()
    for pk, (id_number, phone) in plain.items():
        id_cipher, phone_cipher = stored[pk]
        assert id_cipher.startswith("v") and phone_cipher.startswith("v")
        assert id_number not in id_cipher and phone not in phone_cipher
        assert id_number[6:14] not in id_cipher  # not even the birth date


def test_the_database_holds_exactly_the_planned_people(demo: Built) -> None:
    planned = {(p.name, p.id_number, p.force_type) for p in plan_people(SEED, plan_places(SEED))}
    stored = {(p.name, p.id_number, p.force_type) for p in Person.objects.all()}
    assert stored == planned


def test_every_volunteer_has_one_consent_record(demo: Built) -> None:
    volunteers = Person.objects.filter(force_type__in=list(VOLUNTEER_TYPES))
    assert Consent.objects.count() == volunteers.count()
    assert not volunteers.filter(consents__isnull=True).exists()
    assert set(Consent.objects.values_list("text_version", flat=True)) == {"2019-v1", "2021-v2"}


def test_parents_name_their_childs_school(demo: Built) -> None:
    parents = Person.objects.filter(force_type="parent")
    assert parents.exists()
    assert not parents.filter(child_school__isnull=True).exists()
    assert not parents.exclude(child_school__unit=F("unit")).exists()


def test_there_is_one_demo_login_per_role(demo: Built) -> None:
    roles = {login.username: login.role for login in DEMO_LOGINS}
    assert set(roles.values()) == set(Role.values)
    for username, role in roles.items():
        user = User.objects.get(username=username)
        assert list(user.memberships.values_list("role", flat=True)) == [role]


@pytest.mark.parametrize("username", [login.username for login in DEMO_LOGINS])
def test_each_demo_login_signs_in_with_the_printed_password(demo: Built, username: str) -> None:
    client = Client()
    request = RequestFactory().post("/login/")
    assert client.login(request=request, username=username, password=PASSWORD)


def test_the_demo_member_is_a_person_at_the_pilot_school(demo: Built) -> None:
    person = Person.objects.select_related("unit").get(user__username="demo_member")
    assert person.unit.name == "七台河市第六小学"
    assert person.user is not None and person.user.display_name == person.name


def test_what_each_login_sees_follows_the_scope_rule(demo: Built) -> None:
    lines = {line.username: line for line in login_lines()}
    people = Person.objects.count()
    assert (
        lines["demo_bureau"].schools,
        lines["demo_bureau"].posts,
        lines["demo_bureau"].members,
    ) == (100, 222, people)
    assert lines["demo_school"].schools == 1
    assert lines["demo_member"].members == 1
    assert 0 < lines["demo_station"].schools < 100
    assert 0 < lines["demo_inspector"].schools < 100
    for admin in ("demo_sysadmin", "demo_secadmin", "demo_auditor"):
        assert lines[admin].members == 0


def test_the_people_are_one_audit_line_and_the_chain_holds(demo: Built) -> None:
    [marker] = AuditEvent.objects.filter(action="demo.build")
    assert marker.detail["seed"] == SEED
    assert marker.detail["people"] == Person.objects.count()
    assert not AuditEvent.objects.filter(action="person.create").exists()
    assert audit.verify().ok


def test_a_second_run_changes_nothing(demo: Built) -> None:
    before = city_counts(), User.objects.count(), Unit.objects.count(), AuditEvent.objects.count()
    outcome = build_city(seed=SEED + 1)
    assert not outcome.built
    assert outcome.seed == SEED
    assert (
        city_counts(),
        User.objects.count(),
        Unit.objects.count(),
        AuditEvent.objects.count(),
    ) == before


def test_the_command_prints_every_login_and_counts_from_the_database(demo: Built) -> None:
    school = School.objects.get(unit__name="七台河市第六小学")
    post_void(actor=None, post=school.posts.first(), reason="gate bricked up")
    out = io.StringIO()
    call_command("demo_city", stdout=out)
    text = out.getvalue()
    for login in DEMO_LOGINS:
        assert re.search(rf"{login.username}\s+{re.escape(PASSWORD)}", text)
    assert re.search(r"demo_bureau .* 100 +221 ", text)  # the voided post no longer counts
    assert city_counts().posts == 221


def test_next_weeks_roster_is_solved_checked_and_published(demo: Built) -> None:
    from huxue.roster.models import Assignment, RosterRun, RosterVersion, Shift

    monday, friday = dt.date(2026, 11, 30), dt.date(2026, 12, 4)
    [run] = RosterRun.objects.filter(start__gte=monday)
    assert (run.start, run.end) == (monday, friday)
    week = Shift.objects.filter(day__gte=monday, day__lte=friday)
    assert week.count() == 2220  # 222 posts, two windows, five school days
    published = Assignment.objects.published().filter(shift__in=week)
    assert run.filled == published.count() > 0 and run.slots == run.filled + sum(
        u["missing"] for u in run.unfilled
    )
    assert {u["reason"] for u in run.unfilled} <= {
        "no_group",
        "not_vetted",
        "not_trained",
        "not_available",
        "cap_or_busy",
        "not_chosen",
    }
    assert RosterVersion.objects.filter(version=1, start=monday).count() == 100
    per_member = Counter(
        Assignment.objects.planned().filter(shift__in=week).values_list("person_id", flat=True)
    )
    assert max(per_member.values()) <= 3  # the default weekly cap


def test_next_week_is_a_programme_that_works(demo: Built) -> None:
    """Issue 15: the solve fills at least 95% of the slots; the gaps left are few, spread over
    a minority of the schools, each explained; the output says so."""
    from huxue.roster.models import RosterRun, Shift

    [run] = RosterRun.objects.filter(start=dt.date(2026, 11, 30))
    assert run.slots == 8170
    assert run.filled >= 0.95 * run.slots
    assert f" {run.filled} " in demo.output  # the build says how full the week is
    shifts = Shift.objects.in_bulk([u["shift"] for u in run.unfilled])
    gaps = Counter(shifts[u["shift"]].post.school_id for u in run.unfilled)
    assert 0 < len(gaps) < 50  # realistic gaps, at some schools, not a red board
    assert all(u["reason"] and u["school_name"] for u in run.unfilled)


def test_two_leads_have_changes_not_yet_published(demo: Built) -> None:
    """After publishing, the pilot school's lead replaced a parent (one off, one on) and the
    pilot station took a teacher off another school's shift: the grids show 未发布的更改."""
    from huxue.roster.models import Assignment

    week = {"shift__day__gte": dt.date(2026, 11, 30), "shift__day__lte": dt.date(2026, 12, 4)}
    changes = Assignment.objects.unpublished().filter(**week)
    by_school = Counter(changes.values_list("shift__post__school__unit__name", flat=True))
    assert by_school[data.PILOT_SCHOOL] == 2 and len(by_school) == 2
    off, on = sorted(
        changes.filter(shift__post__school__unit__name=data.PILOT_SCHOOL),
        key=lambda a: a.dropped_at is None,
    )
    assert off.drop_reason and off.published and off.dropped_at is not None
    assert on.shift_id == off.shift_id and not on.published and on.source == "manual"
    [other] = changes.exclude(shift__post__school__unit__name=data.PILOT_SCHOOL)
    assert other.dropped_at is not None and other.group == "staff"
    pilot = School.objects.get(unit__name=data.PILOT_SCHOOL)
    assert other.shift.post.school.station_id == pilot.station_id
    # nothing else is pending: every other school's week is as published
    assert not Assignment.objects.unpublished().exclude(**week).exists()


def test_every_past_and_current_week_is_published_and_its_sign_ups_answered(demo: Built) -> None:
    from huxue.roster.models import Assignment, SignUp

    monday = dt.date(2026, 11, 30)
    past = Assignment.objects.filter(shift__day__lt=monday)
    assert past.count() > 190_000
    assert not past.filter(published=False).exists()
    assert not past.filter(dropped_at__isnull=False).exists()
    signups = SignUp.objects.filter(shift__day__lt=monday)
    assert signups.exists()
    assert set(signups.values_list("status", flat=True)) == {SignUp.Status.ACCEPTED}
    assert not signups.filter(decided_at__isnull=True).exists()


def test_members_can_swap_and_leads_can_call_substitutes(demo: Built) -> None:
    """The dead ends of issue 15 item 4 are not what the demo shows: most schools' volunteers
    and teachers have a colleague free to take their shift, and most of today's windows have a
    volunteer or officer free to call out."""
    from huxue.roster.models import Assignment, Shift
    from huxue.roster.swaps import candidates_for, rank_substitutes, swap_colleagues

    week = Assignment.objects.published().filter(
        shift__day__gte=dt.date(2026, 11, 30),
        shift__day__lte=dt.date(2026, 12, 4),
        group__in=["volunteer", "staff"],
        dropped_at__isnull=True,
    )
    first_per_school = {}
    for a in week.select_related("shift__post__school__unit").order_by("shift__starts_at", "pk"):
        first_per_school.setdefault(a.shift.post.school_id, []).append(a)
    can_swap = sum(any(swap_colleagues(a) for a in rows[:4]) for rows in first_per_school.values())
    assert can_swap >= 0.8 * len(first_per_school)
    mine = week.filter(person__user__username="demo_member")
    assert all(swap_colleagues(a) for a in mine)

    today = Shift.objects.filter(day=dt.date(2026, 11, 27)).order_by("pk")[:40]  # Friday
    offered = Counter()
    for shift in today:
        found = candidates_for(shift=shift)
        for group in ("volunteer", "police"):
            if shift.requirements.get(group):
                offered[group, bool(rank_substitutes(found, group=group))] += 1
    for group in ("volunteer", "police"):
        assert offered[group, True] > offered[group, False]


def test_the_history_holds_the_source_figures(demo: Built) -> None:
    from huxue.duty.stats.selectors import person_times_total

    city = Region.objects.get(code="230900")
    start, end = dt.date(2019, 1, 1), dt.date(2022, 2, 23)
    assert person_times_total(region=city, start=start, end=end) == 169_600
    assert city_counts().person_times == 169_600 and city_counts().posts == 222
    out = io.StringIO()
    write_summary(out)
    assert re.search(r"2019-01-01 \S+ 2022-02-23.* 169,600\n", out.getvalue())
    period = CheckIn.objects.filter(day__gte=start, day__lte=end)
    assert period.count() == 169_600  # none voided
    assert not CheckIn.objects.filter(checked_out_at__isnull=True).exists()
    assert not CheckIn.objects.filter(at__lt=F("post__created_at")).exists()
    # the pilot first, then every post by the end of 2019
    before = period.filter(day__lt=data.ROLLOUT)
    assert before.exists()
    assert set(before.values_list("post__school__unit__name", flat=True)) == {data.PILOT_SCHOOL}
    staffed = period.order_by().values("post").distinct()
    assert staffed.count() == 222
    # most were staffed from the day they opened; a gate that needs teachers or volunteers
    # waited until some of the school's own had been vetted and trained
    assert staffed.filter(day__lte=dt.date(2019, 12, 31)).count() > 190
    assert not Post.objects.filter(created_at__gt=dt.datetime(2019, 12, 31, tzinfo=dt.UTC)).exists()
    # the epidemic spring of 2020: closures, and no duty while the primary schools were shut
    assert Closure.objects.filter(start=dt.date(2020, 3, 1)).count() == 100
    assert not period.filter(
        day__gte=dt.date(2020, 3, 1),
        day__lte=dt.date(2020, 5, 31),
        post__school__stage=School.Stage.PRIMARY,
    ).exists()
    assert not period.filter(day__gte=dt.date(2020, 1, 16), day__lte=dt.date(2020, 4, 6)).exists()
    # every non-walk-in check-in is on the roster
    assert not period.filter(is_walkin=False, assignment__isnull=True).exists()
    years = dict(period.values_list("day__year").annotate(n=Count("id")))
    assert set(years) == {2019, 2020, 2021, 2022} and years[2021] > years[2019]


def test_the_recent_weeks_have_rosters_and_check_ins_up_to_yesterday(demo: Built) -> None:
    from huxue.roster.models import RosterRun, RosterVersion, Shift

    this_week = Shift.objects.filter(day__gte=dt.date(2026, 11, 23), day__lte=dt.date(2026, 11, 29))
    assert this_week.count() == 2220
    recent = CheckIn.objects.filter(day__gte=dt.date(2026, 11, 2))
    assert recent.count() > 10_000
    assert recent.latest("day").day == dt.date(2026, 11, 27)  # Friday; today is a Saturday
    assert RosterRun.objects.filter(start__gte=dt.date(2026, 11, 2)).count() == 5
    assert RosterVersion.objects.filter(start=dt.date(2026, 11, 23)).count() == 100
    member = Person.objects.get(user__username="demo_member")
    assert member.checkins.filter(day__lte=dt.date(2022, 2, 23)).exists()
    assert member.checkins.filter(day__gte=dt.date(2026, 11, 2)).exists()


def test_the_demo_member_and_school_lead_open_the_app_on_messages(demo: Built) -> None:
    """Issue 16 item 3: the outbox's own dispatcher delivered the demo logins' messages to their
    inboxes (消息) during the build; no robot is set up, and reminders wait until due."""
    from huxue.duty.models import CallOut
    from huxue.notify.models import InboxMessage, Notification

    member = InboxMessage.objects.filter(user__username="demo_member")
    # The lead's own exchange; the gap alerts and today's hazards are beside it.
    lead = InboxMessage.objects.filter(user__username="demo_school").exclude(
        notification__kind__in=["gap_alert", "hazard"]
    )
    kinds = set(member.values_list("notification__kind", flat=True))
    assert {"roster.changed", "callout"} <= kinds
    [answer] = lead
    assert answer.notification.kind == "callout.answer"
    assert answer.link.startswith("/duty/shifts/")
    # The exchange behind them, played through the services: called, and declined.
    [callout] = CallOut.objects.filter(person__user__username="demo_member")
    assert callout.status == CallOut.Status.DECLINED
    assert callout.called_by == answer.user
    # Each is the in-app copy of an outbox row the dispatcher sent; nothing in an inbox else.
    for message in InboxMessage.objects.select_related("notification"):
        assert message.notification.status == Notification.Status.SENT
        assert message.notification.sent_via.startswith("inapp")
        assert message.read_at is None
    assert Notification.objects.filter(
        kind="shift.reminder", status=Notification.Status.PENDING, user__username="demo_member"
    ).exists()


def test_the_last_school_days_were_watched_for_gaps(demo: Built) -> None:
    """Issue 16 item 8: the build replays the watcher's gap scan over the last school day, so
    the alert list (缺岗提醒) shows that day's gaps, each one true to the check-ins."""
    from huxue.duty.alerts.selectors import on_duty_counts, shortfall
    from huxue.duty.models import GapAlert
    from huxue.notify.models import Notification
    from huxue.roster.models import Shift

    days = {dt.date(2026, 11, 27)}  # Friday; today is a Saturday
    shifts = Shift.objects.filter(day__in=days, cancelled_at__isnull=True).count()
    alerts = list(GapAlert.objects.select_related("shift"))
    assert {a.shift.day for a in alerts} == days
    assert 0 < len(alerts) < shifts
    assert any(a.resolved_at for a in alerts) and any(a.resolved_at is None for a in alerts)
    for alert in alerts:
        on_duty = on_duty_counts([alert.shift_id], at=alert.raised_at).get(alert.shift_id, {})
        assert shortfall(alert.shift.requirements, on_duty) == alert.short
    # The station's officers and the schools' leads were told, through the outbox.
    assert Notification.objects.filter(kind="gap_alert", user__username="demo_station").exists()


def test_the_supervision_history_holds_the_sources_76_rectified_hazards(demo: Built) -> None:
    """Issue 17, item 10: rounds across the posts, and exactly 76 hazards rectified (closed after
    verification) from 2019-01-01 to 2022-02-23, counted by the selector the pages use and
    printed beside the 169,600."""
    from huxue.demo.builder.history import HISTORY_END, HISTORY_START
    from huxue.supervision.models import Hazard, InspectionRound, RectificationNotice
    from huxue.supervision.selectors import rectified

    city = Region.objects.get(code=data.CITY[0])
    closed = rectified(Hazard.objects.all(), start=HISTORY_START, end=HISTORY_END)
    assert closed.count() == 76
    assert "76" in demo.output  # the build says it
    summary = io.StringIO()
    write_summary(summary)  # what demo_city prints at the end
    lines = summary.getvalue().splitlines()
    [rectified_line] = [line for line in lines if "整改隐患" in line or "hazards rectified" in line]
    assert rectified_line.split()[-1] == "76"
    assert any(line.split()[-1] == "169,600" for line in lines)
    rounds = InspectionRound.objects.filter(at__date__lte=HISTORY_END)
    assert (
        rounds.values("post").distinct().count()
        == Post.objects.filter(school__unit__region__path__startswith=city.path).count()
    )  # every post was inspected
    for hazard in closed[:10]:
        assert [s.step for s in hazard.steps.order_by("version")] == [
            "report",
            "assign",
            "start",
            "submit",
            "verify",
            "close",
        ]
        assert hazard.answer is not None and hazard.answer.result == "fail"
        assert hazard.notices.count() == 1
    numbers = list(RectificationNotice.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    # Today: open hazards the demo logins find waiting, one escalated.
    open_now = Hazard.objects.exclude(state=Hazard.State.CLOSED)
    assert open_now.count() >= 4 and open_now.filter(escalated_at__isnull=False).exists()
    assert open_now.filter(state=Hazard.State.SUBMITTED).exists()
