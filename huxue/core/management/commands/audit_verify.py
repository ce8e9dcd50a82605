from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from huxue.core import audit


class Command(BaseCommand):
    help = "Checks the audit trail's hash chain and names the first broken line."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"audit chain intact: {result.checked} lines"))
            return
        where = f"line id {result.first_broken_id}" if result.first_broken_id else "chain head"
        raise CommandError(
            f"audit chain BROKEN at {where}: {result.reason} ({result.checked} lines verified before it)"
        )
