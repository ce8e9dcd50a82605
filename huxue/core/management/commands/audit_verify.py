from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from huxue.core import audit


class Command(BaseCommand):
    help = "Checks the audit trail's hash chain and names the first broken line."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify()
        if result.ok:
            message = ngettext(
                "audit chain intact: %(n)d line", "audit chain intact: %(n)d lines", result.checked
            ) % {"n": result.checked}
            self.stdout.write(self.style.SUCCESS(message))
            return
        where = (
            _("line id %(id)d") % {"id": result.first_broken_id}
            if result.first_broken_id
            else _("the chain's head")
        )
        raise CommandError(
            ngettext(
                "audit chain BROKEN at %(where)s: %(reason)s (%(n)d line verified before it)",
                "audit chain BROKEN at %(where)s: %(reason)s (%(n)d lines verified before it)",
                result.checked,
            )
            % {"where": where, "reason": result.reason, "n": result.checked}
        )
