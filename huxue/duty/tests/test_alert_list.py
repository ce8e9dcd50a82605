"""The gap-alert list (缺岗提醒): who may read which alerts, the filters, the pager, and for each
alert who was told, who was called out and who came, with names masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huxue.duty.alerts.selectors import AlertFilters, gap_alert_rows, gap_alerts_listed
from huxue.duty.alerts.services import gap_scan
from huxue.duty.checkin.services import check_in
from huxue.duty.models import CallOut, CheckIn, GapAlert
from huxue.notify.models import Channel, Notification
from huxue.notify.services import channel_create
from huxue.orgs.models import User
from huxue.people.forces import GROUP_LABELS
from huxue.roster.models import Shift
from huxue.testing import ROSTER_MONDAY, City, local_at, make_person, make_shift

PAGE = "/duty/alerts/"
TUESDAY = ROSTER_MONDAY + dt.timedelta(days=1)
VOLUNTEERS_2 = {"volunteer": 2}


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    moment = local_at(TUESDAY, 9, 0)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def raise_alert(post, day: dt.date) -> Shift:  # type: ignore[no-untyped-def]
    """A 07:00–08:00 shift needing two volunteers, alerted by the watcher at 07:15."""
    shift = make_shift(post, day=day, requirements=VOLUNTEERS_2)
    assert len(gap_scan(now=local_at(day, 7, 15))) == 1
    return shift


@pytest.fixture
def alerts(city: City) -> dict[str, Shift]:
    """市第六小学 (新兴派出所, 新兴区) alerted on Monday, its alert resolved by a volunteer who
    was called out and another who came; 桃山小学 (桃山派出所, 桃山区) alerted on Tuesday and
    still open. The station's group robot and the school's leads were told."""
    channel_create(
        actor=None,
        unit=city.station_a,
        kind=Channel.Kind.WECOM,
        name="新兴派出所值班群",
        address="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a",
    )
    User.objects.filter(pk=city.users["school_lead"].pk).update(display_name="赵保卫")
    monday = raise_alert(city.post_a1, ROSTER_MONDAY)
    tuesday = raise_alert(city.post_b1, TUESDAY)
    Notification.objects.filter(dedupe_key__startswith=f"gap:{monday.pk}:channel:").update(
        status=Notification.Status.SENT, sent_at=local_at(ROSTER_MONDAY, 7, 16)
    )

    called = make_person(city, unit=city.school_a1.unit, name="欧阳春花", force_type="parent")
    walked = make_person(city, unit=city.school_a1.unit, name="钱多多", force_type="parent")
    declined = make_person(city, unit=city.school_a1.unit, name="孙不来", force_type="parent")
    lead = city.users["school_lead"]
    CallOut.objects.create(
        shift=monday, person=called, group="volunteer", called_by=lead, status="accepted"
    )
    CallOut.objects.create(
        shift=monday, person=declined, group="volunteer", called_by=lead, status="declined"
    )
    for person, minute in ((called, 25), (walked, 30)):
        check_in(
            actor=lead,
            person=person,
            post=city.post_a1,
            method=CheckIn.Method.ROLLCALL,
            now=local_at(ROSTER_MONDAY, 7, minute),
        )
    gap_scan(now=local_at(ROSTER_MONDAY, 7, 31))
    assert GapAlert.objects.get(shift=monday).resolved_at == local_at(ROSTER_MONDAY, 7, 31)
    return {"monday": monday, "tuesday": tuesday}


def listed(user: User, **filters) -> list[int]:  # type: ignore[no-untyped-def]
    return [a.shift_id for a in gap_alerts_listed(user, filters=AlertFilters(**filters))]


# --- scope ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "seen"),
    [
        ("city_admin", {"monday", "tuesday"}),
        ("education", {"monday", "tuesday"}),
        ("station_officer", {"monday"}),
        ("school_lead", {"monday"}),
        ("other_lead", {"tuesday"}),
        ("inspector", {"monday"}),
    ],
)
def test_each_role_reads_the_alerts_of_its_place(
    city: City, alerts: dict[str, Shift], name: str, seen: set[str]
) -> None:
    assert set(listed(city.users[name])) == {alerts[k].pk for k in seen}


@pytest.mark.parametrize("name", ["volunteer", "stranger", "sysadmin", "auditor"])
def test_those_who_may_not_read_alerts_get_not_found(city: City, login, name: str) -> None:
    with pytest.raises(Http404):
        gap_alerts_listed(city.users[name])
    assert login(name).get(PAGE).status_code == 404


def test_the_page_of_a_station_shows_only_its_alerts(login, alerts, frozen) -> None:
    html = login("station_officer").get(PAGE).content.decode()
    assert f'data-testid="alert-{GapAlert.objects.get(shift=alerts["monday"]).pk}"' in html
    assert "市第六小学" in html and "桃山小学" not in html
    assert "共 1 条缺岗提醒" in html


def test_a_post_outside_the_area_is_not_found(city: City, login, alerts, frozen) -> None:
    client = login("school_lead")
    assert client.get(PAGE, {"post": city.post_b1.pk}).status_code == 404
    assert client.get(PAGE, {"post": city.post_a1.pk}).status_code == 200


# --- filters --------------------------------------------------------------------------------


def test_the_list_filters_by_district_station_post_days_and_state(
    city: City, alerts: dict[str, Shift]
) -> None:
    admin = city.users["city_admin"]
    monday, tuesday = alerts["monday"].pk, alerts["tuesday"].pk
    assert listed(admin) == [tuesday, monday]  # the latest raised first
    assert listed(admin, district="230903") == [tuesday]
    assert listed(admin, district="230900") == [tuesday, monday]
    assert listed(admin, station=city.station_a.pk) == [monday]
    assert listed(admin, post=city.post_b1.pk) == [tuesday]
    assert listed(admin, start=TUESDAY) == [tuesday]
    assert listed(admin, end=ROSTER_MONDAY) == [monday]
    assert listed(admin, start=ROSTER_MONDAY, end=ROSTER_MONDAY) == [monday]
    assert listed(admin, state="open") == [tuesday]
    assert listed(admin, state="resolved") == [monday]
    assert listed(admin, district="230902", station=city.station_b.pk) == []
    # A filter never widens the scope.
    assert listed(city.users["school_lead"], district="230903") == []


def test_the_page_reads_its_filters_from_the_query(login, city: City, alerts, frozen) -> None:
    client = login("city_admin")
    html = client.get(PAGE, {"district": "230903", "state": "open"}).content.decode()
    assert "桃山小学" in html and "市第六小学 · 南门" not in html
    assert 'name="district"' in html and 'name="station"' in html
    html = client.get(PAGE, {"from": "2026-12-07", "to": "2026-12-07"}).content.decode()
    assert "市第六小学 · 南门" in html and "桃山小学 · 正门" not in html
    html = client.get(PAGE, {"post": city.post_b1.pk}).content.decode()
    assert 'data-testid="alerts-post"' in html and "桃山小学 · 正门" in html
    assert 'type="hidden" name="post"' in html


def test_a_lead_of_one_school_gets_no_district_or_station_to_choose(login, alerts, frozen) -> None:
    html = login("school_lead").get(PAGE).content.decode()
    assert 'name="district"' not in html and 'name="station"' not in html
    assert 'name="from"' in html and 'name="state"' in html


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-12-08", "to": "2026-12-07"},
        {"from": "yesterday"},
        {"district": "230904"},
        {"station": "999999"},
        {"state": "lost"},
    ],
)
def test_filters_that_make_no_sense_are_refused_with_a_message(
    login, alerts, frozen, query
) -> None:
    response = login("city_admin").get(PAGE, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert 'data-testid="alerts-table"' not in html


def test_the_pager_keeps_the_filters(login, city: City, frozen) -> None:
    for n in range(21):
        shift = make_shift(city.post_a1, day=ROSTER_MONDAY - dt.timedelta(days=n))
        GapAlert.objects.create(shift=shift, raised_at=shift.starts_at, short={"volunteer": 1})
    client = login("city_admin")
    page = client.get(PAGE, {"state": "open", "district": "230902"}).content.decode()
    assert "共 21 条缺岗提醒" in page
    assert page.count('data-state="open"') == 20
    assert "state=open&amp;district=230902&amp;page=2" in page
    second = client.get(PAGE, {"state": "open", "district": "230902", "page": 2}).content
    assert second.decode().count('data-state="open"') == 1


# --- what each alert shows ------------------------------------------------------------------


def test_each_alert_says_who_was_told_who_was_called_and_who_came(
    city: City, alerts: dict[str, Shift]
) -> None:
    admin = city.users["city_admin"]
    rows = {
        r.alert.shift_id: r
        for r in gap_alert_rows(list(gap_alerts_listed(admin, filters=AlertFilters())))
    }
    monday = rows[alerts["monday"].pk]
    assert not monday.is_open
    assert monday.short == [(str(GROUP_LABELS["volunteer"]), 2)]
    told = {(t.recipient, t.status) for t in monday.told}
    assert ("新兴派出所 · 新兴派出所值班群", "sent") in told
    # The school's lead, named by the post, not the person.
    assert ("市第六小学 · 学校保卫干部", "pending") in told
    assert all("赵保卫" not in t.recipient for t in monday.told)
    assert [(c.name, c.substitute) for c in monday.came] == [("欧**花", True), ("钱*多", False)]
    assert [(a.name, a.status) for a in monday.asked] == [
        ("欧**花", "accepted"),
        ("孙*来", "declined"),
    ]

    tuesday = rows[alerts["tuesday"].pk]
    assert tuesday.is_open
    assert tuesday.came == [] and tuesday.asked == []
    # 桃山小学 has no channel and its station no officer with an account: the lead was told.
    assert [t.recipient for t in tuesday.told] == ["桃山小学 · 学校保卫干部"]


def test_a_check_in_before_the_alert_or_after_it_was_resolved_is_not_who_came(
    city: City, alerts: dict[str, Shift]
) -> None:
    late = make_person(city, unit=city.school_a1.unit, name="李迟到", force_type="parent")
    check_in(
        actor=city.users["school_lead"],
        person=late,
        post=city.post_a1,
        method=CheckIn.Method.ROLLCALL,
        now=local_at(ROSTER_MONDAY, 7, 45),
    )
    alert = GapAlert.objects.get(shift=alerts["monday"])
    names = [c.name for c in gap_alert_rows([alert])[0].came]
    assert "李*到" not in names and len(names) == 2


def test_the_page_shows_times_and_names_masked(login, alerts, frozen) -> None:
    html = login("city_admin").get(PAGE).content.decode()
    assert "07:15" in html and "07:31" in html  # raised, resolved
    assert "未解除" in html
    assert "欧**花" in html and "欧阳春花" not in html
    assert "应召替补" in html
    assert "已呼叫 孙*来：已谢绝" in html
    assert "07:16 已发送" in html
    assert "新兴派出所 · 新兴派出所值班群" in html
    assert f'href="/duty/shifts/{alerts["monday"].pk}/"' in html


def test_the_page_speaks_english(login, alerts, frozen) -> None:
    html = login("city_admin").get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Gap alerts" in html and "Who was told" in html and "Who came" in html
    assert "2 gap alerts" in html
    assert "Still open" in html and "Called out as a substitute" in html


def test_the_page_does_not_grow_in_queries_with_the_alerts(
    login, city: City, alerts, frozen
) -> None:
    def measure() -> int:
        client = login("city_admin")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        return len(captured.captured_queries)

    few = measure()
    for n in range(10):
        raise_alert(city.post_a1, ROSTER_MONDAY - dt.timedelta(days=7 * (n + 1)))
    assert measure() == few
