"""Who sees and manages group channels: the unit rules of the role table, in selectors and admin."""

from __future__ import annotations

import pytest

from huxue.core.models import AuditEvent
from huxue.notify.models import Channel
from huxue.notify.selectors import channels_managed_by, channels_visible_to, mask_address
from huxue.notify.tests.factories import make_channel
from huxue.testing import City


@pytest.fixture
def channels(city: City) -> dict[str, Channel]:
    return {
        "station_a": make_channel(city.station_a, name="新兴所群"),
        "school_a1": make_channel(city.school_a1.unit, name="六小安全群"),
        "school_b1": make_channel(city.school_b1.unit, name="桃山小学群"),
    }


def _names(qs) -> set[str]:
    return set(qs.values_list("name", flat=True))


def test_a_school_lead_sees_only_their_schools_channels(city: City, channels) -> None:
    assert _names(channels_visible_to(city.users["school_lead"])) == {"六小安全群"}
    assert _names(channels_visible_to(city.users["other_lead"])) == {"桃山小学群"}


def test_a_station_sees_its_own_and_its_schools_channels(city: City, channels) -> None:
    assert _names(channels_visible_to(city.users["station_officer"])) == {"新兴所群", "六小安全群"}


def test_members_and_strangers_see_no_channels(city: City, channels) -> None:
    assert not channels_visible_to(city.users["volunteer"]).exists()
    assert not channels_visible_to(city.users["stranger"]).exists()
    assert not channels_visible_to(city.users["auditor"]).exists()


def test_only_who_may_write_units_manages_channels(city: City, channels) -> None:
    assert _names(channels_managed_by(city.users["sysadmin"])) == {
        "新兴所群",
        "六小安全群",
        "桃山小学群",
    }
    for name in ["school_lead", "station_officer", "city_admin", "secadmin"]:
        assert not channels_managed_by(city.users[name]).exists()


def test_addresses_are_shown_masked() -> None:
    assert mask_address("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K") == (
        "qyapi.weixin.qq.com/…"
    )
    assert mask_address("school@example.org") == "…@example.org"


def test_the_admin_lists_channels_without_their_keys(city: City, channels, login) -> None:
    response = login("sysadmin").get("/admin/notify/channel/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "桃山小学群" in text and "qyapi.weixin.qq.com/…" in text
    assert "key=TEST" not in text


def test_a_reader_in_the_admin_sees_the_channel_read_only(city: City, channels, login) -> None:
    client = login("secadmin")
    response = client.get(f"/admin/notify/channel/{channels['school_a1'].pk}/change/")
    assert response.status_code == 200
    assert "key=TEST" not in response.content.decode()
    assert client.get("/admin/notify/channel/add/").status_code == 403


@pytest.mark.parametrize("username", ["school_lead", "station_officer", "stranger"])
def test_business_accounts_have_no_channel_admin(city: City, channels, login, username) -> None:
    response = login(username).get("/admin/notify/channel/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_auditor_has_no_channel_admin(city: City, channels, login) -> None:
    assert login("auditor").get("/admin/notify/channel/").status_code == 403


def test_the_system_administrator_adds_a_channel_through_the_service(city: City, login) -> None:
    response = login("sysadmin").post(
        "/admin/notify/channel/add/",
        {
            "unit": city.school_b1.unit_id,
            "kind": "dingtalk",
            "name": "桃山小学护学群",
            "address": "https://oapi.dingtalk.com/robot/send?access_token=T1",
            "secret": "SEC-1",
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get(name="桃山小学护学群")
    assert channel.secret == "SEC-1" and channel.unit_id == city.school_b1.unit_id
    assert AuditEvent.objects.filter(
        action="notify.channel.create", actor_username="sysadmin"
    ).exists()


def test_the_admin_refuses_a_bad_address(city: City, login) -> None:
    response = login("sysadmin").post(
        "/admin/notify/channel/add/",
        {"unit": city.school_b1.unit_id, "kind": "wecom", "name": "群", "address": "not a url"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "webhook URL" in response.content.decode()
    assert not Channel.objects.exists()


def test_changing_a_channel_keeps_the_secret_unless_a_new_one_is_typed(
    city: City, channels, login
) -> None:
    channel = channels["school_a1"]
    Channel.objects.filter(pk=channel.pk).update(secret="")
    channel.refresh_from_db()
    channel.secret = "KEEP"
    channel.save()
    response = login("sysadmin").post(
        f"/admin/notify/channel/{channel.pk}/change/",
        {"name": "六小安全群", "address": channel.address, "secret": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel.refresh_from_db()
    assert channel.secret == "KEEP" and channel.enabled is False
    event = AuditEvent.objects.get(action="notify.channel.update")
    assert event.detail == {"changed": ["enabled"]}
