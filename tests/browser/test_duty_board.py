"""The live board in a browser: a post turns from red to amber to green as members check in,
without a reload; the wall display for a command centre; a phone-sized board.

The clock is real (the live server's thread must see the same time as the board's polls): the
shift opened a few minutes ago and ends in an hour.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from huxue.duty.checkin.services import check_in
from huxue.duty.models import CheckIn
from huxue.people.forces import ForceGroup, ForceType
from huxue.roster.models import Shift
from huxue.testing import PASSWORD, City, make_person
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_shift(city: City, settings) -> Shift:  # type: ignore[no-untyped-def]
    settings.HUXUE_BOARD_POLL_SECONDS = 1
    now = timezone.now()
    starts, ends = now - dt.timedelta(minutes=5), now + dt.timedelta(hours=1)
    local = timezone.localtime(starts)
    return Shift.objects.create(
        post=city.post_a1,
        day=local.date(),
        start=local.time().replace(second=0, microsecond=0),
        end=timezone.localtime(ends).time().replace(second=0, microsecond=0),
        starts_at=starts,
        ends_at=ends,
        requirements={ForceGroup.VOLUNTEER: 1, ForceGroup.POLICE: 1},
    )


def test_the_board_turns_from_red_to_green_as_members_check_in(
    page, city: City, open_shift: Shift
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "school_lead", PASSWORD)
    page.goto(page.base_url + "/duty/board/")
    tile = page.locator(f"[data-testid=tile-{city.post_a1.pk}]")
    expect(tile).to_have_attribute("data-status", "red")
    expect(tile.locator("[data-testid=tile-status]")).to_have_text("无人到岗")
    expect(tile.locator("[data-testid=grp-volunteer] [aria-hidden]")).to_have_text("志 0/1")
    expect(tile.locator("[data-testid=tile-link]")).to_have_attribute(
        "href", f"/duty/shifts/{open_shift.pk}/"
    )
    expect(tile.locator("[data-testid=tile-alerts]")).to_have_attribute(
        "href", f"/duty/alerts/?post={city.post_a1.pk}"
    )
    page.evaluate("window.__sameDocument = true")

    volunteer = make_person(city, unit=city.school_a1.unit, name="志愿者甲")
    check_in(actor=None, person=volunteer, post=city.post_a1, method=CheckIn.Method.QR)
    expect(tile).to_have_attribute("data-status", "amber")
    expect(tile.locator("[data-testid=tile-status]")).to_have_text("部分到岗")
    expect(tile.locator("[data-testid=grp-volunteer] [aria-hidden]")).to_have_text("志 1/1")
    expect(page.locator("[data-testid=sum-amber] b")).to_have_text("1")

    officer = make_person(city, unit=city.station_a, name="民警甲", force_type=ForceType.POLICE)
    check_in(actor=None, person=officer, post=city.post_a1, method=CheckIn.Method.QR)
    expect(tile).to_have_attribute("data-status", "green")
    expect(tile.locator("[data-testid=tile-status]")).to_have_text("按要求到岗")
    expect(tile.locator("[data-testid=grp-police] [aria-hidden]")).to_have_text("警 1/1")
    expect(page.locator("[data-testid=sum-green] b")).to_have_text("1")
    expect(page.locator("[data-testid=board-updated]")).to_contain_text("更新于")
    # The same document all along: the tiles were swapped in, the page never reloaded.
    assert page.evaluate("window.__sameDocument") is True


def test_the_wall_display_is_dark_without_navigation_and_refreshes(
    page, city: City, open_shift: Shift
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "school_lead", PASSWORD)
    page.goto(page.base_url + "/duty/board/")
    page.click("[data-testid=wall-link]")
    expect(page.locator("[data-testid=board-wall]")).to_be_visible()
    assert page.url.endswith("/duty/board/?wall=1")
    assert page.locator(".main-nav").count() == 0
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(14, 17, 23)"
    tile = page.locator(f"[data-testid=tile-{city.post_a1.pk}]")
    expect(tile).to_have_attribute("data-status", "red")

    volunteer = make_person(city, unit=city.school_a1.unit, name="志愿者乙")
    check_in(actor=None, person=volunteer, post=city.post_a1, method=CheckIn.Method.QR)
    expect(tile).to_have_attribute("data-status", "amber")

    button = page.locator("button[data-fullscreen]")
    expect(button).to_be_visible()
    button.click()
    page.wait_for_function("document.fullscreenElement !== null")
    expect(button).to_have_text("退出全屏")


def test_the_board_fits_a_phone(phone_page, city: City, open_shift: Shift) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    sign_in(page, "city_admin", PASSWORD)
    page.goto(page.base_url + "/duty/board/")
    expect(page.locator(f"[data-testid=tile-{city.post_a1.pk}]")).to_have_attribute(
        "data-status", "red"
    )
    expect(page.locator(f"[data-testid=tile-{city.post_b1.pk}]")).to_have_attribute(
        "data-status", "grey"
    )
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
