"""The audit checks count lines right in English for one and for many, and in Chinese."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from huxue.core import audit
from huxue.core.management.commands import audit_verify
from huxue.core.models import AuditChainHead


@pytest.mark.parametrize("lines,english", [(1, "1 line"), (7, "7 lines")])
def test_an_intact_chain_is_counted_in_lines(monkeypatch, capsys, lines: int, english: str) -> None:
    monkeypatch.setattr(audit_verify.audit, "verify", lambda: audit.VerifyResult(True, lines))
    with translation.override("en"):
        call_command("audit_verify")
    assert f"audit chain intact: {english}\n" in capsys.readouterr().out
    call_command("audit_verify")
    assert f"审计链完整：共 {lines} 条记录" in capsys.readouterr().out


@pytest.mark.parametrize("lines,english", [(1, "1 line"), (3, "3 lines")])
def test_a_broken_chain_counts_the_lines_verified_before_the_break(
    monkeypatch, lines: int, english: str
) -> None:
    broken = audit.VerifyResult(False, lines, 42, "the line's contents do not match its hash")
    monkeypatch.setattr(audit_verify.audit, "verify", lambda: broken)
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("audit_verify")
    assert str(refused.value).endswith(f"({english} verified before it)")
    with pytest.raises(CommandError, match=f"此前已校验 {lines} 条记录"):
        call_command("audit_verify")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "head,english", [(1, "expects 1 line ending"), (2, "expects 2 lines ending")]
)
def test_a_head_that_disagrees_with_the_lines_is_counted_in_lines(head: int, english: str) -> None:
    audit.record(action="test.event")
    audit.record(action="test.event")
    audit.record(action="test.event")
    AuditChainHead.objects.filter(id=1).update(count=head)
    with translation.override("en"):
        assert f"the chain's head {english} in " in audit.verify().reason
    assert f"链头应有 {head} 条记录" in audit.verify().reason
