from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from huxue.people.models import Person
from huxue.testing import PASSWORD, City, make_id_number, make_phone
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_signs_in_in_chinese_and_switches_to_english(page, city: City) -> None:
    sign_in(page, "school_lead", PASSWORD)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.click("[data-testid=account-menu] summary")  # sign-out sits in the account menu
    assert page.get_by_text("退出").is_visible()
    page.click("[data-testid=lang-en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("[data-testid=account-menu] summary")
    assert page.get_by_text("Sign out").is_visible()


def test_a_wrong_password_shows_an_error(page, city: City) -> None:
    sign_in(page, "school_lead", "not-the-password")
    assert page.locator("[role=alert]").is_visible()
    assert "/login/" in page.url


def test_the_people_list_is_masked(page, city: City) -> None:
    sign_in(page, "school_lead", PASSWORD)
    page.goto(page.base_url + "/people/")
    cells = page.locator("[data-testid=id-number]")
    assert cells.count() == 1
    assert cells.first.inner_text() == city.person_a1.id_masked
    assert city.person_a1.id_number not in page.content()
    assert city.person_b1.name not in page.content()


def test_an_import_with_a_bad_row_reports_the_row_and_keeps_the_good_ones(
    page, city: City, tmp_path
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["护学岗队员名单"])  # a title row above the header
    ws.append(["姓名", "力量类型", "手机号", "身份证号"])
    ws.append(["陈晨", "家长志愿者", make_phone(city.rng), make_id_number(city.rng)])
    ws.append(["刘洋", "群众志愿者", "12345", make_id_number(city.rng)])  # bad phone, Excel row 4
    path = tmp_path / "people.xlsx"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(buffer.getvalue())

    sign_in(page, "school_lead", PASSWORD)
    page.goto(page.base_url + "/imports/")
    page.set_input_files("[data-testid=import-people-file]", str(path))
    page.click("[data-testid=import-people-submit]")
    page.wait_for_load_state("networkidle")
    error_rows = page.locator("[data-testid=import-error-row]")
    assert error_rows.count() == 1
    text = error_rows.first.inner_text()
    assert "4" in text and "手机" in text
    assert Person.objects.filter(name="陈晨").exists()
    assert not Person.objects.filter(name="刘洋").exists()


def test_a_member_page_fits_a_phone_screen(phone_page, city: City) -> None:
    page = phone_page
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/people/")
    assert page.get_by_text(city.person_a1.name).first.is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the phone"
    table_overflow = page.evaluate(
        "(() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth; })()"
    )
    assert table_overflow <= 1, "the member list needs sideways scrolling on a phone"
    assert page.locator("[data-testid=id-number]").first.is_visible()
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.filters button')).minHeight)"
    )
    assert size >= 36  # buttons big enough to tap
