"""Send the notifications that are due: once, or in a loop until SIGTERM (`manage.py serve` runs it)."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

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

        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"notify_dispatch: every {interval:g} s until stopped")
        while not stopping:
            close_old_connections()
            result = dispatch_pass(limit=batch)
            if result.claimed or result.reclaimed:
                stamp = timezone.localtime().strftime("%H:%M:%S")
                self.stdout.write(f"notify_dispatch {stamp}: {result}")
            if result.claimed >= batch:
                continue  # more are due right now
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, interval))
        self.stdout.write("notify_dispatch: stopped")
