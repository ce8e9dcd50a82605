"""我的可服务时间 on a 390 px phone: nothing scrolls sideways, in a Chinese or an American browser
(whose time boxes read "06:30 AM" and are wider) and on the English page; every box is labelled;
a special date can be deleted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from huxue.roster.models import AvailabilityException
from huxue.roster.services import availability_exception_set, availability_set
from huxue.testing import PASSWORD, ROSTER_NOW, City
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNLABELLED = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select'))
  .filter(el => !(el.labels && el.labels.length > 0)
    && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.outerHTML)"""


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


def _overflow(page) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("locale_phone", ["zh-CN", "en-US"], indirect=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_availability_page_fits_a_phone_and_labels_every_box(  # type: ignore[no-untyped-def]
    locale_phone, language: str, city: City, roster_now: None
) -> None:
    member = city.person_a1
    availability_set(
        actor=None, person=member, windows=[(d, dt.time(6, 30), dt.time(17, 45)) for d in range(7)]
    )
    availability_exception_set(
        actor=None,
        person=member,
        day=ROSTER_NOW.date() + dt.timedelta(days=2),
        available=False,
        note="家里有事，请假一天",
    )
    page = locale_phone
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/roster/availability/")
    # An en-US browser gets the English page by default: switch with the site's own switch.
    if page.locator("html").get_attribute("lang") != language:
        page.click(f"[data-testid=lang-{language}]")
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("[data-testid=avail-row]").count() == 7
    assert page.locator("input[type=time]").first.input_value() == "06:30"

    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
        "window.innerWidth"
    ), f"sideways scroll of {_overflow(page)} px"
    # Each end box sits inside its card, not spilling over the edge.
    card_right = page.locator("section.card").first.bounding_box()
    assert card_right is not None
    for box in page.locator("input[type=time]").all():
        bounds = box.bounding_box()
        assert bounds is not None
        assert bounds["x"] + bounds["width"] <= card_right["x"] + card_right["width"]
    assert page.evaluate(UNLABELLED) == []


@pytest.mark.parametrize("locale_phone", ["zh-CN"], indirect=True)
def test_a_member_deletes_a_special_date_on_a_phone(  # type: ignore[no-untyped-def]
    locale_phone, city: City, roster_now: None
) -> None:
    special = availability_exception_set(
        actor=None,
        person=city.person_a1,
        day=ROSTER_NOW.date() + dt.timedelta(days=2),
        available=False,
    )
    page = locale_phone
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/roster/availability/")
    assert page.locator("[data-testid=exception]").count() == 1
    page.click(f"[data-testid=exception-delete-{special.pk}]")
    page.wait_for_load_state("networkidle")
    assert "已删除特殊日期" in page.locator(".messages li").first.inner_text()
    assert page.locator("[data-testid=exception]").count() == 0
    assert not AvailabilityException.objects.filter(pk=special.pk).exists()
