"""The member's availability page: labelled boxes, and special dates a member can delete."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from huxue.core.models import AuditEvent
from huxue.roster.models import AvailabilityException
from huxue.roster.services import availability_exception_set
from huxue.testing import ROSTER_NOW, City

DAY = ROSTER_NOW.date() + dt.timedelta(days=3)


@pytest.fixture(autouse=True)
def _now(roster_now: None) -> None:
    """Every test here runs at ROSTER_NOW."""


def test_a_member_deletes_their_own_special_date(city: City, login) -> None:
    own = availability_exception_set(
        actor=None, person=city.person_a1, day=DAY, available=False, note="体检"
    )
    client = login("volunteer")
    page = client.get(reverse("roster:availability")).content.decode()
    delete_url = reverse("roster:availability_exception_delete", args=[own.pk])
    assert f'action="{delete_url}"' in page

    response = client.post(delete_url, follow=True)

    assert response.status_code == 200
    assert not AvailabilityException.objects.filter(pk=own.pk).exists()
    assert "已删除特殊日期" in response.content.decode()
    event = AuditEvent.objects.get(action="availability.exception_delete")
    assert event.object_id == str(city.person_a1.pk)
    assert event.detail == {"day": DAY.isoformat(), "available": False}
    assert event.actor_id == city.users["volunteer"].pk


def test_a_member_cannot_delete_another_members_special_date(city: City, login) -> None:
    other = availability_exception_set(actor=None, person=city.person_b1, day=DAY, available=False)
    delete_url = reverse("roster:availability_exception_delete", args=[other.pk])

    response = login("volunteer").post(delete_url)

    assert response.status_code == 404
    assert AvailabilityException.objects.filter(pk=other.pk).exists()
    assert not AvailabilityException.objects.filter(pk=other.pk + 1000).exists()
    assert not AuditEvent.objects.filter(action="availability.exception_delete").exists()


def test_deleting_a_special_date_needs_a_post(city: City, login) -> None:
    own = availability_exception_set(actor=None, person=city.person_a1, day=DAY, available=True)
    url = reverse("roster:availability_exception_delete", args=[own.pk])
    assert login("volunteer").get(url).status_code == 405
    assert AvailabilityException.objects.filter(pk=own.pk).exists()


@pytest.mark.parametrize("username", ["school_lead", "stranger"])
def test_only_members_delete_special_dates(city: City, login, username: str) -> None:
    own = availability_exception_set(actor=None, person=city.person_a1, day=DAY, available=True)
    url = reverse("roster:availability_exception_delete", args=[own.pk])
    assert login(username).post(url).status_code == 404
    assert AvailabilityException.objects.filter(pk=own.pk).exists()


def test_every_box_on_the_page_has_a_label_naming_its_day(city: City, login) -> None:
    body = login("volunteer").get(reverse("roster:availability")).content.decode()
    ids = re.findall(r'<(?:input|select)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', body)
    assert len(ids) == 7 * 2 + 3
    for box in ids:
        assert f'for="{box}"' in body, box
    assert "星期一 开始时间" in body and "星期日 结束时间" in body
    assert "原因" in body
