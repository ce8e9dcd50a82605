from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from huxue.core import context
from huxue.imports.models import ImportJob
from huxue.imports.outcome import notes_and_problems
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
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(_("No active user %(user)r.") % {"user": options["user"]})
        if not may(user, "import", kind):
            raise CommandError(
                _("%(user)s may not import %(kind)s.")
                % {"user": user.username, "kind": ImportJob.Kind(kind).label}
            )
        unit = None
        if options["unit"] is not None:
            if kind != ImportJob.Kind.PEOPLE:
                raise CommandError(_("--unit applies to people imports only."))
            unit = Unit.objects.filter(pk=options["unit"]).first()
            if unit is None:
                raise CommandError(_("No unit with id %(id)d.") % {"id": options["unit"]})
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
                _("%(user)s may not import people into unit %(id)d.")
                % {"user": user.username, "id": options["unit"]}
            ) from None
        finally:
            context.reset(token)
            if progress is not None:
                progress.close()
        self._report(job)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(_("Nothing was imported."))

    def _report(self, job: ImportJob) -> None:
        self.stdout.write(
            ngettext(
                "import #%(id)d %(kind)s %(file)s: %(read)d row read, %(created)d created, "
                "%(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected",
                "import #%(id)d %(kind)s %(file)s: %(read)d rows read, %(created)d created, "
                "%(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected",
                job.total_count,
            )
            % {
                "id": job.pk,
                "kind": job.get_kind_display(),
                "file": job.filename,
                "read": job.total_count,
                "created": job.created_count,
                "updated": job.updated_count,
                "unchanged": job.unchanged_count,
                "rejected": job.failed_count,
            }
        )
        notes, problems = notes_and_problems(job.errors)
        for note in notes:
            self.stdout.write(f"  {note['message']}")
        for error in problems:
            where = (
                _("row %(row)d") % {"row": error["row"]} if error["row"] is not None else _("file")
            )
            column = f" [{error['column']}]" if error["column"] else ""
            self.stdout.write(f"  {where}{column}: {error['message']}")
