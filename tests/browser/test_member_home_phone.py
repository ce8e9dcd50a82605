"""The member's home (next shift, check-in button) and 我的服务时长 on a 390×844 phone, in a
Chinese (zh-CN) and an American (en-US) browser, each page in Chinese and in English: nothing
scrolls sideways; the account menu opens inside the screen and leads to the password form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone

from huxue.duty.models import CheckIn
from huxue.roster.models import Assignment
from huxue.testing import PASSWORD, ROSTER_MONDAY, City, local_at, make_shift, make_term
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = local_at(ROSTER_MONDAY, 6, 50)  # the 07:00–08:00 window's check-in opened at 06:45


@pytest.fixture
def locale_phone(browser, live_server, request) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A 390×844 phone whose browser locale is the test's parameter."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        locale=request.param,
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def member_world(city: City, monkeypatch: pytest.MonkeyPatch) -> City:
    """李红 rostered (published) at 南门 07:00–08:00 today, with a term and a history of
    check-ins, one at each school; the clock at 06:50 (every thread, the live server's too)."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    make_term(city)
    person = city.person_a1
    Assignment.objects.create(
        published=True,
        shift=make_shift(city.post_a1),
        person=person,
        group=person.force_group,
        source="manual",
    )
    for days in range(1, 40, 3):
        day = ROSTER_MONDAY - dt.timedelta(days=days)
        post = city.post_b1 if days % 2 else city.post_a1
        shift = make_shift(post, day=day, start=dt.time(15, 30), end=dt.time(17))
        CheckIn.objects.create(
            person=person,
            post=post,
            shift=shift,
            group=person.force_group,
            force_type=person.force_type,
            day=day,
            method=CheckIn.Method.QR,
            at=shift.starts_at,
            server_at=shift.starts_at,
            checked_out_at=shift.ends_at,
            checkout_method=CheckIn.Checkout.SELF,
        )
    return city


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url}: {width} px wide"


def _in_language(page, language: str) -> None:  # type: ignore[no-untyped-def]
    # An en-US browser gets the English page by default: switch with the site's own switch.
    if page.locator("html").get_attribute("lang") != language:
        page.click(f"[data-testid=lang-{language}]")
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == language


@pytest.mark.parametrize("locale_phone", ["zh-CN", "en-US"], indirect=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_home_and_my_hours_fit_a_phone(  # type: ignore[no-untyped-def]
    locale_phone, language: str, member_world: City
) -> None:
    page = locale_phone
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/")
    _in_language(page, language)

    card = page.locator("[data-testid=next-shift]")
    assert "南门" in card.inner_text() and "07:00–08:00" in card.inner_text()
    button = page.locator("[data-testid=home-checkin]")
    assert button.is_visible()
    _fits(page)

    # The account menu opens under the name and stays on the screen.
    page.click("[data-testid=account-menu] summary")
    link = page.locator("[data-testid=password-change-link]")
    assert link.is_visible()
    menu = page.locator(".account-menu").bounding_box()
    assert menu is not None and menu["x"] >= 0 and menu["x"] + menu["width"] <= 390
    _fits(page)

    page.goto(page.base_url + "/duty/hours/")
    assert page.locator("[data-testid=hours-record]").count() == 13
    assert page.locator("[data-testid=hours-all] [data-testid=person-times]").inner_text() == "13"
    _fits(page)
    page.click("[data-testid=hours-month]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=hours-month]").get_attribute("aria-current") == "true"
    _fits(page)


@pytest.mark.parametrize("locale_phone", ["zh-CN"], indirect=True)
def test_the_check_in_button_and_the_password_link_lead_to_their_pages(  # type: ignore[no-untyped-def]
    locale_phone, member_world: City
) -> None:
    page = locale_phone
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/")
    page.click("[data-testid=home-checkin]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/duty/")
    assert page.locator(f"[data-testid=checkin-{member_world.post_a1.pk}]").is_visible()

    page.click("[data-testid=account-menu] summary")
    page.click("[data-testid=password-change-link]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/password/")
    assert page.locator("input[name=old_password]").is_visible()
    _fits(page)
