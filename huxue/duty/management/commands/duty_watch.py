"""Watch duty at the gate: gap alerts, stale check-ins and expired call-outs; and overdue
hazards, escalated once.

Once, or in a loop until SIGTERM (`manage.py serve` runs it with --loop). Each step of a pass
stands alone: an error is logged and the next step, and the next pass, still run. Every step is
safe to repeat and to run from two processes (alerts and their messages are keyed by shift).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from huxue.core.loops import until_stopped
from huxue.duty.alerts.services import callouts_expire, gap_scan
from huxue.duty.checkin.services import close_stale
from huxue.supervision.hazards import hazards_escalate

logger = logging.getLogger("huxue.duty")


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


def watch_pass() -> tuple[str, bool]:
    steps = [
        _step(_("gap alerts raised"), gap_scan),
        _step(_("stale check-ins closed"), close_stale),
        _step(_("call-outs expired"), callouts_expire),
        _step(_("overdue hazards escalated"), hazards_escalate),
    ]
    # Translators: the separator between the steps of one pass, in one log line.
    separator = _(", ")
    return separator.join(text for text, _busy in steps), any(busy for _text, busy in steps)


class Command(BaseCommand):
    help = (
        "Raises gap alerts, closes stale check-ins and expires call-outs; --loop repeats every "
        "--interval seconds until stopped."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running until SIGTERM")
        parser.add_argument(
            "--interval", type=float, default=60.0, help="seconds between passes (default 60)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = max(float(options["interval"]), 0.1)
        if not options["loop"]:
            self.stdout.write(f"duty_watch: {watch_pass()[0]}")
            return

        def one_pass() -> tuple[str, bool]:
            summary, busy = watch_pass()
            return (summary if busy else ""), False

        until_stopped("duty_watch", interval, one_pass, self.stdout.write)
