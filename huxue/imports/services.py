"""Running an import: one job, one transaction for the rows, one audit line for the file.

The web view, the CLI command and the benchmark all call ``import_run``, so they share one code path.
"""

from __future__ import annotations

import logging
from typing import IO, Any

from django.db import IntegrityError, models, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huxue.core import audit
from huxue.core.models import AuditEvent
from huxue.imports import reader
from huxue.imports.columns import SPECS
from huxue.imports.models import ImportJob
from huxue.imports.outcome import NoProgress, Outcome, Progress
from huxue.imports.people import import_people
from huxue.imports.places import import_posts, import_schools
from huxue.orgs import access
from huxue.orgs.models import Unit
from huxue.orgs.selectors import units_accepting
from huxue.people.models import Person
from huxue.posts.models import Post, School

logger = logging.getLogger(__name__)

MODELS: dict[str, type[models.Model]] = {
    ImportJob.Kind.PEOPLE: Person,
    ImportJob.Kind.SCHOOLS: School,
    ImportJob.Kind.POSTS: Post,
}


def may(user: Any, action: str, kind: str) -> bool:
    """Whether the user may import / export this kind of record anywhere."""
    return kind in MODELS and access.allowed(user, action, MODELS[kind])


def import_run(
    *,
    actor: Any,
    kind: str,
    file: IO[bytes] | str,
    filename: str,
    target_unit: Unit | None = None,
    progress: Progress | None = None,
) -> ImportJob:
    """Import a workbook of `kind`; returns the finished job (status done or failed).

    Raises Http404 when the actor may not import this kind, or not into `target_unit`.
    """
    if not may(actor, "import", kind):
        raise Http404
    if kind != ImportJob.Kind.PEOPLE:
        target_unit = None
    elif (
        target_unit is not None
        and not units_accepting(actor, object_type="person").filter(pk=target_unit.pk).exists()
    ):
        raise Http404
    job = ImportJob.objects.create(
        kind=kind,
        uploaded_by=actor,
        target_unit=target_unit,
        filename=filename[:255],
        language=translation.get_language() or "",
    )
    progress = progress or NoProgress()
    try:
        sheet = reader.open_sheet(file, SPECS[kind])
        outcome = Outcome(sheet=sheet)
        with transaction.atomic():
            if kind == ImportJob.Kind.PEOPLE:
                import_people(
                    actor=actor, outcome=outcome, target_unit=target_unit, progress=progress
                )
            elif kind == ImportJob.Kind.SCHOOLS:
                import_schools(actor=actor, outcome=outcome, progress=progress)
            else:
                import_posts(actor=actor, outcome=outcome, progress=progress)
            _finish(job, outcome)
            _audit(actor, job)
    except reader.FileError as exc:
        _fail(actor, job, str(exc))
    except IntegrityError:
        # Another import or edit registered the same person between our check and our insert.
        logger.warning("import job %s hit a concurrent change", job.pk, exc_info=True)
        _fail(
            actor,
            job,
            _(
                "The same records were changed by someone else during the import, so nothing was imported. Please run the import again."
            ),
        )
    except Exception:
        _fail(actor, job, _("The import stopped on an unexpected error, so nothing was imported."))
        raise
    return job


def _finish(job: ImportJob, outcome: Outcome) -> None:
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.total_count = outcome.total
    job.created_count = outcome.created
    job.updated_count = outcome.updated
    job.unchanged_count = outcome.unchanged
    job.failed_count = outcome.failed
    job.errors = outcome.sorted_errors()
    job.save()


def _fail(actor: Any, job: ImportJob, message: str) -> None:
    """The whole file was refused; its rows were rolled back, so the counts stay zero."""
    job.status = ImportJob.Status.FAILED
    job.finished_at = timezone.now()
    job.total_count = job.created_count = job.updated_count = job.unchanged_count = (
        job.failed_count
    ) = 0
    job.errors = [{"row": None, "column": "", "message": message}]
    job.save()
    _audit(actor, job, outcome=AuditEvent.Outcome.FAILURE)


def _audit(actor: Any, job: ImportJob, *, outcome: str = AuditEvent.Outcome.SUCCESS) -> None:
    audit.record(
        action=f"{job.kind}.import",
        actor=actor,
        obj=job,
        outcome=outcome,
        detail={
            "job": job.pk,
            "file": job.filename,
            "unit": job.target_unit_id,
            "rows": job.total_count,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "failed": job.failed_count,
        },
    )
