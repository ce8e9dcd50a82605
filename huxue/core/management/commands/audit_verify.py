from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huxue.core import audit


class Command(BaseCommand):
    help = "Checks the audit trail's hash chain and names the first broken line."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify()
        if result.ok:
            message = _("audit chain intact: %(n)d lines") % {"n": result.checked}
            self.stdout.write(self.style.SUCCESS(message))
            return
        where = (
            _("line id %(id)d") % {"id": result.first_broken_id}
            if result.first_broken_id
            else _("the chain's head")
        )
        raise CommandError(
            _("audit chain BROKEN at %(where)s: %(reason)s (%(n)d lines verified before it)")
            % {"where": where, "reason": result.reason, "n": result.checked}
        )
