"""Send the notifications that are due: once, or in a loop until SIGTERM (`manage.py serve` runs it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from huxue.core.loops import until_stopped
from huxue.notify.dispatch import dispatch_pass


class Command(BaseCommand):
    help = "Sends every due notification; --loop repeats every --interval seconds until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running until SIGTERM")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between passes (default: HUXUE_NOTIFY_INTERVAL)",
        )
        parser.add_argument("--batch", type=int, default=200, help="rows claimed per pass")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        if interval is None:
            interval = float(settings.HUXUE_NOTIFY_INTERVAL)
        batch = options["batch"]
        if not options["loop"]:
            self.stdout.write(f"notify_dispatch: {dispatch_pass(limit=batch)}")
            return

        def one_pass() -> tuple[str, bool]:
            result = dispatch_pass(limit=batch)
            busy = bool(result.claimed or result.reclaimed)
            return (str(result) if busy else ""), result.claimed >= batch  # more due now

        until_stopped("notify_dispatch", interval, one_pass, self.stdout.write)
