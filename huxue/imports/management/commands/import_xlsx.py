from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from tqdm import tqdm

from huxue.core import context
from huxue.imports.models import ImportJob
from huxue.imports.services import import_run, may
from huxue.orgs.models import Unit, User


class TqdmProgress:
    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: tqdm[Any] | None = None

    def start(self, total: int) -> None:
        self.bar = tqdm(total=total or None, desc=self.label, unit=" rows", dynamic_ncols=True)

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = (
        "Imports people, schools or posts from an .xlsx workbook as USERNAME, within that user's scope. "
        "Good rows are imported, every bad row is printed with its reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[k.value for k in ImportJob.Kind])
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--user", required=True, help="the account the import runs as (scope and audit)"
        )
        parser.add_argument(
            "--unit", type=int, help="people only: the unit id for rows with no unit cell"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        kind: str = options["kind"]
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        if not may(user, "import", kind):
            raise CommandError(f"{user.username} may not import {kind}")
        unit = None
        if options["unit"] is not None:
            if kind != ImportJob.Kind.PEOPLE:
                raise CommandError("--unit applies to people imports only")
            unit = Unit.objects.filter(pk=options["unit"]).first()
            if unit is None:
                raise CommandError(f"no unit with id {options['unit']}")
        progress = None if options["no_progress"] else TqdmProgress(kind)
        token = context.set_current(context.RequestMeta(channel="cli"))
        try:
            with path.open("rb") as handle:
                job = import_run(
                    actor=user,
                    kind=kind,
                    file=handle,
                    filename=path.name,
                    target_unit=unit,
                    progress=progress,
                )
        except Http404:
            raise CommandError(
                f"{user.username} may not import people into unit {options['unit']}"
            ) from None
        finally:
            context.reset(token)
            if progress is not None:
                progress.close()
        self._report(job)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError("nothing was imported")

    def _report(self, job: ImportJob) -> None:
        self.stdout.write(
            f"import #{job.pk} {job.kind} {job.filename}: {job.total_count} rows read, "
            f"{job.created_count} created, {job.updated_count} updated, {job.unchanged_count} unchanged, "
            f"{job.failed_count} rejected"
        )
        for error in job.errors:
            where = f"row {error['row']}" if error["row"] is not None else "file"
            column = f" [{error['column']}]" if error["column"] else ""
            self.stdout.write(f"  {where}{column}: {error['message']}")
