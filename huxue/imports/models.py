from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One uploaded workbook and what became of its rows.

    Jobs are private to their uploader: they are only ever fetched with ``uploaded_by=user``
    (see selectors.py). Error messages are stored already rendered in the uploader's language and
    never quote an ID or phone number, so the list holds no personal data.
    """

    class Kind(models.TextChoices):
        PEOPLE = "people", _("People")
        SCHOOLS = "schools", _("Schools")
        POSTS = "posts", _("Guard posts")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("uploaded by"),
    )
    target_unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("target unit"),
    )
    filename = models.CharField(_("file name"), max_length=255)
    language = models.CharField(_("language"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    total_count = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    failed_count = models.PositiveIntegerField(_("rejected"), default=0)
    # [{"row": 7, "column": "身份证号", "message": "..."}]; row is None for a problem with the file.
    errors = models.JSONField(_("errors"), default=list, blank=True)

    # For access.scope, should a role ever be granted "importjob" permissions: the uploader's own
    # jobs, and the unit tree through the target unit.
    scope_owner = "uploaded_by"
    scope_unit = "target_unit"
    scope_region = "target_unit__region"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["uploaded_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.filename}"

    @property
    def ok_count(self) -> int:
        return self.created_count + self.updated_count + self.unchanged_count
