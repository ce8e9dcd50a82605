"""Supervision on a 390 px phone (issue 17, done-means): an inspector starts a round at a post,
fails 看设施 with a photo, submits, and raises a hazard from it; the station officer assigns it
to the school; the school lead sees it assigned to the school. Every page fits the phone, in
Chinese and in English (an en-US browser)."""

from __future__ import annotations

from typing import Any

import pytest

from huxue.files.tests.test_images import jpeg
from huxue.supervision.models import Hazard, InspectionRound
from huxue.testing import PASSWORD, City
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(browser: Any, live_server: Any, locale: str) -> Any:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    return page


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"sideways scroll of {width - inner} px on {page.url}"


def _speak(page: Any, language: str) -> None:
    if page.locator("html").get_attribute("lang") != language:
        page.click(f"[data-testid=lang-{language}]")
        page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("language,locale", [("zh-hans", "zh-CN"), ("en", "en-US")])
def test_a_round_a_failed_item_with_a_photo_a_hazard_and_the_school_sees_it(  # type: ignore[no-untyped-def]
    browser, live_server, city: City, settings, tmp_path, language: str, locale: str
) -> None:
    settings.HUXUE_MEDIA_DIR = tmp_path
    page = _phone(browser, live_server, locale)
    sign_in(page, "inspector", PASSWORD)
    _speak(page, language)
    page.goto(live_server.url + "/supervision/")
    _fits(page)
    page.select_option("#start-post", str(city.post_a1.pk))
    page.click("[data-testid=round-start-button]")
    page.wait_for_load_state("networkidle")
    _fits(page)
    round_ = InspectionRound.objects.get()

    for item in page.locator("[data-testid=item]").all():
        title = item.get_attribute("data-item")
        if title == "查到岗":
            continue  # answered from the roster and the check-ins
        card = page.locator(f"[data-testid=item][data-item='{title}']")
        if title == "看设施":
            card.locator("input[value=fail]").check()
            card.locator("textarea").fill("南门防冲撞护栏倒伏")
            card.locator("input[type=file]").set_input_files(
                files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
            )
        else:
            card.locator("input[value=pass]").check()
        card.locator("[data-testid=item-save]").click()
        page.wait_for_load_state("networkidle")

    failed = page.locator("[data-testid=item][data-item='看设施']")
    assert failed.locator(".sv-photos img").count() == 1
    assert failed.locator(".sv-photos img").evaluate("img => img.naturalWidth") > 0  # it loads
    page.click("[data-testid=round-submit]")
    page.wait_for_load_state("networkidle")
    round_.refresh_from_db()
    assert round_.status == "submitted"
    _fits(page)

    page.click("[data-testid=raise-hazard]")
    page.wait_for_load_state("networkidle")
    _fits(page)
    assert "南门防冲撞护栏倒伏" in page.input_value("#id_title")
    page.click("[data-testid=hazard-submit]")
    page.wait_for_load_state("networkidle")
    hazard = Hazard.objects.get()
    assert hazard.answer is not None and hazard.answer.item.title == "看设施"
    assert page.locator(".sv-photos img").count() == 1  # the inspection's photo, with the hazard
    _fits(page)
    page.context.close()

    station = _phone(browser, live_server, locale)
    sign_in(station, "station_officer", PASSWORD)
    _speak(station, language)
    station.goto(f"{live_server.url}/supervision/hazards/{hazard.pk}/")
    form = station.locator("[data-testid=step-assign]")
    form.locator("select[name=responsible]").select_option(str(city.school_a1.unit.pk))
    form.locator("input[name=deadline]").fill("2099-01-01")
    form.locator("button[type=submit]").click()
    station.wait_for_load_state("networkidle")
    _fits(station)
    station.context.close()

    lead = _phone(browser, live_server, locale)
    sign_in(lead, "school_lead", PASSWORD)
    _speak(lead, language)
    lead.goto(live_server.url + "/supervision/hazards/")
    _fits(lead)
    row = lead.locator("[data-testid=hazard-row]", has_text="南门防冲撞护栏倒伏")
    assert row.count() == 1
    assert city.school_a1.unit.name in row.inner_text()
    row.locator("a").click()
    lead.wait_for_load_state("networkidle")
    assert lead.locator("[data-testid=hazard-responsible]").inner_text() == city.school_a1.unit.name
    assert lead.locator("[data-testid=step-start]").count() == 1
    _fits(lead)
    lead.context.close()
