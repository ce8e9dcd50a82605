"""Gap alerts: a post still short N minutes into its window alerts its station and school once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from huxue.core.models import AuditEvent
from huxue.duty.alerts import services as alerts
from huxue.duty.alerts.services import gap_scan
from huxue.duty.checkin.services import check_in, check_out, checkin_void
from huxue.duty.models import CallOut, CheckIn, DutyRules, GapAlert
from huxue.notify.models import Channel, Notification
from huxue.notify.services import channel_create
from huxue.testing import ROSTER_MONDAY, City, local_at, make_person, make_shift, make_user

VOLUNTEERS_2 = {"volunteer": 2}


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """at(hh, mm) freezes the clock at that time on the shift's day."""

    def freeze(hh: int, mm: int = 0) -> dt.datetime:
        moment = local_at(ROSTER_MONDAY, hh, mm)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


@pytest.fixture
def shift(city: City):
    """07:00–08:00 at 市第六小学's south gate, needing two volunteers."""
    return make_shift(city.post_a1, requirements=VOLUNTEERS_2)


@pytest.fixture
def channels(city: City) -> dict[str, Channel]:
    return {
        "station": channel_create(
            actor=None,
            unit=city.station_a,
            kind=Channel.Kind.WECOM,
            name="新兴派出所群",
            address="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=station",
        ),
        "school": channel_create(
            actor=None,
            unit=city.school_a1.unit,
            kind=Channel.Kind.EMAIL,
            name="保卫处邮箱",
            address="baowei@school.example.cn",
        ),
        # Another station's group hears nothing of this school.
        "elsewhere": channel_create(
            actor=None,
            unit=city.station_b,
            kind=Channel.Kind.DINGTALK,
            name="桃山派出所群",
            address="https://oapi.dingtalk.com/robot/send?access_token=b",
        ),
    }


def volunteer(city: City, name: str):
    return make_person(city, unit=city.school_a1.unit, name=name, force_type="parent")


def on_duty(city: City, shift, name: str, *, hh: int = 7, mm: int = 2) -> CheckIn:
    """A member checked in at the post by roll call (the clock of the call is passed in)."""
    return check_in(
        actor=city.users["school_lead"],
        person=volunteer(city, name),
        post=shift.post,
        method=CheckIn.Method.ROLLCALL,
        now=local_at(ROSTER_MONDAY, hh, mm),
    )


def gap_messages() -> list[Notification]:
    return list(Notification.objects.filter(kind="gap_alert").order_by("dedupe_key"))


def test_nothing_is_raised_before_the_citys_minutes(city: City, shift, channels) -> None:
    on_duty(city, shift, "甲")
    assert gap_scan(now=local_at(ROSTER_MONDAY, 7, 9)) == []
    assert not GapAlert.objects.exists()
    assert gap_messages() == []


def test_a_short_post_alerts_its_station_school_and_leads_once(city: City, shift, channels) -> None:
    on_duty(city, shift, "甲")
    now = local_at(ROSTER_MONDAY, 7, 10)

    raised = gap_scan(now=now)

    alert = GapAlert.objects.get()
    assert raised == [alert]
    assert (alert.shift, alert.raised_at, alert.short, alert.resolved_at) == (
        shift,
        now,
        {"volunteer": 1},
        None,
    )
    sent = gap_messages()
    by_key = {n.dedupe_key: n for n in sent}
    lead, officer = city.users["school_lead"], city.users["station_officer"]
    assert set(by_key) == {
        f"gap:{shift.pk}:channel:{channels['station'].pk}",
        f"gap:{shift.pk}:channel:{channels['school'].pk}",
        f"gap:{shift.pk}:user:{lead.pk}",
        f"gap:{shift.pk}:user:{officer.pk}",
    }
    assert {n.channel for n in sent if n.channel} == {channels["station"], channels["school"]}
    assert {n.user for n in sent if n.user} == {lead, officer}
    for n in sent:
        assert n.status == Notification.Status.PENDING
        assert "市第六小学 · 南门" in n.body
        assert "2026-12-07 07:00–08:00" in n.body
        assert f"http://testserver.example/duty/shifts/{shift.pk}/" in n.body
        assert n.payload["shift"] == shift.pk and n.payload["gap_alert"] == alert.pk
    assert "志愿者" in sent[0].body


@pytest.fixture(autouse=True)
def _base_url(settings) -> None:
    settings.HUXUE_BASE_URL = "http://testserver.example"


def test_scanning_again_or_after_a_restart_sends_nothing_new(city: City, shift, channels) -> None:
    now = local_at(ROSTER_MONDAY, 7, 12)
    assert len(gap_scan(now=now)) == 1
    first = [(n.pk, n.dedupe_key) for n in gap_messages()]
    assert len(first) == 4

    assert gap_scan(now=now + dt.timedelta(minutes=1)) == []
    assert gap_scan(now=now + dt.timedelta(minutes=30)) == []
    assert [(n.pk, n.dedupe_key) for n in gap_messages()] == first
    assert GapAlert.objects.count() == 1


def test_a_scan_that_read_no_alert_while_another_raised_it_sends_nothing(
    city: City, shift, channels, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes: the second read "no alert yet" just before the first committed one."""
    now = local_at(ROSTER_MONDAY, 7, 15)
    gap_scan(now=now)
    first = sorted(n.pk for n in gap_messages())
    monkeypatch.setattr(GapAlert.objects, "filter", lambda *a, **k: GapAlert.objects.none())
    assert gap_scan(now=now) == []
    assert sorted(n.pk for n in gap_messages()) == first
    assert GapAlert.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_two_processes_scanning_at_once_raise_one_alert_and_one_set_of_messages(
    city: City, shift, channels
) -> None:
    now = local_at(ROSTER_MONDAY, 7, 15)
    start = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            start.wait()
            results.append(len(gap_scan(now=now)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [0, 0, 0, 1]
    assert GapAlert.objects.count() == 1
    assert len(gap_messages()) == 4


def test_a_staffed_post_raises_nothing(city: City, shift, channels) -> None:
    on_duty(city, shift, "甲")
    on_duty(city, shift, "乙", mm=8)
    assert gap_scan(now=local_at(ROSTER_MONDAY, 7, 20)) == []
    assert not GapAlert.objects.exists()
    assert gap_messages() == []


def test_checked_out_and_voided_check_ins_do_not_staff_a_post(city: City, shift, channels) -> None:
    gone = on_duty(city, shift, "甲")
    wrong = on_duty(city, shift, "乙")
    on_duty(city, shift, "丙")
    check_out(actor=None, checkin=gone, now=local_at(ROSTER_MONDAY, 7, 5))
    checkin_void(actor=None, checkin=wrong, reason="记错了人")
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 10))
    assert GapAlert.objects.get().short == {"volunteer": 1}


def test_the_alert_is_resolved_when_the_post_fills_up_without_a_message(
    city: City, shift, channels
) -> None:
    on_duty(city, shift, "甲")
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 10))
    before = len(gap_messages())

    on_duty(city, shift, "乙", mm=20)
    later = local_at(ROSTER_MONDAY, 7, 21)
    assert gap_scan(now=later) == []

    alert = GapAlert.objects.get()
    assert alert.resolved_at == later
    assert len(gap_messages()) == before


def test_a_post_short_again_reopens_its_alert_but_sends_nothing(
    city: City, shift, channels
) -> None:
    on_duty(city, shift, "甲")
    second = on_duty(city, shift, "乙", mm=3)
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 4))  # before the 10 minutes: nothing
    check_out(actor=None, checkin=second, now=local_at(ROSTER_MONDAY, 7, 11))
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 12))
    before = len(gap_messages())
    on_duty(city, shift, "丙", mm=13)
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 14))
    assert GapAlert.objects.get().resolved_at is not None
    CheckIn.objects.filter(person__name="丙").update(checked_out_at=local_at(ROSTER_MONDAY, 7, 15))
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 16))
    assert GapAlert.objects.get().resolved_at is None
    assert len(gap_messages()) == before
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 17))  # nothing changed: no new line
    from huxue.core.models import AuditEvent

    lines = AuditEvent.objects.filter(action__startswith="duty.gapalert.").order_by("pk")
    assert [e.action for e in lines] == ["duty.gapalert.resolve", "duty.gapalert.reopen"]
    assert [e.detail["at"] for e in lines] == [
        local_at(ROSTER_MONDAY, 7, 14).isoformat(),
        local_at(ROSTER_MONDAY, 7, 16).isoformat(),
    ]
    assert {e.object_id for e in lines} == {str(GapAlert.objects.get().pk)}


def test_the_city_sets_the_minutes(city: City, shift, channels) -> None:
    DutyRules.objects.create(region=city.city, gap_alert_minutes=20)
    assert gap_scan(now=local_at(ROSTER_MONDAY, 7, 19)) == []
    assert len(gap_scan(now=local_at(ROSTER_MONDAY, 7, 20))) == 1


def test_cancelled_over_and_not_started_shifts_raise_nothing(city: City, channels) -> None:
    cancelled = make_shift(city.post_a1, requirements=VOLUNTEERS_2)
    cancelled.cancelled_at = local_at(ROSTER_MONDAY, 6)
    cancelled.save()
    make_shift(city.post_a1, start=dt.time(15, 30), end=dt.time(17, 0), requirements=VOLUNTEERS_2)
    assert gap_scan(now=local_at(ROSTER_MONDAY, 7, 30)) == []
    assert gap_scan(now=local_at(ROSTER_MONDAY, 17, 0)) == []
    assert not GapAlert.objects.exists()


def test_a_disabled_channel_and_an_inactive_lead_get_nothing(city: City, shift, channels) -> None:
    Channel.objects.filter(pk=channels["school"].pk).update(enabled=False)
    lead = city.users["school_lead"]
    lead.is_active = False
    lead.save(update_fields=["is_active"])
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 10))
    keys = {n.dedupe_key for n in gap_messages()}
    assert keys == {
        f"gap:{shift.pk}:channel:{channels['station'].pk}",
        f"gap:{shift.pk}:user:{city.users['station_officer'].pk}",
    }


def test_a_second_lead_of_the_school_is_told_too(city: City, shift, channels) -> None:
    deputy = make_user("deputy_lead", "school_lead", unit=city.school_a1.unit)
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 10))
    assert Notification.objects.filter(dedupe_key=f"gap:{shift.pk}:user:{deputy.pk}").exists()


def test_the_message_is_in_chinese_whatever_language_is_active(city: City, shift) -> None:
    with translation.override("en"):
        subject, body = alerts._message(shift, {"volunteer": 2}, {})
    assert "市第六小学 · 南门" in subject
    lines = body.splitlines()
    assert len(lines) == 3
    assert "志愿者" in lines[1] and "Volunteers" not in lines[1]
    assert "0" in lines[1] and "2" in lines[1]
    assert lines[2].endswith(f"/duty/shifts/{shift.pk}/")


def test_duty_watch_runs_one_pass(city: City, shift, channels, at) -> None:
    # An open check-in from last Friday's window, long past the auto check-out grace.
    friday = ROSTER_MONDAY - dt.timedelta(days=3)
    old_shift = make_shift(city.post_a1, day=friday, requirements=VOLUNTEERS_2)
    stale = check_in(
        actor=city.users["school_lead"],
        person=volunteer(city, "旧"),
        post=city.post_a1,
        method=CheckIn.Method.ROLLCALL,
        now=local_at(friday, 7, 5),
    )
    waiting = CallOut.objects.create(
        shift=old_shift,
        person=city.person_a1,
        group="volunteer",
        called_by=city.users["school_lead"],
    )
    at(7, 11)
    out = StringIO()

    call_command("duty_watch", stdout=out)

    assert "新发缺岗提醒 1，自动签退 1，召集过期 1" in out.getvalue()
    assert GapAlert.objects.get().shift == shift
    stale.refresh_from_db()
    assert stale.checkout_method == CheckIn.Checkout.AUTO
    assert stale.checked_out_at == old_shift.ends_at
    closed = AuditEvent.objects.get(action="duty.checkin.auto_close")
    assert closed.object_id == str(stale.pk)
    waiting.refresh_from_db()
    assert waiting.status == CallOut.Status.EXPIRED
    count = Notification.objects.count()

    call_command("duty_watch", stdout=StringIO())  # the loop restarted: nothing new
    assert Notification.objects.count() == count
    assert GapAlert.objects.count() == 1


def test_a_failing_step_does_not_stop_the_pass(
    city: City, shift, channels, at, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huxue.duty.management.commands import duty_watch

    def broken(**_: object) -> int:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(duty_watch, "close_stale", broken)
    at(7, 11)
    out = StringIO()
    call_command("duty_watch", stdout=out)
    assert "自动签退失败" in out.getvalue()
    assert GapAlert.objects.count() == 1  # the other steps ran


def test_a_quiet_scan_takes_the_same_queries_for_more_posts(city: City, channels) -> None:
    """Once every short post has its alert, a scan reads a fixed number of times."""
    now = local_at(ROSTER_MONDAY, 7, 30)

    def shifts_from(starts: list[int]) -> None:
        for minute in starts:
            for post in (city.post_a1, city.post_b1):
                make_shift(post, start=dt.time(6, minute), requirements=VOLUNTEERS_2)

    def quiet_scan() -> int:
        gap_scan(now=now)  # raises what is new
        with CaptureQueriesContext(connection) as queries:
            assert gap_scan(now=now) == []
        return len(queries)

    shifts_from([50])
    few = quiet_scan()
    shifts_from([51, 52, 53, 54])
    assert quiet_scan() == few
    assert GapAlert.objects.count() == 10


@pytest.mark.django_db(transaction=True)
def test_the_loop_alerts_once_over_many_passes_until_sigterm(
    city: City, shift, channels, at
) -> None:
    at(7, 11)
    previous = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(1.5, os.kill, args=(os.getpid(), signal.SIGTERM))
    timer.start()
    out = StringIO()
    try:
        call_command("duty_watch", "--loop", "--interval", "0.1", stdout=out)
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
    text = out.getvalue()
    assert "每 0.1 秒运行一次" in text and text.rstrip().endswith("已停止")
    assert text.count("新发缺岗提醒 1") == 1
    assert GapAlert.objects.count() == 1
    assert len(gap_messages()) == 4


def test_nothing_is_raised_in_the_windows_last_minutes(city: City, shift, channels) -> None:
    """Members checking out as the window closes (07:50 onwards for 10 minutes) end their duty:
    the post is not short; before then, leaving early leaves it short."""
    first = on_duty(city, shift, "甲")
    second = on_duty(city, shift, "乙")
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 12))
    check_out(actor=None, checkin=first, now=local_at(ROSTER_MONDAY, 7, 51))
    check_out(actor=None, checkin=second, now=local_at(ROSTER_MONDAY, 7, 52))
    assert gap_scan(now=local_at(ROSTER_MONDAY, 7, 53)) == []
    assert not GapAlert.objects.exists() and gap_messages() == []


def test_a_scan_replayed_for_a_past_moment_counts_who_was_on_duty_then(
    city: City, shift, channels
) -> None:
    """gap_scan(now=…) judges the post as it was at that moment: a member who came later, or
    had already left, was not on duty then."""
    on_duty(city, shift, "甲")
    late = on_duty(city, shift, "乙", mm=25)
    check_out(actor=None, checkin=late, now=local_at(ROSTER_MONDAY, 7, 40))
    [alert] = gap_scan(now=local_at(ROSTER_MONDAY, 7, 10))
    assert alert.short == {"volunteer": 1}
    assert gap_scan(now=local_at(ROSTER_MONDAY, 7, 26)) == []
    assert GapAlert.objects.get().resolved_at == local_at(ROSTER_MONDAY, 7, 26)
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 41))
    assert GapAlert.objects.get().resolved_at is None  # short again after 乙 left at 07:40
