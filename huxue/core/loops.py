"""The loop of a background command (``manage.py serve`` runs them): a pass every few seconds
until SIGTERM or SIGINT, each pass with fresh database connections."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections
from django.utils import timezone
from django.utils.translation import gettext as _

# What a pass returns: the line to log ("" when it did nothing worth a line) and whether to run
# the next pass at once (more work is due right now) rather than after the interval.
Pass = Callable[[], tuple[str, bool]]


def until_stopped(name: str, interval: float, work: Pass, write: Callable[[str], None]) -> None:
    """Run ``work`` every ``interval`` seconds until the process is asked to stop, then return
    (the signal handlers it set are put back). A stop asked for during a pass ends the loop
    after that pass; during the wait, within half a second."""
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        write(
            _("%(name)s: every %(seconds)s s until stopped")
            % {"name": name, "seconds": f"{interval:g}"}
        )
        while not stopping:
            close_old_connections()
            line, again = work()
            if line:
                write(f"{name} {timezone.localtime():%H:%M:%S}: {line}")
            if again:
                continue
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, interval))
        write(_("%(name)s: stopped") % {"name": name})
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
