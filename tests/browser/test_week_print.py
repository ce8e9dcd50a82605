"""The lead prints the week: the grid on paper is A4 landscape, the site's chrome and buttons
gone, the title, version and whole grid across the page."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from huxue.people.models import Person
from huxue.posts.services import parse_windows, post_create
from huxue.roster.models import Assignment, RosterVersion, Shift
from huxue.roster.services import shifts_generate
from huxue.testing import PASSWORD, ROSTER_MONDAY, ROSTER_NOW, City, make_person, make_term
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A4 landscape in PDF points; and its printable width (10 mm margins) in CSS pixels.
A4_LANDSCAPE = (842, 595)
PRINT_WIDTH_PX = round((297 - 20) / 25.4 * 96)
NAMES = [
    "王芳",
    "李娜",
    "张伟",
    "刘洋",
    "陈静",
    "杨磊",
    "赵敏",
    "黄勇",
    "周婷",
    "吴斌",
    "徐丽",
    "孙强",
    "胡军",
    "朱红",
    "高峰",
    "林涛",
]


def _full_week(city: City) -> None:
    """school_a1 with three gates, two windows a day, every shift staffed and published."""
    make_term(city)
    posts = [city.post_a1]
    for name in ("东门", "西门"):
        posts.append(
            post_create(
                actor=None,
                school=city.school_a1,
                name=name,
                latitude=city.school_a1.latitude,
                longitude=city.school_a1.longitude,
                windows=parse_windows("07:00-08:00, 15:30-17:00"),
                requirements={"police": 1, "guard": 1, "volunteer": 2},
            )
        )
    monday = ROSTER_MONDAY
    shifts_generate(actor=None, posts=posts, start=monday, end=monday + dt.timedelta(days=4))
    people: dict[str, list[Person]] = {
        "police": [
            make_person(city, unit=city.school_a1.unit, name=f"{n}警官", force_type="police")
            for n in NAMES[:4]
        ],
        "guard": [
            make_person(city, unit=city.school_a1.unit, name=f"{n}保安", force_type="guard")
            for n in NAMES[4:8]
        ],
        "volunteer": [
            make_person(city, unit=city.school_a1.unit, name=n, force_type="parent")
            for n in NAMES[8:]
        ],
    }
    for i, shift in enumerate(Shift.objects.filter(post__school=city.school_a1).order_by("id")):
        for group, need in shift.requirements.items():
            for k in range(int(need)):
                pool = people.get(group) or people["volunteer"]
                who = pool[(i + k) % len(pool)]
                Assignment.objects.create(
                    shift=shift, person=who, group=who.force_group, source="solver", published=True
                )
    RosterVersion.objects.create(
        school=city.school_a1,
        start=monday,
        end=monday + dt.timedelta(days=6),
        version=1,
        published_at=ROSTER_NOW,
    )


def test_the_week_grid_prints_on_one_a4_landscape_page(  # type: ignore[no-untyped-def]
    page, city: City, roster_now: None
) -> None:
    _full_week(city)
    # One change not yet published: the print says so, as the grid does.
    shift = Shift.objects.filter(post__school=city.school_a1).order_by("starts_at").first()
    late = make_person(city, unit=city.school_a1.unit, name="新来家长", force_type="parent")
    Assignment.objects.create(shift=shift, person=late, group=late.force_group, source="manual")
    sign_in(page, "school_lead", PASSWORD)
    page.goto(f"{page.base_url}/roster/schools/{city.school_a1.pk}/week/{ROSTER_MONDAY}/")
    page.wait_for_load_state("networkidle")

    # The Print button opens the browser's print dialog.
    page.evaluate(
        "() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }"
    )
    page.click("[data-testid=print]")
    assert page.evaluate("window.__printed") == 1

    # On paper: no navigation, buttons, forms or edit links; title, version and grid stay, and
    # the grid fits the printable width.
    page.set_viewport_size({"width": PRINT_WIDTH_PX, "height": 700})
    page.emulate_media(media="print")
    for hidden in (
        ".top",
        "[data-testid=print]",
        "[data-testid=export]",
        "[data-testid=solve]",
        "[data-testid=publish]",
        ".roster-grid a",
    ):
        assert not page.locator(hidden).first.is_visible(), hidden
    for shown in (
        "h1",
        "[data-testid=version]",
        "[data-testid=unpublished]",
        "[data-testid=roster-grid]",
    ):
        assert page.locator(shown).first.is_visible(), shown
    grid = page.locator("[data-testid=roster-grid]").bounding_box()
    assert grid is not None and grid["width"] <= PRINT_WIDTH_PX

    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    if os.environ.get("HUXUE_KEEP_PRINT"):  # a file name: look with pdftoppm -png -r 60
        with open(os.environ["HUXUE_KEEP_PRINT"], "wb") as out:
            out.write(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes, "no page in the PDF"
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {A4_LANDSCAPE}
    assert len(boxes) == 1  # three gates × two windows × five days on one sheet
