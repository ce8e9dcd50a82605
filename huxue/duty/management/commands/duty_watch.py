"""Watch duty at the gate: gap alerts, stale check-ins, expired call-outs and old retry answers.

Once, or in a loop until SIGTERM (`manage.py serve` runs it with --loop). Each step of a pass
stands alone: an error is logged and the next step, and the next pass, still run. Every step is
safe to repeat and to run from two processes (alerts and their messages are keyed by shift).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from huxue.core.loops import until_stopped
from huxue.duty import idempotency
from huxue.duty.alerts import gap_scan
from huxue.duty.callouts import callouts_expire
from huxue.duty.services import close_stale

logger = logging.getLogger("huxue.duty")

PRUNE_EVERY_S = 86400.0


def _step(name: str, work: Callable[[], Any]) -> tuple[str, bool]:
    """Run one step; its line for the log (in the site's language), and whether it did (or
    failed at) anything."""
    try:
        result = work()
    except Exception:  # one failing step must not stop the others, nor the loop
        logger.exception("duty_watch: %s failed", name)
        return _("%(step)s failed") % {"step": name}, True
    count = len(result) if isinstance(result, list) else int(result)
    return _("%(step)s %(count)d") % {"step": name, "count": count}, count > 0


def watch_pass(*, prune: bool) -> tuple[str, bool]:
    steps = [
        _step(_("gap alerts raised"), gap_scan),
        _step(_("stale check-ins closed"), close_stale),
        _step(_("call-outs expired"), callouts_expire),
    ]
    if prune:
        steps.append(_step(_("retry answers pruned"), idempotency.prune))
    # Translators: the separator between the steps of one pass, in one log line.
    separator = _(", ")
    return separator.join(text for text, _busy in steps), any(busy for _text, busy in steps)


class Command(BaseCommand):
    help = (
        "Raises gap alerts, closes stale check-ins, expires call-outs and (daily) prunes old "
        "retry answers; --loop repeats every --interval seconds until stopped."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running until SIGTERM")
        parser.add_argument(
            "--interval", type=float, default=60.0, help="seconds between passes (default 60)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = max(float(options["interval"]), 0.1)
        if not options["loop"]:
            self.stdout.write(f"duty_watch: {watch_pass(prune=True)[0]}")
            return

        last_prune: float | None = None

        def one_pass() -> tuple[str, bool]:
            nonlocal last_prune
            prune = last_prune is None or time.monotonic() - last_prune >= PRUNE_EVERY_S
            if prune:
                last_prune = time.monotonic()
            summary, busy = watch_pass(prune=prune)
            return (summary if busy else ""), False

        until_stopped("duty_watch", interval, one_pass, self.stdout.write)
