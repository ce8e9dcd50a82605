"""Import jobs are private to their uploader: fetched by owner, never by organisation."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from huxue.imports.models import ImportJob


def jobs_of(user: Any) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(uploaded_by=user).select_related("target_unit")


def job_for(user: Any, *, pk: int) -> ImportJob:
    """The user's own job, or 404 (someone else's job is "not found", like any out-of-scope record)."""
    return get_object_or_404(jobs_of(user), pk=pk)
