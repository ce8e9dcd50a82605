"""The person-times page on a desktop (1366×900) and a phone (390×844), in Chinese and English:
the page never scrolls sideways, the wide table scrolls inside its card (a region a keyboard can
scroll), the chart draws the top 20 places with all of them a click away, and on a phone its
legend sits under the chart, clear of the axis and its labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from huxue.duty.tests.test_stats import _post, checkin
from huxue.people.forces import ForceType
from huxue.posts.models import School
from huxue.posts.services import school_create
from huxue.testing import PASSWORD, City, make_person
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCHOOLS = 24
URL = "/duty/stats/?from=2021-03-01&to=2021-03-31"
FORCES = [ForceType.POLICE, ForceType.GUARD, ForceType.STAFF, ForceType.PARENT]

OPTION = """() => {
  const box = document.getElementById('stats-chart');
  const chart = echarts.getInstanceByDom(box);
  const o = chart.getOption();
  return {
    layout: box.getAttribute('data-layout'),
    height: chart.getHeight(),
    legend: {top: o.legend[0].top, bottom: o.legend[0].bottom, type: o.legend[0].type},
    grid: {top: o.grid[0].top, bottom: o.grid[0].bottom},
    label: o.xAxis[0].axisLabel,
    bars: o.xAxis[0].data.length,
    axisY: chart.convertToPixel({yAxisIndex: 0}, 0),
  };
}"""


@pytest.fixture
def sized_page(browser, live_server, request) -> Iterator[object]:  # type: ignore[no-untyped-def]
    width, height = request.param
    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=3 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def schools(city: City) -> None:
    """24 schools, the i-th with i % 9 + 1 check-ins in March 2021 of one force type."""
    for i in range(SCHOOLS):
        school = school_create(
            actor=None,
            name=f"七台河市第{i + 1}实验小学",
            stage=School.Stage.PRIMARY,
            station=city.station_a if i % 2 else city.station_b,
            region=city.xinxing if i % 2 else city.taoshan,
            latitude=Decimal("45.77"),
            longitude=Decimal("131.00"),
        )
        post = _post(school, "正门")
        person = make_person(
            city, unit=school.unit, name=f"队员{i}", force_type=FORCES[i % len(FORCES)]
        )
        for k in range(i % 9 + 1):
            checkin(person, post, dt.date(2021, 3, 1 + k))


def _open(page, language: str, query: str = "") -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "city_admin", PASSWORD)
    page.goto(page.base_url + URL + query)
    if page.locator("html").get_attribute("lang") != language:
        page.click(f"[data-testid=lang-{language}]")
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == language
    page.wait_for_selector("[data-testid=stats-chart][data-drawn='1']")


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"


SIZES = [(1366, 900), (390, 844)]


@pytest.mark.parametrize("sized_page", SIZES, indirect=True, ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_page_never_scrolls_sideways_the_table_does(  # type: ignore[no-untyped-def]
    sized_page, language: str, schools: None
) -> None:
    page = sized_page
    # By post and by week: the widest table (a school beside each post, a period column).
    _open(page, language, "&by=post&period=week")
    _no_sideways_scroll(page)
    wrap = page.locator("[data-testid=stats-table-wrap]")
    assert wrap.get_attribute("role") == "region" and wrap.get_attribute("tabindex") == "0"
    assert wrap.get_attribute("aria-label")
    assert wrap.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    box = wrap.bounding_box()
    assert (
        box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    )
    wider = wrap.evaluate("el => el.scrollWidth - el.clientWidth")
    if page.viewport_size["width"] < 600:
        assert wider > 0, "a phone cannot hold 15 columns: the table must scroll"
    if wider > 0:
        # A keyboard scrolls it: focus the region, press the right arrow.
        wrap.focus()
        assert page.evaluate("document.activeElement.dataset.testid") == "stats-table-wrap"
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=stats-table-wrap]').scrollLeft > 0"
        )
        wrap.evaluate("el => { el.style.scrollBehavior = 'auto'; el.scrollLeft = el.scrollWidth; }")
    # Scrolled or not, the last column is now inside the card, and the page has not moved.
    last = page.locator("[data-testid=stats-table] thead th").last.bounding_box()
    box = wrap.bounding_box()
    assert last is not None and box is not None
    assert last["x"] + last["width"] <= box["x"] + box["width"] + 1
    assert page.evaluate("window.scrollX") == 0
    _no_sideways_scroll(page)


@pytest.mark.parametrize("sized_page", [(1366, 900)], indirect=True, ids=["desktop"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_group_headers_stand_over_their_force_types(  # type: ignore[no-untyped-def]
    sized_page, language: str, schools: None
) -> None:
    page = sized_page
    _open(page, language, "&by=school")
    _no_sideways_scroll(page)
    group = page.locator("th[data-group-head=police]").bounding_box()
    first = page.locator("th[data-type=police]").bounding_box()
    sub = page.locator("thead th[data-group=police]").bounding_box()
    assert group and first and sub
    assert group["y"] < first["y"]
    assert (
        group["x"] <= first["x"] + 1 and sub["x"] + sub["width"] <= group["x"] + group["width"] + 1
    )


@pytest.mark.parametrize("sized_page", [(390, 844)], indirect=True, ids=["phone"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_on_a_phone_the_legend_is_under_the_chart_clear_of_the_axis(  # type: ignore[no-untyped-def]
    sized_page, language: str, schools: None
) -> None:
    page = sized_page
    _open(page, language)
    chart = page.evaluate(OPTION)
    assert chart["layout"] == "narrow" and chart["bars"] == 20
    legend, grid, label = chart["legend"], chart["grid"], chart["label"]
    assert legend["top"] is None and legend["type"] == "scroll"
    # The legend's line (an item of 14 px and 5 px of padding each side) is inside the grid's
    # bottom margin, which the axis labels (upright, cut to their width) stay out of.
    legend_top = chart["height"] - legend["bottom"] - 24
    assert grid["bottom"] >= legend["bottom"] + 24
    assert label["rotate"] == 90 and label["overflow"] == "truncate"
    assert chart["axisY"] + 8 + label["width"] <= legend_top
    _no_sideways_scroll(page)

    # Every school is a click away; the page still fits.
    page.click("[data-testid=stats-show-all]")
    page.wait_for_selector("[data-testid=stats-chart][data-drawn='1']")
    chart = page.evaluate(OPTION)
    assert chart["bars"] == SCHOOLS
    _no_sideways_scroll(page)


@pytest.mark.parametrize("sized_page", [(1366, 900)], indirect=True, ids=["desktop"])
def test_on_a_desktop_the_legend_is_above_the_chart(  # type: ignore[no-untyped-def]
    sized_page, schools: None
) -> None:
    page = sized_page
    _open(page, "zh-hans")
    chart = page.evaluate(OPTION)
    assert chart["layout"] == "wide" and chart["bars"] == 20
    assert chart["legend"]["top"] == 0 and chart["grid"]["top"] >= 24
    assert page.locator("[data-testid=stats-show-all]").inner_text() == f"显示全部 {SCHOOLS} 所学校"
