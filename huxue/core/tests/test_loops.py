"""The background commands' loop: passes until SIGTERM, at once while work is due."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from huxue.core.loops import until_stopped


@pytest.mark.django_db
def test_the_loop_runs_again_at_once_while_work_is_due_and_stops_on_sigterm() -> None:
    passes: list[int] = []

    def work() -> tuple[str, bool]:
        passes.append(len(passes))
        if len(passes) <= 2:
            return f"did {len(passes)}", True  # more due now: no wait
        threading.Timer(0.2, os.kill, args=(os.getpid(), signal.SIGTERM)).start()
        return "", False  # quiet: wait the interval, in which the stop comes

    before = signal.getsignal(signal.SIGTERM)
    lines: list[str] = []
    # Should the loop wait where it must not, this stop ends it within seconds (and fails it).
    safety = threading.Timer(5.0, os.kill, args=(os.getpid(), signal.SIGTERM))
    safety.start()
    try:
        until_stopped("job", 600.0, work, lines.append)
    finally:
        safety.cancel()

    assert len(passes) == 3  # the stop ended the 600 s wait
    assert lines[0] == "job：每 600 秒运行一次，直到停止" and lines[-1] == "job：已停止"
    assert [line.split(": ", 1)[1] for line in lines[1:-1]] == ["did 1", "did 2"]
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is put back
