"""The duty history generator, on the small test city: exact totals, real school days, rostered
and eligible members, one gate at a time, deterministic and written once."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import chinese_calendar
import pytest
from django.db import transaction
from django.db.models import Count, F

from huxue.calendar.models import Closure
from huxue.calendar.selectors import shift_dates
from huxue.demo import data
from huxue.demo.builder.history import (
    ALL_LIVE_BY,
    PERSON_TIMES,
    ROLLOUT_FIRST,
    Period,
    demo_shape,
    largest_remainder,
    plan_rollout,
    simulate,
)
from huxue.demo.builder.roster import FIRST_YEAR, term_dates
from huxue.duty.models import CheckIn
from huxue.orgs.models import Unit
from huxue.orgs.services import unit_create
from huxue.people.forces import GROUP_OF, ForceGroup, ForceType
from huxue.people.models import Person
from huxue.posts.models import Post
from huxue.posts.services import parse_windows, post_create
from huxue.roster.models import Assignment, Availability, RosterRun, RosterVersion, Shift, SignUp
from huxue.testing import City, make_person, make_term

pytestmark = pytest.mark.django_db

SEED = 7
START, END = dt.date(2026, 10, 12), dt.date(2026, 11, 6)  # four school weeks after National Day
TARGET = 500
LATE_VETTING = dt.date(2026, 12, 1)


def _person(city: City, unit: Unit, force_type: str, **extra: Any) -> Person:
    person = make_person(
        city,
        unit=unit,
        force_type=force_type,
        vetting_status=Person.Vetting.PASSED,
        vetted_on=dt.date(2026, 1, 5),
        training_status=Person.Training.TRAINED,
        trained_on=dt.date(2026, 2, 1),
        **extra,
    )
    mornings_only = force_type == ForceType.PARENT and person.pk % 2
    Availability.objects.bulk_create(
        Availability(
            person=person,
            weekday=d,
            start=dt.time(6, 30),
            end=dt.time(8, 30) if mornings_only else dt.time(18, 30),
        )
        for d in range(5)
    )
    return person


@pytest.fixture
def town(city: City) -> City:
    """Five posts at three schools, a security company and some seventy members around them."""
    make_term(city)
    windows = parse_windows("07:00-08:00, 15:30-17:00")
    needs: dict[str, int] = {ForceGroup.POLICE: 1, ForceGroup.GUARD: 1, ForceGroup.VOLUNTEER: 2}
    for school, name in (
        (city.school_a1, "北门"),
        (city.school_a2, "正门"),
        (city.school_b1, "东门"),
    ):
        post_create(
            actor=None,
            school=school,
            name=name,
            latitude=school.latitude,
            longitude=school.longitude,
            windows=windows,
            requirements=needs,
        )
    company = unit_create(
        kind=Unit.Kind.SECURITY_COMPANY,
        name="护安保安公司",
        region=city.city,
        parent=city.bureau,
    )
    for _ in range(10):
        _person(city, company, ForceType.GUARD)
    for station in (city.station_a, city.station_b):
        for force_type in (ForceType.POLICE, ForceType.AUXILIARY, ForceType.POLICE):
            for _ in range(2):
                _person(city, station, force_type)
        for _ in range(2):
            _person(city, station, ForceType.COMMUNITY)
    for school in (city.school_a1, city.school_a2, city.school_b1):
        _person(city, school.unit, ForceType.SCHOOL_SECURITY)
        for _ in range(3):
            _person(city, school.unit, ForceType.STAFF)
        for _ in range(10):
            _person(city, school.unit, ForceType.PARENT, child_school_id=school.pk)
        for _ in range(2):
            _person(city, school.unit, ForceType.COMMUNITY)
    # someone who never passed the check, and someone vetted only after the period
    Person.objects.filter(pk=city.person_a1.pk).update(vetting_status=Person.Vetting.PENDING)
    late = _person(city, city.station_a, ForceType.POLICE)
    Person.objects.filter(pk=late.pk).update(vetted_on=LATE_VETTING)
    return city


def _period(**overrides: Any) -> Period:
    values: dict[str, Any] = {
        "start": START,
        "end": END,
        "checkins_before": END + dt.timedelta(days=1),
        "target": TARGET,
    }
    values.update(overrides)
    return Period(**values)


def _rows() -> list[tuple[Any, ...]]:
    """Everything written, without ids, in a stable order."""
    return sorted(
        CheckIn.objects.values_list(
            "person_id",
            "post_id",
            "shift__day",
            "shift__start",
            "method",
            "at",
            "server_at",
            "latitude",
            "is_late",
            "is_walkin",
            "checked_out_at",
            "assignment__source",
        )
    ) + sorted(
        Assignment.objects.values_list(
            "person_id", "shift__post_id", "shift__day", "group", "source"
        )
    )


def test_the_total_is_exact_and_every_check_in_is_on_a_school_day(town: City) -> None:
    counts = simulate(SEED, region=town.city, period=_period())
    assert counts.checkins == TARGET
    assert CheckIn.objects.filter(voided_at__isnull=True).count() == TARGET
    school_days = {
        (post.pk, day, window.start)
        for post in Post.objects.all()
        for day, window in shift_dates(post, START, END)
    }
    assert len({day for _post, day, _start in school_days}) == 20
    shifts = set(Shift.objects.values_list("post_id", "day", "start"))
    assert shifts and shifts <= school_days  # only staffed windows become shifts
    for checkin in CheckIn.objects.select_related("shift"):
        assert (checkin.post_id, checkin.day, checkin.shift.start) in school_days
        assert checkin.shift.post_id == checkin.post_id and checkin.shift.day == checkin.day
        window = (checkin.shift.starts_at - dt.timedelta(minutes=15), checkin.shift.ends_at)
        assert window[0] <= checkin.at <= window[1]
        assert checkin.checked_out_at is not None and checkin.checked_out_at >= checkin.at


def test_each_member_is_rostered_eligible_and_at_one_gate_at_a_time(town: City) -> None:
    simulate(SEED, region=town.city, period=_period())
    checkins = list(CheckIn.objects.select_related("person", "post__school", "assignment"))
    walkins = [c for c in checkins if c.is_walkin]
    assert len(walkins) < 0.1 * len(checkins)
    for c in checkins:
        if c.is_walkin:
            assert c.assignment is None
            assert not Assignment.objects.filter(shift=c.shift, person=c.person).exists()
        else:
            assert c.assignment is not None
            assert (c.assignment.person_id, c.assignment.shift_id) == (c.person_id, c.shift_id)
        person, school = c.person, c.post.school
        assert c.group == GROUP_OF[person.force_type] and c.force_type == person.force_type
        assert person.vetting_status == Person.Vetting.PASSED
        assert c.shift.requirements.get(c.group, 0) > 0
        if c.group == ForceGroup.POLICE:
            assert person.unit_id == school.station_id
        elif person.force_type == ForceType.PARENT:
            assert person.child_school_id == school.pk
        elif person.force_type == ForceType.GUARD:
            assert person.unit.kind == Unit.Kind.SECURITY_COMPANY
        else:
            assert person.unit_id in (school.unit_id, school.station_id)
    assert not CheckIn.objects.filter(person=town.person_a1).exists()  # not vetted
    late = Person.objects.get(vetted_on=LATE_VETTING)
    assert not Assignment.objects.filter(person=late).exists()  # vetted after the period
    by_person: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for c in checkins:
        assert c.checked_out_at is not None
        by_person[c.person_id].append((c.at, c.checked_out_at))
    for spans in by_person.values():
        spans.sort()
        for (_a, end), (start, _b) in zip(spans, spans[1:], strict=False):
            assert end <= start
    per_shift = Counter(CheckIn.objects.values_list("person_id", "shift_id"))
    assert max(per_shift.values()) == 1
    # the weekly cap (three shifts a member, the city's default) holds for rostered shifts
    weekly = Counter(
        (a.person_id, a.shift.day.isocalendar()[1])
        for a in Assignment.objects.select_related("shift")
    )
    assert max(weekly.values()) <= 3


def test_each_week_has_a_roster_published_per_school(town: City) -> None:
    simulate(SEED, region=town.city, period=_period())
    runs = list(RosterRun.objects.order_by("start"))
    assert [r.start for r in runs] == [START + dt.timedelta(weeks=i) for i in range(4)]
    for run in runs:
        assert run.status == RosterRun.Status.PUBLISHED
        assert run.filled == Assignment.objects.filter(run=run).count() > 0
        assert run.slots >= run.filled
    for version in RosterVersion.objects.all():
        live = Assignment.objects.filter(
            shift__post__school=version.school,
            shift__day__gte=version.start,
            shift__day__lte=version.end,
        )
        assert sorted(version.snapshot) == sorted([a.shift_id, a.person_id, a.group] for a in live)
    assert RosterVersion.objects.values("school", "start").distinct().count() == 4 * 3
    signed = Assignment.objects.filter(source=Assignment.Source.SIGNUP)
    assert signed.exists() and signed.count() == SignUp.objects.count()
    assert set(Assignment.objects.values_list("source", flat=True)) == {"signup", "solver"}
    # some rostered members did not come: their assignments have no check-in
    assert Assignment.objects.filter(checkins__isnull=True).exists()


def test_the_same_seed_writes_the_same_rows_and_a_second_run_writes_nothing(town: City) -> None:
    with transaction.atomic():
        simulate(SEED, region=town.city, period=_period())
        first = _rows()
        transaction.set_rollback(True)
    assert not CheckIn.objects.exists()
    simulate(SEED, region=town.city, period=_period())
    assert _rows() == first
    again = simulate(SEED, region=town.city, period=_period())
    assert again.skipped and again.checkins == 0
    assert _rows() == first
    with transaction.atomic():
        for model in (CheckIn, SignUp, Assignment, RosterVersion, RosterRun, Shift):
            model.objects.all().delete()
        simulate(SEED + 1, region=town.city, period=_period())
        assert _rows() != first
        transaction.set_rollback(True)


def test_closures_and_live_dates_are_respected(town: City) -> None:
    closed = (dt.date(2026, 10, 19), dt.date(2026, 10, 23))
    Closure.objects.create(
        school=town.school_b1, start=closed[0], end=closed[1], reason=Closure.Reason.EXAM
    )
    late_post = Post.objects.get(school=town.school_a2)
    opens = dt.date(2026, 10, 26)
    period = _period(target=350)  # fewer windows: a smaller total
    simulate(SEED, region=town.city, period=period, live_from={late_post.pk: opens})
    assert CheckIn.objects.count() == 350
    assert not Shift.objects.filter(
        post__school=town.school_b1, day__gte=closed[0], day__lte=closed[1]
    ).exists()
    assert Shift.objects.filter(post__school=town.school_a1, day=closed[0]).exists()
    assert not Shift.objects.filter(post=late_post, day__lt=opens).exists()
    assert Shift.objects.filter(post=late_post, day__gte=opens).exists()


def test_recent_weeks_have_every_shift_and_check_ins_only_before_today(town: City) -> None:
    today = dt.date(2026, 10, 22)  # a Thursday
    counts = simulate(
        SEED,
        region=town.city,
        period=_period(
            start=dt.date(2026, 10, 19),
            end=dt.date(2026, 10, 25),
            checkins_before=today,
            target=None,
            fill=0.5,
            all_shifts=True,
            stream="recent",
        ),
    )
    assert Shift.objects.count() == 5 * 2 * 5  # five posts, two windows, five days
    assert counts.checkins == CheckIn.objects.count() > 0
    assert not CheckIn.objects.filter(day__gte=today).exists()
    assert Assignment.objects.filter(shift__day__gte=today).exists()  # rostered ahead
    slots = 5 * 2 * 3 * 4  # windows before today × four needed
    assert 0.35 * slots <= counts.checkins <= 0.55 * slots


def test_check_ins_look_like_the_real_ones(town: City) -> None:
    simulate(SEED, region=town.city, period=_period())
    methods = dict(CheckIn.objects.values_list("method").annotate(n=Count("id")))
    assert set(methods) == {"qr", "gps", "rollcall"}
    located = CheckIn.objects.filter(latitude__isnull=False).select_related("post")
    assert not CheckIn.objects.filter(method="gps", latitude__isnull=True).exists()
    assert not CheckIn.objects.filter(method="rollcall", latitude__isnull=False).exists()
    inside = [c for c in located if not c.is_outside]
    assert len(inside) > 0.9 * len(located)
    for c in inside:  # inside, allowing for the fix's accuracy, as the product judges it
        assert c.distance_m is not None and c.accuracy_m is not None and c.latitude is not None
        assert c.distance_m - c.accuracy_m <= c.post.geofence_m
        assert abs(c.latitude - c.post.latitude) < Decimal("0.01")
    late = CheckIn.objects.filter(is_late=True)
    assert 0 < late.count() < 0.2 * TARGET
    for c in late.select_related("shift"):
        assert c.at > c.shift.starts_at + dt.timedelta(minutes=5)
    delayed = CheckIn.objects.filter(is_delayed=True)
    assert delayed.exists() and CheckIn.objects.filter(is_walkin=True).exists()
    for c in delayed:
        assert c.device_at == c.at < c.server_at
        assert c.checkout_server_at is not None and c.checkout_server_at >= c.server_at
    assert not CheckIn.objects.filter(is_delayed=False, server_at__gt=F("at")).exists()
    rollcalls = CheckIn.objects.filter(method="rollcall")
    assert not rollcalls.exclude(checkout_method__in=["rollcall", "auto"]).exists()
    assert set(rollcalls.values_list("recorded_by__username", flat=True)) <= {
        "school_lead",
        "other_lead",
        "station_officer",
        None,
    }


# --- pure parts --------------------------------------------------------------------------------


def test_largest_remainder_is_exact_and_proportional() -> None:
    assert largest_remainder([1, 1, 1], 10) == [4, 3, 3]
    assert largest_remainder([0.5, 0.25, 0.25], 7) == [3, 2, 2]  # 3.5, 1.75, 1.75
    assert largest_remainder([3, 0, 1], 0) == [0, 0, 0]
    assert largest_remainder([0, 2], 5) == [0, 5]
    with pytest.raises(ValueError):
        largest_remainder([0, 0], 3)


def _demo_school_days() -> list[dt.date]:
    """The demo's school days of the source's period, from its terms and the national calendar."""
    terms = [(s, e) for y in range(FIRST_YEAR, 2023) for _n, s, e in term_dates(y)]
    days = []
    day = data.PILOT_START
    while day <= data.AS_OF:
        if any(s <= day <= e for s, e in terms) and chinese_calendar.is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def test_the_source_total_is_shared_exactly_over_the_real_school_days() -> None:
    days = _demo_school_days()
    assert dt.date(2019, 10, 12) in days  # a Saturday worked for the National Day holiday (调休)
    assert dt.date(2019, 10, 1) not in days and dt.date(2020, 1, 20) not in days
    start_of = {s: s for y in range(FIRST_YEAR, 2023) for _n, s, _e in term_dates(y)}
    weights = []
    for day in days:
        term = max(s for s in start_of if s <= day)
        weights.append(demo_shape(day, term) * (24 if day < data.ROLLOUT else 1600))
    shares = largest_remainder(weights, PERSON_TIMES)
    assert sum(shares) == PERSON_TIMES == 169_600
    assert min(shares) >= 0 and max(shares) < 1000
    by_day = dict(zip(days, shares, strict=True))
    assert by_day[dt.date(2019, 9, 2)] < by_day[dt.date(2021, 9, 1)]


def test_the_rollout_reaches_every_post_by_the_end_of_2019() -> None:
    schools = [(1, True, [10, 11]), *((i, False, [100 + 3 * i, 101 + 3 * i]) for i in range(2, 60))]
    live = plan_rollout(2019, schools)
    assert live == plan_rollout(2019, schools)
    assert live[10] == live[11] == data.PILOT_START
    others = [d for post, d in live.items() if post >= 100]
    assert len(others) == 2 * 58
    assert min(others) >= ROLLOUT_FIRST and max(others) <= ALL_LIVE_BY
    # quickly at first: most schools are live within the first half of the rollout
    middle = ROLLOUT_FIRST + (ALL_LIVE_BY - ROLLOUT_FIRST) / 2
    assert sum(d <= middle for d in others) > 0.6 * len(others)
