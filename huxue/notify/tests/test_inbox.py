"""The in-app inbox (消息): the dispatcher delivers every notice addressed to a person to their
inbox, and only there does anyone read it — its addressee, nobody else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.db import connection
from django.http import Http404
from django.template import engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from huxue.notify import channels, selectors
from huxue.notify.context import inbox as inbox_context
from huxue.notify.dispatch import dispatch_pass
from huxue.notify.models import InboxMessage, Notification
from huxue.notify.services import (
    inbox_mark_all_read,
    inbox_mark_read,
    notify_cancel,
    notify_enqueue,
    notify_enqueue_units,
)
from huxue.notify.tests.factories import make_channel
from huxue.notify.views import PER_PAGE
from huxue.testing import City

Status = Notification.Status


def _notice(city: City, key: str, *, to: str = "volunteer", **extra) -> Notification:
    fields = {"subject": "护学岗值守提醒", "body": "12-10 15:30，市第六小学 · 南门。", **extra}
    notification, _new = notify_enqueue(
        dedupe_key=key, kind="shift.reminder", user=city.users[to], **fields
    )
    return notification


def _delivered(city: City, key: str, *, to: str = "volunteer", **extra) -> InboxMessage:
    notification = _notice(city, key, to=to, **extra)
    dispatch_pass()
    return InboxMessage.objects.get(notification=notification)


# --- the dispatcher delivers -------------------------------------------------------------------


def test_a_notice_to_a_person_is_delivered_to_their_inbox(city: City, settings) -> None:
    settings.HUXUE_BASE_URL = "https://huxue.example.org"
    notification = _notice(
        city,
        "callout:7",
        subject="请到市第六小学 · 南门顶岗",
        body="能来吗？在此回复：https://huxue.example.org/duty/callouts/7/",
        payload={"callout": 7, "url": "https://huxue.example.org/duty/callouts/7/"},
    )
    assert not InboxMessage.objects.exists()  # not before the dispatcher delivers it

    assert dispatch_pass().sent == 1

    [message] = InboxMessage.objects.all()
    assert message.user == city.users["volunteer"]
    assert message.notification == notification
    assert message.subject == "请到市第六小学 · 南门顶岗"
    assert message.body.startswith("能来吗？")
    assert message.link == "/duty/callouts/7/"  # a path of this site, whatever host serves it
    assert message.read_at is None and message.delivered_at is not None
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.sent_via == "inapp,console"


def test_a_link_to_another_site_is_not_kept(city: City) -> None:
    message = _delivered(city, "a", payload={"url": "https://evil.example.com/x"})
    assert message.link == ""
    message = _delivered(city, "b", payload={"url": "//evil.example.com/x"})
    assert message.link == ""


def test_a_notice_to_a_units_group_reaches_no_inbox(city: City, robot) -> None:
    make_channel(city.school_a1.unit, address=robot.url)
    notify_enqueue_units(
        units=[city.school_a1.unit], dedupe_key="gap:1", kind="gap_alert", subject="缺岗", body="…"
    )
    assert dispatch_pass().sent == 1
    assert len(robot.requests) == 1
    assert not InboxMessage.objects.exists()


def test_a_notice_not_yet_due_or_cancelled_is_not_in_the_inbox(city: City) -> None:
    later = timezone.now() + dt.timedelta(hours=2)
    _notice(city, "reminder:shift:1:person:1:assignment:1", due_at=later)
    _notice(city, "reminder:shift:2:person:1:assignment:2", due_at=later)
    notify_cancel(key_prefix="reminder:shift:2:")

    dispatch_pass()
    assert not InboxMessage.objects.exists()

    dispatch_pass(now=later)
    assert list(InboxMessage.objects.values_list("notification__dedupe_key", flat=True)) == [
        "reminder:shift:1:person:1:assignment:1"
    ]


def test_a_retry_after_the_email_failed_keeps_one_copy_in_the_inbox(
    city: City, settings, monkeypatch
) -> None:
    settings.HUXUE_NOTIFY_CHANNELS = ["email"]
    volunteer = city.users["volunteer"]
    volunteer.email = "volunteer@example.org"
    volunteer.save(update_fields=["email"])
    monkeypatch.setattr(
        channels.SENDERS["email"],
        "send",
        lambda message: channels.Delivery(ok=False, error="e-mail: SMTP down"),
    )
    notification = _notice(city, "k")

    assert dispatch_pass().retrying == 1
    assert InboxMessage.objects.filter(notification=notification).count() == 1  # readable now

    monkeypatch.undo()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert dispatch_pass(now=timezone.now() + dt.timedelta(minutes=2)).sent == 1
    assert InboxMessage.objects.filter(notification=notification).count() == 1
    assert len(mail.outbox) == 1


def test_when_the_inbox_fails_nothing_goes_out_before_the_retry(
    city: City, settings, monkeypatch
) -> None:
    settings.HUXUE_NOTIFY_CHANNELS = ["email"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    volunteer = city.users["volunteer"]
    volunteer.email = "volunteer@example.org"
    volunteer.save(update_fields=["email"])

    def broken(message):
        raise RuntimeError("database away")

    monkeypatch.setattr(channels.SENDERS["inapp"], "send", broken)
    notification = _notice(city, "k")
    assert dispatch_pass().retrying == 1
    assert mail.outbox == []  # the e-mail waits for the retry, so it is never sent twice

    monkeypatch.undo()
    dispatch_pass(now=timezone.now() + dt.timedelta(minutes=2))
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.sent_via == "inapp,email"
    assert len(mail.outbox) == 1 and InboxMessage.objects.count() == 1


# --- reads and writes: the owner's alone --------------------------------------------------------


def test_a_user_sees_only_their_own_messages(city: City) -> None:
    mine = _delivered(city, "mine")
    theirs = _delivered(city, "theirs", to="school_lead")

    assert list(selectors.inbox_of(city.users["volunteer"])) == [mine]
    assert list(selectors.inbox_of(city.users["school_lead"])) == [theirs]
    # No role reads another's inbox: not the city bureau, not an administrator.
    for name in ("city_admin", "sysadmin", "auditor"):
        assert not selectors.inbox_of(city.users[name]).exists()
    assert not selectors.inbox_of(AnonymousUser()).exists()
    with pytest.raises(Http404):
        selectors.inbox_message_for(city.users["volunteer"], theirs.pk)
    with pytest.raises(Http404):
        selectors.inbox_message_for(city.users["sysadmin"], theirs.pk)
    with pytest.raises(Http404):
        inbox_mark_read(user=city.users["volunteer"], message=theirs)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_unread_count_and_marking_read(city: City) -> None:
    volunteer = city.users["volunteer"]
    first = _delivered(city, "1")
    _delivered(city, "2")
    _delivered(city, "3")
    _delivered(city, "lead", to="school_lead")
    assert selectors.inbox_unread_count(volunteer) == 3
    assert selectors.inbox_unread_count(AnonymousUser()) == 0

    assert inbox_mark_read(user=volunteer, message=first) is True
    read_at = InboxMessage.objects.get(pk=first.pk).read_at
    assert read_at is not None
    assert selectors.inbox_unread_count(volunteer) == 2
    # Reading it again changes nothing: the first reading's time stays.
    assert inbox_mark_read(user=volunteer, message=first) is False
    assert InboxMessage.objects.get(pk=first.pk).read_at == read_at

    assert inbox_mark_all_read(user=volunteer) == 2
    assert selectors.inbox_unread_count(volunteer) == 0
    assert selectors.inbox_unread_count(city.users["school_lead"]) == 1  # not someone else's


# --- pages ------------------------------------------------------------------------------------


def test_the_inbox_lists_newest_first_unread_bold_in_shanghai_time(city: City, login) -> None:
    older = _delivered(city, "older", subject="旧的消息")
    newer = _delivered(city, "newer", subject="新的消息", body="第一行\n第二行")
    # 2026-12-09 23:30 UTC is 07:30 on the 10th in Asia/Shanghai.
    InboxMessage.objects.filter(pk=newer.pk).update(
        delivered_at=dt.datetime(2026, 12, 9, 23, 30, tzinfo=dt.UTC)
    )
    InboxMessage.objects.filter(pk=older.pk).update(
        delivered_at=dt.datetime(2026, 12, 8, 1, 0, tzinfo=dt.UTC),
        read_at=dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC),
    )
    _delivered(city, "lead", to="school_lead", subject="别人的消息")

    page = login("volunteer").get(reverse("notify:inbox")).content.decode()

    items = re.findall(r'<li class="inbox-item( unread)?"', page)
    assert items == [" unread", ""]
    assert page.index("新的消息") < page.index("旧的消息")
    assert "2026-12-10 07:30" in page and "2026-12-08 09:00" in page
    assert "第一行" in page and "别人的消息" not in page
    assert reverse("notify:message", args=[newer.pk]) in page


def test_the_inbox_is_paged(city: City, login) -> None:
    for i in range(PER_PAGE + 3):
        _notice(city, f"k{i}", subject=f"消息{i:02d}")
    dispatch_pass()
    client = login("volunteer")
    first = client.get(reverse("notify:inbox")).content.decode()
    second = client.get(reverse("notify:inbox"), {"page": 2}).content.decode()
    assert first.count('data-testid="inbox-item"') == PER_PAGE
    assert second.count('data-testid="inbox-item"') == 3


def test_opening_a_message_marks_it_read_and_shows_it_whole(city: City, login, settings) -> None:
    settings.HUXUE_BASE_URL = "https://huxue.example.org"
    message = _delivered(
        city,
        "callout:9",
        body="市第六小学 · 南门缺人。\n在此回复：https://huxue.example.org/duty/callouts/9/",
        payload={"url": "https://huxue.example.org/duty/callouts/9/"},
    )
    client = login("volunteer")

    response = client.get(reverse("notify:message", args=[message.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "市第六小学 · 南门缺人。<br>" in page
    assert '<a href="https://huxue.example.org/duty/callouts/9/"' in page  # the body's link works
    assert 'href="/duty/callouts/9/" data-testid="message-link"' in page
    message.refresh_from_db()
    assert message.read_at is not None
    assert selectors.inbox_unread_count(city.users["volunteer"]) == 0


def test_another_users_message_is_not_found(city: City, login) -> None:
    theirs = _delivered(city, "theirs", to="school_lead")
    for name in ("volunteer", "city_admin", "sysadmin"):
        response = login(name).get(reverse("notify:message", args=[theirs.pk]))
        assert response.status_code == 404, name
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert login("volunteer").get(reverse("notify:message", args=[999999])).status_code == 404


def test_mark_all_read_is_a_post_of_ones_own(city: City, login) -> None:
    _delivered(city, "1")
    _delivered(city, "2")
    _delivered(city, "lead", to="school_lead")
    client = login("volunteer")
    assert client.get(reverse("notify:mark_all_read")).status_code == 405

    response = client.post(reverse("notify:mark_all_read"), follow=True)

    assert response.redirect_chain == [(reverse("notify:inbox"), 302)]
    assert "已将 2 条消息标为已读" in response.content.decode()
    assert selectors.inbox_unread_count(city.users["volunteer"]) == 0
    assert selectors.inbox_unread_count(city.users["school_lead"]) == 1


def test_anonymous_users_are_sent_to_sign_in(db: None, client) -> None:
    for url in (reverse("notify:inbox"), reverse("notify:message", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_navigation_shows_messages_and_the_unread_count(city: City, login) -> None:
    client = login("volunteer")
    page = client.get(reverse("notify:inbox")).content.decode()
    assert 'data-testid="inbox-link"' in page and 'data-testid="inbox-unread"' not in page
    assert "还没有消息" in page

    for i in range(3):
        _delivered(city, f"k{i}")
    page = client.get(reverse("home")).content.decode()
    assert re.search(r'>消息 <span class="count" data-testid="inbox-unread">3<', page)

    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'>Messages <span class="count" data-testid="inbox-unread">3<', english)


def test_the_unread_count_costs_one_query_and_nothing_for_anonymous_users(
    city: City, django_assert_num_queries
) -> None:
    _delivered(city, "1")
    _delivered(city, "2")
    template = engines["django"].from_string(
        "{% if inbox_unread %}{{ inbox_unread }}{% endif %}|{{ inbox_unread }}"
    )
    request = RequestFactory().get("/")
    request.user = city.users["volunteer"]
    with django_assert_num_queries(0):
        context = inbox_context(request)  # nothing until a template shows it
    with django_assert_num_queries(1):
        assert template.render(context) == "2|2"

    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert template.render(inbox_context(request)) == "|"


def test_a_page_counts_the_unread_messages_once(city: City, login) -> None:
    _delivered(city, "1")
    client = login("volunteer")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    inbox_reads = [q["sql"] for q in queries if "notify_inboxmessage" in q["sql"]]
    assert len(inbox_reads) == 1

    anonymous = login("volunteer")
    anonymous.logout()
    with CaptureQueriesContext(connection) as queries:
        assert anonymous.get(reverse("login")).status_code == 200
    assert not [q for q in queries if "notify_inboxmessage" in q["sql"]]


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "请在此回复：https://h.example.org/duty/callouts/9/。谢谢",
            '请在此回复：<a href="https://h.example.org/duty/callouts/9/">'
            "https://h.example.org/duty/callouts/9/</a>。谢谢",
        ),
        (
            "Answer here: http://h.example.org/a?b=1&c=2.",
            'Answer here: <a href="http://h.example.org/a?b=1&amp;c=2">'
            "http://h.example.org/a?b=1&amp;c=2</a>.",
        ),
        ("<b>不是链接</b> javascript:alert(1)", "&lt;b&gt;不是链接&lt;/b&gt; javascript:alert(1)"),
    ],
)
def test_addresses_in_a_message_become_links_and_nothing_else_is_markup(
    text: str, html: str
) -> None:
    from huxue.notify.templatetags.inbox import linkify

    assert linkify(text) == html
