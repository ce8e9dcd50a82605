"""消息 on a 390 px phone, in Chinese and English: the navigation shows the unread count, the
inbox and a message fit the screen (a long address in a message wraps), opening a message reads
it, and "mark all as read" empties the count."""

from __future__ import annotations

import pytest

from huxue.notify.dispatch import dispatch_pass
from huxue.notify.services import notify_enqueue
from huxue.testing import PASSWORD, City
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_URL = "https://huxue.example.org/duty/callouts/12345/?from=notification&channel=inapp&x=" + (
    "a" * 60
)


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"sideways scroll of {width - inner} px on {page.url}"


def _badge(page) -> str | None:  # type: ignore[no-untyped-def]
    badge = page.locator("[data-testid=inbox-unread]")
    return badge.inner_text().split()[0] if badge.count() else None


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_inbox_fits_a_phone_and_the_badge_counts_unread(  # type: ignore[no-untyped-def]
    phone_page, language: str, city: City
) -> None:
    volunteer = city.users["volunteer"]
    subjects = [
        "护学岗值守提醒",
        "您有新的班次",
        "请您到 七台河市第六小学 · 正门（东侧家长接送区）替补值守",
    ]
    for i, subject in enumerate(subjects):
        notify_enqueue(
            dedupe_key=f"browser:{i}",
            kind="callout",
            subject=subject,
            body=f"七台河市第六小学 · 正门 在 2026-12-08 07:00–08:00 时段缺员。\n请在此答复：{LONG_URL}",
            user=volunteer,
        )
    assert dispatch_pass().sent == 3

    page = phone_page
    sign_in(page, "volunteer", PASSWORD)
    if page.locator("html").get_attribute("lang") != language:
        page.click(f"[data-testid=lang-{language}]")
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == language
    link = page.locator("[data-testid=inbox-link]")
    assert link.inner_text().startswith("消息" if language == "zh-hans" else "Messages")
    assert _badge(page) == "3"
    _fits(page)

    link.click()
    page.wait_for_load_state("networkidle")
    items = page.locator("[data-testid=inbox-item]")
    assert items.count() == 3
    # Newest first, unread in bold.
    assert "替补值守" in items.first.inner_text()
    weight = items.first.locator(".inbox-subject").evaluate("e => getComputedStyle(e).fontWeight")
    assert int(weight) >= 700
    _fits(page)

    items.first.locator(".inbox-subject").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=message] a", has_text="huxue.example.org").count() == 1
    _fits(page)
    assert _badge(page) == "2"

    page.go_back()
    page.reload()
    assert page.locator(".inbox-item.unread").count() == 2
    page.click("[data-testid=mark-all-read]")
    page.wait_for_load_state("networkidle")
    assert _badge(page) is None
    assert page.locator(".inbox-item.unread").count() == 0
    _fits(page)
