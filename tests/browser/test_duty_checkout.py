"""On a phone (390×844): a check-out asks first, in a dialog that fits the screen (and on a page of
its own without JavaScript); a check-out right after the check-in is warned about and flagged;
a day without duty at the post says why, with no check-in button."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from huxue.calendar.models import Closure
from huxue.calendar.services import closure_create
from huxue.duty.checkin.services import check_in
from huxue.duty.models import CheckIn
from huxue.roster.models import Assignment, Shift
from huxue.testing import PASSWORD, City
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCALES = {"zh-CN": "zh", "en-US": "en"}
QUESTION = {
    "zh": "确认从市第六小学 · 南门签退吗？您于 {time} 签到。",
    "en": "Check out of 市第六小学 · 南门? You checked in at {time}.",
}
WARNING = {"zh": "您签到还不到 5 分钟", "en": "You checked in less than 5 minutes ago"}


def on_duty_now(city: City) -> CheckIn:
    """李红, rostered on a window at the south gate that started two minutes ago (the live
    server's real clock), checked in a moment ago."""
    now = timezone.now()
    starts, ends = now - dt.timedelta(minutes=2), now + dt.timedelta(hours=1)
    shift = Shift.objects.create(
        post=city.post_a1,
        day=timezone.localdate(now),
        start=timezone.localtime(starts).time().replace(second=0, microsecond=0),
        end=timezone.localtime(ends).time().replace(second=0, microsecond=0),
        starts_at=starts,
        ends_at=ends,
        requirements={"volunteer": 2},
    )
    Assignment.objects.create(
        published=True,
        shift=shift,
        person=city.person_a1,
        group=city.person_a1.force_group,
        source="manual",
    )
    return check_in(actor=None, person=city.person_a1, post=city.post_a1, method="qr")


@pytest.fixture
def phone(browser, live_server):  # type: ignore[no-untyped-def]
    """phone(locale, **context options) → a page on a 390×844 phone at the gate. The service
    worker is blocked: its install would write the session beside the test's own requests, which
    the in-memory SQLite test database refuses."""
    contexts = []

    def make(locale: str = "zh-CN", **options):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=3,
            is_mobile=True,
            has_touch=True,
            locale=locale,
            timezone_id="Asia/Shanghai",
            service_workers="block",
            **options,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base_url = live_server.url
        return page

    yield make
    for context in contexts:
        context.close()


def fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("locale", LOCALES)
def test_a_check_out_asks_in_a_dialog_that_fits_the_phone(phone, city: City, locale: str) -> None:  # type: ignore[no-untyped-def]
    lang = LOCALES[locale]
    checkin = on_duty_now(city)
    page = phone(locale)
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/duty/")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    button = page.locator(f"[data-testid=checkout-{checkin.pk}]")

    button.click()
    dialog = page.locator("[data-testid=duty-confirm-checkout]")
    dialog.wait_for(state="visible")
    time = timezone.localtime(checkin.at).strftime("%H:%M")
    assert QUESTION[lang].format(time=time) in dialog.inner_text()
    warning = dialog.locator("[data-testid=duty-short-warning]")
    assert warning.is_visible() and WARNING[lang] in warning.inner_text()
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    for name in ("duty-confirm-yes", "duty-confirm-no"):
        target = dialog.locator(f"[data-testid={name}]").bounding_box()
        assert target is not None and target["x"] + target["width"] <= 390
        assert target["height"] >= 44  # a thumb's target
    assert fits(page)

    # "No": nothing is sent, the member is still on duty.
    dialog.locator("[data-testid=duty-confirm-no]").click()
    dialog.wait_for(state="hidden")
    page.wait_for_timeout(300)
    assert sent == [] and button.is_visible()
    assert CheckIn.objects.get().is_open

    # "Yes": checked out, and flagged: it came within minutes of the check-in.
    button.click()
    dialog.locator("[data-testid=duty-confirm-yes]").click()
    page.locator("[data-result=checkout]").wait_for()
    page.wait_for_function("!document.documentElement.hasAttribute('data-duty-busy')")
    row = CheckIn.objects.get()
    assert row.checked_out_at is not None and row.checkout_method == "self"
    assert row.is_short
    page.locator(f'[data-shift="{row.shift_id}"][data-state="closed"]').wait_for()
    assert page.locator('[data-flag="short"]').count() == 1
    assert fits(page)


def test_without_javascript_the_check_out_asks_on_a_page_of_its_own(phone, city: City) -> None:  # type: ignore[no-untyped-def]
    checkin = on_duty_now(city)
    page = phone(java_script_enabled=False)
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/duty/")
    page.locator(f"[data-testid=checkout-{checkin.pk}]").click()
    page.wait_for_url(re.compile(rf"/duty/checkout/{checkin.pk}/\??$"))  # a GET form, no field
    question = page.locator("[data-testid=duty-checkout-confirm]")
    assert "现在签退吗？" in question.inner_text()
    assert question.locator("[data-testid=duty-short-warning]").is_visible()
    assert fits(page)
    assert CheckIn.objects.get().is_open  # asking changed nothing

    page.locator("[data-testid=duty-checkout-no]").click()
    page.wait_for_url("**/duty/")
    assert CheckIn.objects.get().is_open

    page.locator(f"[data-testid=checkout-{checkin.pk}]").click()
    page.locator("[data-testid=duty-checkout-yes]").click()
    page.wait_for_url("**/duty/")
    assert "已签退：市第六小学 · 南门。" in page.locator(".messages li").first.inner_text()
    row = CheckIn.objects.get()
    assert row.checked_out_at is not None and row.is_short
    assert fits(page)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_closed_school_says_so_at_the_poster_with_no_check_in(
    phone, city: City, locale: str
) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    closure_create(
        actor=None,
        school=city.school_a1,
        start=today,
        end=today,
        reason=Closure.Reason.OTHER,
        note="校园停电检修" if locale == "zh-CN" else "power cut",
    )
    page = phone(locale)
    sign_in(page, "volunteer", PASSWORD)
    page.goto(f"{page.base_url}/q/{city.post_a1.qr_token}/")
    notice = page.locator("[data-testid=duty-day-off]")
    expected = {
        "zh-CN": "今天市第六小学停课（校园停电检修），本岗点无值守。",
        "en-US": "市第六小学 is closed today (power cut): no duty at this post.",
    }[locale]
    assert notice.inner_text() == expected
    assert page.locator("[data-testid=duty-confirm]").count() == 0
    assert page.locator("[data-duty-checkin]:visible").count() == 0
    assert fits(page)

    page.goto(page.base_url + "/duty/")
    assert page.locator("[data-testid=duty-day-off]").is_visible()
    assert page.locator("[data-duty-checkin]:visible").count() == 0
    assert fits(page)
