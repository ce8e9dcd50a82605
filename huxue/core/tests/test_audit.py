from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from huxue.core import audit
from huxue.core.models import AuditEvent


def _tamper(sql: str, params: list) -> None:
    """An attacker with database rights: lift the append-only trigger, then edit."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_append_only")
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_the_chain_verifies_after_appends() -> None:
    before = AuditEvent.objects.count()  # the test city's lines
    for i in range(5):
        audit.record(action="test.event", object_type="x", object_id=i)
    result = audit.verify()
    assert result.ok and result.checked == before + 5


@pytest.mark.django_db
def test_audit_verify_names_the_first_tampered_line() -> None:
    events = [audit.record(action="test.event", object_id=i) for i in range(4)]
    _tamper(
        "UPDATE core_auditevent SET actor_username = %s WHERE id = %s", ["mallory", events[2].id]
    )
    result = audit.verify()
    assert not result.ok and result.first_broken_id == events[2].id
    with pytest.raises(CommandError, match=f"审计链在第 {events[2].id} 号记录处断裂"):
        call_command("audit_verify")  # in the site's language
    with translation.override("en"), pytest.raises(CommandError, match=f"line id {events[2].id}"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_deleting_a_line_in_the_middle_is_caught() -> None:
    events = [audit.record(action="test.event", object_id=i) for i in range(4)]
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[1].id])
    assert audit.verify().first_broken_id == events[2].id


@pytest.mark.django_db
def test_cutting_lines_off_the_end_is_caught_by_the_head() -> None:
    lines = AuditEvent.objects.count() + 3  # the test city's lines and these three
    events = [audit.record(action="test.event", object_id=i) for i in range(3)]
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[-1].id])
    result = audit.verify()
    assert not result.ok and f"链头应有 {lines} 条记录" in result.reason  # in the site's language
    with translation.override("en"):
        assert f"the chain's head expects {lines} lines" in audit.verify().reason


@pytest.mark.django_db
def test_the_database_refuses_to_update_an_audit_line() -> None:
    event = audit.record(action="test.event")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")


@pytest.mark.django_db
def test_the_model_refuses_to_save_twice_or_delete() -> None:
    event = audit.record(action="test.event")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.mark.django_db
def test_an_intact_chain_passes_the_command(capsys) -> None:
    audit.record(action="test.event")
    call_command("audit_verify")
    lines = AuditEvent.objects.count()  # the test city's lines and this one
    assert f"审计链完整：共 {lines} 条记录" in capsys.readouterr().out
