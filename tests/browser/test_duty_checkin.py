"""The member checks in at the gate on a phone: offline, the check-in waits on the phone and is
sent once when the network is back; a lost answer is retried with the same key and counted once;
a position far from the post is flagged in words."""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from huxue.duty.models import CheckIn
from huxue.roster.models import Assignment, Shift
from huxue.testing import PASSWORD, City
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

API = re.compile(r"/api/v1/checkins/$")


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


def shift_open_now(city: City) -> Shift:
    """A shift at the south gate that started two minutes ago (the live server's real clock)."""
    now = timezone.now()
    starts = now - dt.timedelta(minutes=2)
    ends = now + dt.timedelta(hours=1)
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
    return shift


@pytest.fixture
def phone(browser, live_server):  # type: ignore[no-untyped-def]
    """phone(latitude, longitude, **context options) → a page on a phone that shares its
    position (or not, with grant=False).

    Tests that do not need the service worker block it (service_workers="block"): its install
    fetches the today page in parallel with the test's own requests, and the in-memory SQLite
    test database refuses concurrent writers ("table is locked")."""
    contexts = []

    def make(latitude: float = 0.0, longitude: float = 0.0, *, grant: bool = True, **options):  # type: ignore[no-untyped-def]
        extra = (
            {
                "geolocation": {"latitude": latitude, "longitude": longitude, "accuracy": 10},
                "permissions": ["geolocation"],
            }
            if grant
            else {}
        )
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=3,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **extra,
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


def at_the_gate(phone, city: City, **options):  # type: ignore[no-untyped-def]
    return phone(float(city.post_a1.latitude), float(city.post_a1.longitude), **options)


def wait_until(check, what: str, attempts: int = 150) -> None:  # type: ignore[no-untyped-def]
    """Poll a condition (the page works in the background); fails with `what`."""
    for _ in range(attempts):
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(what)


def settled(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page has finished sending and reading itself again (no request left in
    flight when the test ends and the database is flushed)."""
    page.wait_for_function("!document.documentElement.hasAttribute('data-duty-busy')")


def queue_length(page) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate("window.huxueDuty.queue().length")


def _no_network(route) -> None:  # type: ignore[no-untyped-def]
    route.abort("internetdisconnected")


def go_offline(page) -> None:  # type: ignore[no-untyped-def]
    """Cut the phone off: every request fails as on a phone without a network (the page's own
    and the service worker's), then the browser says it is offline (navigator.onLine, the
    offline event). The emulation alone once let a check-in reach the server while the phone
    was meant to be offline (one full run on a fresh machine, not seen again in about 40 runs;
    the moment it is applied to a page or worker is the likely gap); the route does not depend
    on it."""
    page.context.route("**/*", _no_network)
    page.context.set_offline(True)
    page.wait_for_function("navigator.onLine === false")


def go_online(page) -> None:  # type: ignore[no-untyped-def]
    page.context.unroute("**/*", _no_network)
    page.context.set_offline(False)


def app_shell_kept(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """async () => {
            for (const name of await caches.keys()) {
                if (await (await caches.open(name)).match('/duty/', {ignoreVary: true})) return true;
            }
            return false;
        }"""
    )


def test_a_check_in_made_offline_is_queued_then_synced_once(phone, city: City) -> None:  # type: ignore[no-untyped-def]
    shift = shift_open_now(city)
    page = at_the_gate(phone, city)
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/duty/")
    button = page.locator(f"[data-testid=checkin-{city.post_a1.pk}]")
    assert button.is_visible()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(lambda: app_shell_kept(page), "the service worker never kept the today page")

    go_offline(page)
    button.click()
    queue = page.locator("[data-testid=duty-queue]")
    queue.wait_for(state="visible")
    assert queue.get_attribute("data-waiting") == "1"
    expected = zh("Saved on this phone; it will be sent when you are online (%(n)s waiting).")
    assert expected.replace("%(n)s", "1") in queue.inner_text()
    assert page.locator("[data-testid=duty-pending]").count() == 1
    assert not button.is_visible()
    assert CheckIn.objects.count() == 0

    # Without a network the page still opens (the service worker's copy), the check-in still waits.
    page.reload()
    page.locator("[data-testid=duty-queue]").wait_for(state="visible")
    assert queue_length(page) == 1
    # Seen once in about ten full runs (PostgreSQL pass): a row here. Say which, to tell a send
    # that escaped the cut network from a row left by another test.
    assert not CheckIn.objects.exists(), list(
        CheckIn.objects.values("person__name", "shift_id", "method", "server_at", "client_key")
    )

    go_online(page)
    page.locator("[data-result=checkin]").wait_for()
    settled(page)
    assert CheckIn.objects.count() == 1
    row = CheckIn.objects.get()
    assert row.person == city.person_a1 and row.shift == shift and row.method == "gps"
    assert row.device_at is not None and row.distance_m == 0.0 and not row.is_outside
    assert row.client_key  # the phone's key, stored with the check-in
    assert queue_length(page) == 0
    checkout = page.locator(f"[data-testid=checkout-{row.pk}]")
    checkout.wait_for()

    page.reload()
    page.wait_for_load_state("networkidle")
    assert queue_length(page) == 0
    assert CheckIn.objects.count() == 1
    assert page.locator(f'[data-shift="{shift.pk}"]').get_attribute("data-state") == "open"

    page.locator(f"[data-testid=checkout-{row.pk}]").click()
    page.locator("[data-testid=duty-confirm-yes]").click()  # a check-out asks first
    page.locator("[data-result=checkout]").wait_for()
    settled(page)
    row.refresh_from_db()
    assert row.checked_out_at is not None and row.checkout_method == "self"
    page.locator(f'[data-shift="{shift.pk}"][data-state="closed"]').wait_for()
    assert CheckIn.objects.count() == 1


def test_a_lost_answer_is_retried_with_the_same_key_and_counted_once(phone, city: City) -> None:  # type: ignore[no-untyped-def]
    shift_open_now(city)
    # Service workers blocked so that page.route sees every request of the page.
    page = at_the_gate(phone, city, service_workers="block")
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/duty/")
    sent: list[tuple[str, str | None]] = []
    answers: list[tuple[int, str | None]] = []

    def drop_the_first_answer(route) -> None:  # type: ignore[no-untyped-def]
        request = route.request
        sent.append((request.headers.get("idempotency-key", ""), request.post_data))
        if len(sent) == 1:
            route.fetch()  # reaches the server, which checks the member in…
            route.abort("connectionreset")  # …but the phone never hears back
        else:
            route.continue_()

    page.route(API, drop_the_first_answer)
    page.on(
        "response",
        lambda r: (
            answers.append((r.status, r.headers.get("idempotent-replayed")))
            if API.search(r.url) and r.request.method == "POST"
            else None
        ),
    )
    page.locator(f"[data-testid=checkin-{city.post_a1.pk}]").click()
    # The attempt failed as if the network dropped: kept on the phone for a retry.
    page.locator("[data-testid=duty-queue][data-problem=offline]").wait_for()
    assert len(sent) == 1 and queue_length(page) == 1
    assert CheckIn.objects.count() == 1  # the server has it; the phone does not know yet

    page.evaluate("window.huxueDuty.flush()")
    page.locator("[data-result=checkin]").wait_for()
    settled(page)
    assert len(sent) == 2
    assert sent[0] == sent[1]  # the same key and the same body
    assert answers == [(201, "true")]  # the original answer, replayed
    assert CheckIn.objects.count() == 1
    assert CheckIn.objects.get().client_key == sent[0][0]
    assert queue_length(page) == 0


def test_a_check_in_a_kilometre_away_is_flagged_outside_in_words(phone, city: City) -> None:  # type: ignore[no-untyped-def]
    shift = shift_open_now(city)
    far = float(city.post_a1.latitude + Decimal("0.009"))  # ~1 km north
    page = phone(far, float(city.post_a1.longitude), service_workers="block")
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/duty/")
    page.locator(f"[data-testid=checkin-{city.post_a1.pk}]").click()
    message = page.locator("[data-result=checkin]")
    message.wait_for()
    settled(page)
    assert "outside" in (message.get_attribute("data-flags") or "").split(",")
    assert zh("outside the area") in message.inner_text()
    card = page.locator(f'[data-shift="{shift.pk}"]')
    card.locator("[data-flag=outside]").wait_for()
    assert zh("outside the area") in card.inner_text()
    row = CheckIn.objects.get()
    assert row.is_outside and 950 < row.distance_m < 1050


def test_without_location_the_page_says_so_and_sends_nothing(phone, city: City) -> None:  # type: ignore[no-untyped-def]
    shift_open_now(city)
    page = phone(grant=False, service_workers="block")
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/duty/")
    page.locator(f"[data-testid=checkin-{city.post_a1.pk}]").click()
    message = page.locator("[data-result=location-denied]")
    message.wait_for()
    assert (
        zh(
            "This page may not use your location. Allow location for this site in your phone's "
            "settings, or scan the QR poster at the gate instead."
        )
        in message.inner_text()
    )
    assert queue_length(page) == 0
    assert CheckIn.objects.count() == 0


def test_a_scanned_poster_checks_the_member_in_by_qr(phone, city: City) -> None:  # type: ignore[no-untyped-def]
    shift = shift_open_now(city)
    page = at_the_gate(phone, city, service_workers="block")
    poster = f"{page.base_url}/q/{city.post_a1.qr_token}/"
    page.goto(poster)
    assert "/login/" in page.url  # anonymous: sign in first, then back to the poster
    page.fill("#id_username", "volunteer")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(poster)
    page.locator("[data-testid=duty-confirm]").click()
    page.locator("[data-result=checkin]").wait_for()
    settled(page)
    row = CheckIn.objects.get()
    assert row.method == "qr" and row.shift == shift
    page.locator(f'[data-shift="{shift.pk}"][data-state="open"]').wait_for()


def test_a_poster_scanned_without_a_network_queues_a_check_in_at_that_post(
    phone, city: City
) -> None:  # type: ignore[no-untyped-def]
    shift = shift_open_now(city)
    page = at_the_gate(phone, city)
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/duty/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(lambda: app_shell_kept(page), "the service worker never kept the today page")

    go_offline(page)
    # A poster never opened before: the service worker answers with the kept today page.
    page.goto(f"{page.base_url}/q/{city.post_a1.qr_token}/")
    offline = page.locator("[data-testid=duty-offline-qr]")
    offline.wait_for()
    offline.locator("button").click()
    page.locator("[data-testid=duty-queue][data-problem=offline]").wait_for()
    assert queue_length(page) == 1
    assert CheckIn.objects.count() == 0

    go_online(page)
    page.locator("[data-result=checkin]").wait_for()
    settled(page)
    row = CheckIn.objects.get()
    assert row.method == "qr" and row.shift == shift
    assert queue_length(page) == 0


def test_a_check_in_refused_for_a_lost_sign_in_waits_until_the_member_signs_in_again(
    phone, city: City
) -> None:  # type: ignore[no-untyped-def]
    shift_open_now(city)
    page = at_the_gate(phone, city, service_workers="block")
    sign_in(page, "volunteer", PASSWORD)
    page.goto(page.base_url + "/duty/")
    page.context.clear_cookies()  # the session is gone (expired, or signed out elsewhere)
    page.locator(f"[data-testid=checkin-{city.post_a1.pk}]").click()
    queue = page.locator("[data-testid=duty-queue][data-problem=auth]")
    queue.wait_for()
    assert queue_length(page) == 1
    assert CheckIn.objects.count() == 0

    queue.locator("a").click()  # "sign in", and back to the today page
    page.fill("#id_username", "volunteer")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.locator("[data-result=checkin]").wait_for()
    settled(page)
    assert page.url.endswith("/duty/")
    assert CheckIn.objects.count() == 1
    assert queue_length(page) == 0
