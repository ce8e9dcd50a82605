"""The back office obeys the same role table: no superuser bypass, no deletes."""

from __future__ import annotations

import pytest

from huxue.core import audit
from huxue.orgs.models import Membership
from huxue.testing import City


@pytest.mark.parametrize(
    "username,url,status",
    [
        ("sysadmin", "/admin/orgs/user/", 200),
        ("sysadmin", "/admin/orgs/unit/", 200),
        ("sysadmin", "/admin/core/auditevent/", 403),
        ("secadmin", "/admin/orgs/membership/", 200),
        ("secadmin", "/admin/orgs/membership/add/", 200),
        ("secadmin", "/admin/core/auditevent/", 403),
        ("auditor", "/admin/core/auditevent/", 200),
        ("auditor", "/admin/orgs/membership/add/", 403),
        ("auditor", "/admin/orgs/user/", 403),
    ],
)
def test_each_administrator_reaches_only_their_screens(
    city: City, login, username: str, url: str, status: int
) -> None:
    assert login(username).get(url).status_code == status


@pytest.mark.parametrize("username", ["station_officer", "school_lead", "volunteer", "stranger"])
def test_business_accounts_have_no_back_office(city: City, login, username: str) -> None:
    response = login(username).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_nobody_can_delete_an_audit_line_in_the_admin(city: City, login) -> None:
    event = audit.record(action="test.event")
    response = login("auditor").post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403


def test_the_security_administrator_grants_a_role_through_the_service(city: City, login) -> None:
    user = city.users["stranger"]
    response = login("secadmin").post(
        "/admin/orgs/membership/add/",
        {"user": user.pk, "role": "school_lead", "unit": city.school_a1.unit_id},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=user, role="school_lead").exists()
    from huxue.core.models import AuditEvent

    assert AuditEvent.objects.filter(
        action="role.grant", actor_username="secadmin", object_id=str(user.pk)
    ).exists()


def test_granting_a_second_role_to_an_administrator_is_a_form_error(city: City, login) -> None:
    response = login("secadmin").post(
        "/admin/orgs/membership/add/",
        {"user": city.users["auditor"].pk, "role": "school_lead", "unit": city.school_a1.unit_id},
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user=city.users["auditor"], role="school_lead").exists()


def test_back_office_edits_go_through_the_services_and_are_audited(city: City, login) -> None:
    from huxue.core.models import AuditEvent

    client = login("sysadmin")
    response = client.post(
        f"/admin/orgs/unit/{city.station_a.pk}/change/", {"name": "新兴中心派出所"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="unit.update")
    assert event.detail == {"from": "新兴派出所", "to": "新兴中心派出所"}
    client.post(
        "/admin/orgs/user/add/",
        {"username": "new_lead", "display_name": "新队长", "is_active": "on"},
    )
    created = AuditEvent.objects.get(action="user.create", object_repr="新队长")
    assert created.actor_username == "sysadmin"
