from __future__ import annotations

import datetime as dt

import pytest

from huxue.people.models import Person
from huxue.roster.models import Shift, SignUp
from huxue.roster.services import availability_set, shifts_generate
from huxue.testing import PASSWORD, ROSTER_MONDAY, ROSTER_NOW, City, make_term
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_signs_up_for_a_shift_on_a_phone(phone_page, city: City, roster_now: None) -> None:  # type: ignore[no-untyped-def]
    today = ROSTER_NOW.date()
    monday = ROSTER_MONDAY
    make_term(city)
    shifts_generate(
        actor=None, posts=[city.post_a1], start=monday, end=monday + dt.timedelta(days=4)
    )
    member = city.person_a1
    Person.objects.filter(pk=member.pk).update(
        vetting_status="passed", vetted_on=today, training_status="trained", trained_on=today
    )
    availability_set(
        actor=None, person=member, windows=[(d, dt.time(7), dt.time(8)) for d in range(7)]
    )
    morning = (
        Shift.objects.filter(post=city.post_a1, start=dt.time(7)).order_by("starts_at").first()
    )
    assert morning is not None

    page = phone_page
    sign_in(page, "volunteer", PASSWORD)
    page.click("text=我的班次")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=open-shift]").count() >= 1
    page.click(f"[data-testid=signup-{morning.pk}]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".messages li").first.inner_text().startswith("感谢")
    assert page.locator("[data-testid=signup]").count() == 1
    assert SignUp.objects.filter(person=member, shift=morning, withdrawn_at__isnull=True).exists()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    page.click("[data-testid=signup] button")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=signup]").count() == 0
