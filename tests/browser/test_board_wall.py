"""The command-centre wall on a 1920×1080 screen with the demo city's 222 posts: every red post is
on the first page, inside the screen, and the page does not scroll; the rest take turns; the
tiles keep refreshing. And the board's group counts ("教 0/1") never break across lines, on a
phone and on a desktop, in Chinese and in English.

The clock is real (the live server's thread polls the board as it runs): the shifts opened a few
minutes ago and end in an hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from huxue.duty.checkin.services import check_in
from huxue.duty.models import CheckIn
from huxue.people.forces import ForceGroup, ForceType
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.posts.services import school_create
from huxue.roster.models import Shift
from huxue.testing import PASSWORD, City, make_person
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POSTS = 222
NEEDS = {ForceGroup.POLICE: 1, ForceGroup.VOLUNTEER: 2}
ALL_GROUPS = {
    ForceGroup.POLICE: 1,
    ForceGroup.GUARD: 1,
    ForceGroup.STAFF: 1,
    ForceGroup.VOLUNTEER: 2,
}

# Each red tile: shown, inside the screen and inside the tiles' area (not cut off by it).
RED_OUTSIDE = """() => {
  const grid = document.querySelector('.board-tiles').getBoundingClientRect();
  return [...document.querySelectorAll('.board-tile[data-status=red]')].filter(tile => {
    const r = tile.getBoundingClientRect();
    return tile.hidden || r.width === 0 || r.top < 0 || r.left < 0
      || r.bottom > innerHeight || r.right > innerWidth
      || r.top < grid.top - 0.5 || r.bottom > grid.bottom + 0.5;
  }).map(tile => tile.dataset.testid);
}"""
SCROLLS = """() => [document.documentElement.scrollWidth - innerWidth,
  document.documentElement.scrollHeight - innerHeight]"""
SHOWN = """() => [...document.querySelectorAll('.board-tile')].filter(t => !t.hidden)
  .map(t => t.dataset.testid)"""


@pytest.fixture
def wall_page(browser, live_server, request) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A command centre's 1920×1080 screen."""
    context = browser.new_context(
        viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


def build_city(city: City, *, red: int, amber: int) -> dict[str, list[int]]:
    """Grow the test city to 222 live posts, each with a shift running now needing a police
    officer and two volunteers: ``red`` posts with nobody, ``amber`` with the officer alone,
    the rest fully staffed. Bulk inserts across both districts and stations. Returns the post
    ids by status."""
    places = [(city.station_a, city.xinxing), (city.station_b, city.taoshan)]
    have = Post.objects.filter(voided_at__isnull=True).count()
    new_posts: list[Post] = []
    i = School.objects.count()
    while have + len(new_posts) < POSTS:
        station, region = places[i % 2]
        school = school_create(
            actor=None,
            name=f"墙测学校{i:03d}",
            stage="primary",
            station=station,
            region=region,
            latitude=Decimal("45.77"),
            longitude=Decimal("131.0"),
        )
        for gate in range(min(4, POSTS - have - len(new_posts))):
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
    posts = list(Post.objects.filter(voided_at__isnull=True).order_by("pk"))
    assert len(posts) == POSTS

    now = timezone.now()
    starts, ends = now - dt.timedelta(minutes=5), now + dt.timedelta(hours=1)
    local = timezone.localtime(starts)
    shifts = Shift.objects.bulk_create(
        Shift(
            post=p,
            day=local.date(),
            start=local.time().replace(second=0, microsecond=0),
            end=timezone.localtime(ends).time().replace(second=0, microsecond=0),
            starts_at=starts,
            ends_at=ends,
            requirements=NEEDS,
        )
        for p in posts
    )
    # Spread the statuses over the posts' order (37 and 222 share no factor: n * 37 % 222 visits
    # every post once), so that the red posts are not simply the first listed.
    spread = sorted(range(POSTS), key=lambda n: n * 37 % POSTS)
    status_of = {n: "red" for n in spread[:red]} | {n: "amber" for n in spread[red : red + amber]}
    by_status: dict[str, list[int]] = {"red": [], "amber": [], "green": []}
    arrivals: list[tuple[Shift, str]] = []
    for n, shift in enumerate(shifts):
        status = status_of.get(n, "green")
        by_status[status].append(shift.post_id)
        if status != "red":
            arrivals.append((shift, ForceGroup.POLICE))
        if status == "green":
            arrivals += [(shift, ForceGroup.VOLUNTEER), (shift, ForceGroup.VOLUNTEER)]
    assert len(by_status["red"]) == red and len(by_status["amber"]) == amber
    start = Person.objects.count()
    people = Person.objects.bulk_create(
        Person(
            unit=city.school_a1.unit,
            name=f"墙测队员{start + n}",
            force_type=ForceType.PARENT,
            phone="13800000000",
            phone_index=f"wall-phone-{start + n}",
            id_number="230902199001011234",
            id_index=f"wall-id-{start + n}",
        )
        for n in range(len(arrivals))
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            person=person,
            post_id=shift.post_id,
            shift=shift,
            group=group,
            force_type=ForceType.POLICE if group == ForceGroup.POLICE else ForceType.PARENT,
            day=shift.day,
            method=CheckIn.Method.QR,
            at=starts,
            server_at=starts,
        )
        for person, (shift, group) in zip(people, arrivals, strict=True)
    )
    return by_status


def open_wall(page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "city_admin", PASSWORD)
    page.goto(page.base_url + "/duty/board/?wall=1")
    page.wait_for_selector(".board-tiles[data-paged]")


def test_every_red_post_is_on_the_first_page_of_the_wall_and_the_rest_take_turns(
    wall_page, city: City, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.HUXUE_BOARD_POLL_SECONDS = 1
    settings.HUXUE_WALL_PAGE_SECONDS = 2
    statuses = build_city(city, red=40, amber=30)
    page = wall_page
    open_wall(page)
    grid = page.locator(".board-tiles")
    expect(grid).to_have_attribute("data-page", "1")
    pages = int(grid.get_attribute("data-pages") or 0)
    assert pages > 1, "222 posts do not fit one screen at a readable size"
    expect(page.locator("[data-testid=wall-page]")).to_have_text(f"第 1/{pages} 页")

    assert page.locator(".board-tile[data-status=red]").count() == 40
    assert page.evaluate(RED_OUTSIDE) == []
    assert page.evaluate(SCROLLS) == [0, 0]
    # The districts on top, each with its counts.
    districts = page.locator("[data-testid=wall-districts] li")
    assert districts.count() == 2
    red_counts = [
        int(t) for t in districts.locator("[data-testid=district-red] b").all_inner_texts()
    ]
    assert sum(red_counts) == 40

    first = set(page.evaluate(SHOWN))
    # The next page: red and amber stay, other posts come.
    expect(grid).to_have_attribute("data-page", "2", timeout=10_000)
    expect(page.locator("[data-testid=wall-page]")).to_have_text(f"第 2/{pages} 页")
    second = set(page.evaluate(SHOWN))
    kept = {f"tile-{pk}" for pk in statuses["red"] + statuses["amber"]}
    assert kept <= first and kept <= second
    assert first - kept and second - kept and not (first - kept) & (second - kept)
    assert page.evaluate(RED_OUTSIDE) == []
    assert page.evaluate(SCROLLS) == [0, 0]

    # The tiles still refresh: a red post turns amber when its officer checks in.
    post = Post.objects.get(pk=statuses["red"][0])
    officer = make_person(city, unit=city.station_a, name="民警丙", force_type=ForceType.POLICE)
    check_in(actor=None, person=officer, post=post, method=CheckIn.Method.QR)
    expect(page.locator(f"[data-testid=tile-{post.pk}]")).to_have_attribute("data-status", "amber")
    expect(page.locator("[data-testid=sum-red] b")).to_have_text("39")
    assert page.evaluate(RED_OUTSIDE) == []
    assert page.evaluate(SCROLLS) == [0, 0]


def test_when_every_post_is_red_all_222_are_on_one_screen(wall_page, city: City, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HUXUE_BOARD_POLL_SECONDS = 30
    build_city(city, red=POSTS, amber=0)
    page = wall_page
    open_wall(page)
    assert page.locator(".board-tile[data-status=red]").count() == POSTS
    assert page.evaluate(RED_OUTSIDE) == []
    assert page.evaluate(SCROLLS) == [0, 0]
    expect(page.locator("[data-testid=wall-page]")).to_be_hidden()


GRP_LINES = """() => [...document.querySelectorAll('.grp')].map(el => {
  const visible = el.querySelector('[aria-hidden]');
  return [el.dataset.testid, visible.getClientRects().length,
    Math.round(visible.getBoundingClientRect().height),
    Math.round(parseFloat(getComputedStyle(visible).lineHeight))];
})"""


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_group_count_on_a_tile_is_one_line(
    browser, live_server, city: City, width: int, locale: str
) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    starts, ends = now - dt.timedelta(minutes=5), now + dt.timedelta(hours=1)
    local = timezone.localtime(starts)
    for post in (city.post_a1, city.post_b1):
        Shift.objects.create(
            post=post,
            day=local.date(),
            start=local.time().replace(second=0, microsecond=0),
            end=timezone.localtime(ends).time().replace(second=0, microsecond=0),
            starts_at=starts,
            ends_at=ends,
            requirements=ALL_GROUPS,
        )
    context = browser.new_context(
        viewport={"width": width, "height": 844 if width == 390 else 900},
        locale=locale,
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    try:
        sign_in(page, "city_admin", PASSWORD)
        page.goto(page.base_url + "/duty/board/")
        groups = page.evaluate(GRP_LINES)
        assert len(groups) == 2 * len(ALL_GROUPS)
        for testid, boxes, height, line in groups:
            assert boxes == 1, f"{testid} breaks across {boxes} lines"
            assert height <= line * 1.2, f"{testid} is {height}px high, a line is {line}px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
