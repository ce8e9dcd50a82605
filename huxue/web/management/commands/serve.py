"""Run the web server and the background jobs together, and stop them together."""

from __future__ import annotations

import signal
import subprocess  # noqa: S404  (starts our own programs, no shell)
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Serves Huxue with gunicorn and runs the background job loops (settings.HUXUE_BACKGROUND_COMMANDS)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        procs = [
            subprocess.Popen(  # noqa: S603
                [
                    python,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "--bind",
                    f"{options['host']}:{options['port']}",
                    "--workers",
                    str(options["workers"]),
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "10",
                    # Path without the query string: a search for an ID or phone number must not
                    # land in the access log.
                    "--access-logformat",
                    '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms',
                ]
            )
        ]
        for command in settings.HUXUE_BACKGROUND_COMMANDS:
            procs.append(subprocess.Popen([python, "manage.py", *command]))  # noqa: S603
            self.stdout.write(_("background job: %(command)s") % {"command": " ".join(command)})

        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
