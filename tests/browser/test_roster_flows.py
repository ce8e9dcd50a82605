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


def test_a_sign_up_is_accepted_published_and_seen_on_the_phone(  # type: ignore[no-untyped-def]
    phone_page, page, city: City, roster_now: None
) -> None:
    """A volunteer signs up on a phone, the lead accepts and publishes, the volunteer sees the
    shift under 已排班; until the lead publishes, it is a sign-up with its answer."""
    monday = ROSTER_MONDAY
    make_term(city)
    shifts_generate(
        actor=None, posts=[city.post_a1], start=monday, end=monday + dt.timedelta(days=4)
    )
    today = ROSTER_NOW.date()
    member = city.person_a1
    Person.objects.filter(pk=member.pk).update(
        vetting_status="passed", vetted_on=today, training_status="trained", trained_on=today
    )
    availability_set(
        actor=None, person=member, windows=[(d, dt.time(7), dt.time(8)) for d in range(5)]
    )
    shift = Shift.objects.get(
        post=city.post_a1, day=monday + dt.timedelta(days=2), start=dt.time(7)
    )

    phone = phone_page
    sign_in(phone, "volunteer", PASSWORD)
    phone.goto(phone.base_url + "/roster/my/")
    phone.click(f"[data-testid=signup-{shift.pk}]")
    phone.wait_for_load_state("networkidle")
    assert "等待学校负责人确认" in phone.locator(".messages li").first.inner_text()
    assert "待学校保卫干部审批" in phone.locator("[data-testid=signup-state]").inner_text()
    signup = SignUp.objects.get(person=member, shift=shift)

    lead = page
    sign_in(lead, "school_lead", PASSWORD)
    lead.goto(lead.base_url + f"/roster/lead/shifts/{shift.pk}/")
    lead.click(f"[data-testid=accept-{signup.pk}]")
    lead.wait_for_load_state("networkidle")
    lead.goto(lead.base_url + f"/roster/schools/{city.school_a1.pk}/week/{monday.isoformat()}/")
    assert "未发布的更改：1 处" in lead.locator("[data-testid=unpublished]").inner_text()
    phone.reload()
    assert "已接受" in phone.locator("[data-testid=signup-state]").inner_text()
    assert phone.locator("[data-testid=assignment]").count() == 0  # not published yet

    lead.click("[data-testid=publish]")
    lead.wait_for_load_state("networkidle")
    assert member.name in lead.locator("[data-testid=added]").inner_text()
    lead.click("[data-testid=confirm-publish]")
    lead.wait_for_load_state("networkidle")
    assert "第 1 版排班已发布" in lead.locator(".messages li").first.inner_text()

    phone.reload()
    card = phone.locator("[data-testid=assignment]")
    assert card.count() == 1
    assert "07:00" in card.inner_text() and city.post_a1.name in card.inner_text()
    assert phone.locator("[data-testid=signup]").count() == 0
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
