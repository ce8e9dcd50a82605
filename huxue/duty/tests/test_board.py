"""The live board: status per post from the current shift's open check-ins, scope, filters, the
pages and the API, and a number of queries that does not grow with the number of posts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huxue.duty.board.selectors import AMBER, GREEN, GREY, RED, board, board_summary
from huxue.duty.checkin.services import check_in, check_out, checkin_void
from huxue.duty.models import CheckIn, DutyRules, GapAlert
from huxue.orgs.models import User
from huxue.people.forces import ForceGroup, ForceType
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.posts.services import school_create
from huxue.roster.models import Shift
from huxue.testing import ROSTER_MONDAY, City, local_at, make_person, make_shift

NOW = local_at(ROSTER_MONDAY, 7, 20)
PAGE = "/duty/board/"
TILES = "/duty/board/tiles/"
API = "/api/v1/board/"
NEEDS = {ForceGroup.POLICE: 1, ForceGroup.VOLUNTEER: 2}


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """The clock at NOW, for the pages (frozen before any client signs in)."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def shift(city: City) -> Shift:
    return make_shift(city.post_a1, requirements=NEEDS)


def member(city: City, force_type: str = ForceType.COMMUNITY, name: str = "队员") -> Person:
    return make_person(city, unit=city.school_a1.unit, name=name, force_type=force_type)


def arrive(city: City, person: Person, *, post: Post | None = None, at: dt.datetime = NOW):
    return check_in(
        actor=None, person=person, post=post or city.post_a1, method=CheckIn.Method.QR, now=at
    )


def row_of(rows, post: Post):
    found = [r for r in rows if r.post_id == post.pk]
    assert len(found) == 1, [r.post_id for r in rows]
    return found[0]


def counts(row) -> dict[str, tuple[int, int]]:
    return {g.group: (g.have, g.need) for g in row.groups}


# --- status ---------------------------------------------------------------------------------


def test_a_post_without_a_shift_now_is_grey(city: City) -> None:
    row = row_of(board(city.users["city_admin"], now=NOW), city.post_b1)
    assert row.status == GREY
    assert row.shift_id is None
    assert row.groups == []
    assert row.next_window == ""


def test_a_shift_with_nobody_checked_in_is_red(city: City, shift: Shift) -> None:
    row = row_of(board(city.users["city_admin"], now=NOW), city.post_a1)
    assert row.status == RED
    assert row.shift_id == shift.pk
    assert row.window == "07:00–08:00"
    assert counts(row) == {"police": (0, 1), "volunteer": (0, 2)}
    assert row.missing == 3
    assert (row.school_name, row.station_name, row.district_code) == (
        "市第六小学",
        "新兴派出所",
        "230902",
    )


def test_the_board_turns_amber_then_green_as_members_check_in(city: City, shift: Shift) -> None:
    lead = city.users["school_lead"]
    arrive(city, member(city, name="志愿者甲"))
    row = row_of(board(lead, now=NOW), city.post_a1)
    assert row.status == AMBER
    assert counts(row) == {"police": (0, 1), "volunteer": (1, 2)}

    arrive(city, member(city, name="志愿者乙"))
    arrive(city, member(city, ForceType.POLICE, name="民警甲"))
    row = row_of(board(lead, now=NOW), city.post_a1)
    assert row.status == GREEN
    assert counts(row) == {"police": (1, 1), "volunteer": (2, 2)}
    assert row.missing == 0


def test_a_group_not_needed_still_shows_who_came_but_does_not_fill_the_gap(
    city: City, shift: Shift
) -> None:
    arrive(city, member(city, ForceType.STAFF, name="老师"))
    row = row_of(board(city.users["school_lead"], now=NOW), city.post_a1)
    assert row.status == AMBER
    assert counts(row) == {"police": (0, 1), "staff": (1, 0), "volunteer": (0, 2)}


def test_members_who_checked_out_no_longer_count(city: City, shift: Shift) -> None:
    first = arrive(city, member(city, name="志愿者甲"))
    arrive(city, member(city, name="志愿者乙"))
    check_out(actor=None, checkin=first, now=NOW + dt.timedelta(minutes=5))
    row = row_of(board(city.users["school_lead"], now=NOW + dt.timedelta(minutes=6)), city.post_a1)
    assert counts(row)["volunteer"] == (1, 2)
    assert row.status == AMBER


def test_voided_check_ins_do_not_count(city: City, shift: Shift) -> None:
    checkin = arrive(city, member(city))
    checkin_void(actor=city.users["school_lead"], checkin=checkin, reason="记错了人")
    row = row_of(board(city.users["school_lead"], now=NOW), city.post_a1)
    assert row.status == RED
    assert counts(row)["volunteer"] == (0, 2)


def test_the_window_opens_early_by_the_city_rules_and_closes_at_its_end(
    city: City, shift: Shift
) -> None:
    admin = city.users["city_admin"]
    before = local_at(ROSTER_MONDAY, 6, 40)
    row = row_of(board(admin, now=before), city.post_a1)
    assert row.status == GREY
    assert row.next_window == "07:00–08:00"
    assert row_of(board(admin, now=local_at(ROSTER_MONDAY, 6, 45)), city.post_a1).status == RED
    assert row_of(board(admin, now=local_at(ROSTER_MONDAY, 8, 0)), city.post_a1).status == GREY

    DutyRules.objects.create(region=city.city, early_minutes=30)
    assert row_of(board(admin, now=before), city.post_a1).status == RED


def test_a_district_rule_wins_over_the_city_rule(city: City, shift: Shift) -> None:
    DutyRules.objects.create(region=city.city, early_minutes=30)
    DutyRules.objects.create(region=city.xinxing, early_minutes=5)
    row = row_of(board(city.users["city_admin"], now=local_at(ROSTER_MONDAY, 6, 40)), city.post_a1)
    assert row.status == GREY


def test_a_cancelled_shift_leaves_the_post_grey(city: City, shift: Shift) -> None:
    Shift.objects.filter(pk=shift.pk).update(cancelled_at=NOW - dt.timedelta(days=1))
    assert row_of(board(city.users["city_admin"], now=NOW), city.post_a1).status == GREY


def test_a_raised_gap_alert_shows_on_the_post(city: City, shift: Shift) -> None:
    assert not row_of(board(city.users["city_admin"], now=NOW), city.post_a1).gap_alert
    GapAlert.objects.create(shift=shift, raised_at=NOW, short={"police": 1})
    assert row_of(board(city.users["city_admin"], now=NOW), city.post_a1).gap_alert


def test_a_voided_post_is_not_on_the_board(city: City, shift: Shift) -> None:
    Post.objects.filter(pk=city.post_b1.pk).update(voided_at=NOW, void_reason="拆除")
    assert [r.post_id for r in board(city.users["city_admin"], now=NOW)] == [city.post_a1.pk]


def test_the_summary_counts_posts_by_status_and_the_people_missing(
    city: City, shift: Shift
) -> None:
    arrive(city, member(city))
    summary = board_summary(board(city.users["city_admin"], now=NOW))
    assert (summary.green, summary.amber, summary.red, summary.grey) == (0, 1, 0, 1)
    assert summary.short == 1
    assert summary.missing == 2


# --- scope ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "posts"),
    [
        ("city_admin", {"post_a1", "post_b1"}),
        ("station_officer", {"post_a1"}),
        ("education", {"post_a1", "post_b1"}),
        ("school_lead", {"post_a1"}),
        ("other_lead", {"post_b1"}),
        ("inspector", {"post_a1"}),
    ],
)
def test_each_role_sees_the_posts_of_its_place(city: City, name: str, posts: set[str]) -> None:
    seen = {r.post_id for r in board(city.users[name], now=NOW)}
    assert seen == {getattr(city, p).pk for p in posts}


def test_the_other_school_lead_sees_only_its_own_post(city: City, shift: Shift) -> None:
    rows = board(city.users["other_lead"], now=NOW)
    assert [(r.school_name, r.status) for r in rows] == [("桃山小学", GREY)]


@pytest.mark.parametrize("name", ["volunteer", "stranger", "sysadmin", "auditor"])
def test_those_who_may_not_read_check_ins_at_posts_get_not_found(city: City, name: str) -> None:
    with pytest.raises(Http404):
        board(city.users[name], now=NOW)


@pytest.mark.parametrize("name", ["volunteer", "stranger", "secadmin"])
def test_the_pages_and_the_api_answer_not_found_to_them(login, name: str) -> None:
    client = login(name)
    assert client.get(PAGE).status_code == 404
    assert client.get(TILES).status_code == 404
    assert client.get(API).status_code == 404
    assert client.get(TILES, HTTP_HX_REQUEST="true").status_code == 404


def test_signed_out_callers_are_sent_to_sign_in(db: None) -> None:
    client = Client()
    page = client.get(PAGE)
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    poll = client.get(TILES, HTTP_HX_REQUEST="true")
    assert poll.status_code == 200
    assert poll["HX-Redirect"] == "/login/?next=%2Fduty%2Fboard%2F"
    assert poll.content == b""
    api = client.get(API)
    assert api.status_code == 401


# --- filters --------------------------------------------------------------------------------


def test_the_board_filters_by_district_and_by_station(city: City) -> None:
    admin = city.users["city_admin"]
    assert [r.post_id for r in board(admin, now=NOW, district="230903")] == [city.post_b1.pk]
    assert [r.post_id for r in board(admin, now=NOW, district="230900")] == [
        city.post_a1.pk,
        city.post_b1.pk,
    ]
    assert [r.post_id for r in board(admin, now=NOW, station=city.station_a.pk)] == [
        city.post_a1.pk
    ]
    assert board(admin, now=NOW, district="230902", station=city.station_b.pk) == []
    # A filter never widens the scope.
    assert board(city.users["school_lead"], now=NOW, district="230903") == []


def test_the_page_filters_offer_only_the_places_in_scope(login, city: City, frozen) -> None:
    page = login("city_admin").get(PAGE)
    html = page.content.decode()
    assert 'name="district"' in html and 'name="station"' in html
    assert "新兴区" in html and "桃山区" in html and "桃山派出所" in html

    lead_page = login("school_lead").get(PAGE).content.decode()
    # One school, one district, one station: nothing to choose.
    assert 'name="district"' not in lead_page and 'name="station"' not in lead_page
    assert "桃山小学" not in lead_page

    filtered = login("city_admin").get(PAGE, {"district": "230903"})
    assert f'data-testid="tile-{city.post_b1.pk}"' in filtered.content.decode()
    assert f'data-testid="tile-{city.post_a1.pk}"' not in filtered.content.decode()
    assert 'hx-get="/duty/board/tiles/?district=230903"' in filtered.content.decode()


# --- pages ----------------------------------------------------------------------------------


def test_the_page_shows_tiles_with_status_in_words_and_counts_by_group(
    login, city: City, shift: Shift, frozen
) -> None:
    arrive(city, member(city, ForceType.POLICE, name="民警甲"))
    response = login("school_lead").get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="tile-{city.post_a1.pk}" data-status="amber"' in html
    assert "部分到岗" in html  # the status in words, not only a colour
    assert "警 1/1" in html and "志 0/2" in html
    assert f'href="/duty/shifts/{shift.pk}/"' in html
    assert 'hx-trigger="every 15s"' in html
    assert "更新于 07:20:00" in html
    assert "htmx.min.js" in html


def test_a_tile_without_duty_now_links_to_the_post(login, city: City, frozen) -> None:
    html = login("other_lead").get(PAGE).content.decode()
    assert 'data-status="grey"' in html
    assert f'href="/posts/{city.post_b1.pk}/"' in html
    assert "当前无值守" in html


def test_the_tiles_fragment_is_the_live_part_alone(login, city: City, shift: Shift, frozen) -> None:
    client = login("school_lead")
    response = client.get(TILES, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "<form" not in html
    assert f'data-testid="tile-{city.post_a1.pk}" data-status="red"' in html
    arrive(city, member(city))
    assert 'data-status="amber"' in client.get(TILES).content.decode()


def test_the_wall_layout_has_no_navigation_and_keeps_refreshing(
    login, city: City, shift: Shift, frozen
) -> None:
    html = login("city_admin").get(PAGE, {"wall": "1", "station": city.station_a.pk}).content
    text = html.decode()
    assert 'class="wall"' in text
    assert "main-nav" not in text and "lang-switch" not in text
    assert f'hx-get="/duty/board/tiles/?station={city.station_a.pk}&amp;wall=1"' in text
    assert f'data-testid="tile-{city.post_a1.pk}"' in text
    assert f'data-testid="tile-{city.post_b1.pk}"' not in text
    assert f'href="/duty/board/?station={city.station_a.pk}"' in text


def test_the_poll_interval_comes_from_the_settings(login, settings, frozen) -> None:
    settings.HUXUE_BOARD_POLL_SECONDS = 3
    assert 'hx-trigger="every 3s"' in login("school_lead").get(PAGE).content.decode()


def test_the_page_speaks_english_too(login, city: City, shift: Shift, frozen) -> None:
    html = login("school_lead").get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nobody on duty" in html
    assert "Updated 07:20:00" in html


# --- API ------------------------------------------------------------------------------------


def test_the_api_answers_the_board_in_scope(login, city: City, shift: Shift, frozen) -> None:
    arrive(city, member(city, ForceType.POLICE, name="民警甲"))
    GapAlert.objects.create(shift=shift, raised_at=NOW, short={"volunteer": 2})
    response = login("city_admin").get(API, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == {
        "green": 0,
        "amber": 1,
        "red": 0,
        "grey": 1,
        "short": 1,
        "missing": 2,
    }
    posts = {p["post"]: p for p in body["posts"]}
    assert set(posts) == {city.post_a1.pk, city.post_b1.pk}
    a1 = posts[city.post_a1.pk]
    assert a1["status"] == "amber"
    assert a1["status_label"] == "Partly staffed"
    assert a1["shift"] == shift.pk
    assert a1["window"] == "07:00–08:00"
    assert a1["groups"] == [
        {"group": "police", "need": 1, "have": 1},
        {"group": "volunteer", "need": 2, "have": 0},
    ]
    assert a1["gap_alert"] is True
    assert a1["district"] == "230902" and a1["station"] == city.station_a.pk
    assert posts[city.post_b1.pk]["status"] == "grey"
    assert posts[city.post_b1.pk]["shift"] is None


def test_the_api_filters_and_validates_them(login, city: City, frozen) -> None:
    client = login("city_admin")
    only_b = client.get(API, {"district": "230903"}).json()["posts"]
    assert [p["post"] for p in only_b] == [city.post_b1.pk]
    only_a = client.get(API, {"station": city.station_a.pk}).json()["posts"]
    assert [p["post"] for p in only_a] == [city.post_a1.pk]
    assert client.get(API, {"district": "23090"}).status_code == 400
    assert client.get(API, {"station": "0"}).status_code == 400
    assert client.get(API, {"station": "x"}).status_code == 400


def test_the_api_takes_a_token(city: City, shift: Shift, frozen) -> None:
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=city.users["other_lead"])
    response = Client().get(API, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert [p["post"] for p in response.json()["posts"]] == [city.post_b1.pk]


def test_the_api_is_in_the_schema(db: None) -> None:
    from drf_spectacular.validation import validate_schema

    response = Client().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en")
    schema = response.json()
    validate_schema(schema)
    operation = schema["paths"]["/api/v1/board/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"district", "station"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/Board")
    posts = schema["components"]["schemas"]["BoardPost"]["properties"]
    assert {"status", "groups", "shift", "gap_alert"} <= set(posts)


# --- queries --------------------------------------------------------------------------------


def _grow(city: City, *, posts: int) -> None:
    """Bring the city to this many live posts, each with a shift now and one member on duty at
    every other post, cheaply (bulk inserts), across both districts and both stations."""
    have = Post.objects.filter(voided_at__isnull=True).count()
    places = [(city.station_a, city.xinxing), (city.station_b, city.taoshan)]
    new_posts: list[Post] = []
    i = School.objects.count()
    while have + len(new_posts) < posts:
        station, region = places[i % 2]
        school = school_create(
            actor=None,
            name=f"测试学校{i:03d}",
            stage="primary",
            station=station,
            region=region,
            latitude=Decimal("45.77"),
            longitude=Decimal("131.0"),
        )
        for gate in range(min(12, posts - have - len(new_posts))):
            new_posts.append(
                Post(
                    school=school,
                    name=f"{gate + 1}号门",
                    latitude=school.latitude,
                    longitude=school.longitude,
                )
            )
        i += 1
    Post.objects.bulk_create(new_posts)
    live = list(Post.objects.filter(voided_at__isnull=True).order_by("pk"))
    without_shift = [p for p in live if not p.shifts.filter(day=ROSTER_MONDAY).exists()]
    Shift.objects.bulk_create(
        Shift(
            post=p,
            day=ROSTER_MONDAY,
            start=dt.time(7),
            end=dt.time(8),
            starts_at=local_at(ROSTER_MONDAY, 7),
            ends_at=local_at(ROSTER_MONDAY, 8),
            requirements=NEEDS,
        )
        for p in without_shift
    )
    shifts = list(
        Shift.objects.filter(day=ROSTER_MONDAY, start=dt.time(7))
        .exclude(checkins__isnull=False)
        .order_by("post_id")[::2]
    )
    start = Person.objects.count()
    people = Person.objects.bulk_create(
        Person(
            unit=city.school_a1.unit,
            name=f"队员{start + n}",
            force_type=ForceType.PARENT,
            phone="13800000000",
            phone_index=f"bulk-phone-{start + n}",
            id_number="230902199001011234",
            id_index=f"bulk-id-{start + n}",
        )
        for n in range(len(shifts))
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            person=person,
            post_id=s.post_id,
            shift=s,
            group=ForceGroup.VOLUNTEER,
            force_type=ForceType.PARENT,
            day=ROSTER_MONDAY,
            method=CheckIn.Method.QR,
            at=NOW,
            server_at=NOW,
        )
        for person, s in zip(people, shifts, strict=True)
    )
    assert Post.objects.filter(voided_at__isnull=True).count() == posts


def _queries(user: User, **filters) -> int:
    fresh = User.objects.get(pk=user.pk)  # no roles cached: counted as the first call of a request
    with CaptureQueriesContext(connection) as captured:
        board(fresh, now=NOW, **filters)
    return len(captured.captured_queries)


def test_the_board_uses_the_same_few_queries_for_3_posts_and_for_222(city: City) -> None:
    DutyRules.objects.create(region=city.city, early_minutes=20)
    admin = city.users["city_admin"]
    _grow(city, posts=3)
    small = _queries(admin)
    small_rows = board(admin, now=NOW)
    assert len(small_rows) == 3
    assert {r.status for r in small_rows} == {RED, AMBER}

    _grow(city, posts=222)
    rows = board(admin, now=NOW)
    assert len(rows) == 222
    summary = board_summary(rows)
    # Every other post has one of its two volunteers: 2 of the first 3, then 110 of the rest.
    assert (summary.amber, summary.red, summary.grey) == (112, 110, 0)
    assert _queries(admin) == small == 5
    assert _queries(admin, district="230903") == 5
    assert _queries(admin, station=city.station_b.pk) == 5


def test_the_selector_runs_five_queries(city: City, django_assert_num_queries) -> None:
    _grow(city, posts=222)
    user = User.objects.get(pk=city.users["education"].pk)
    # Roles, posts, duty rules, shifts (with their gap alerts), open check-ins by shift and group.
    with django_assert_num_queries(5):
        rows = board(user, now=NOW)
    assert len(rows) == 222


def test_the_pages_and_the_api_do_not_grow_with_the_posts(
    login, city: City, frozen: dt.datetime
) -> None:
    def measure() -> tuple[int, int, int]:
        client = login("city_admin")
        sizes = []
        for url in (PAGE, TILES, API):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            sizes.append(len(captured.captured_queries))
        return sizes[0], sizes[1], sizes[2]

    _grow(city, posts=3)
    small = measure()
    _grow(city, posts=222)
    assert measure() == small
