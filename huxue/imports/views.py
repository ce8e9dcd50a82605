from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huxue.core import xlsx
from huxue.imports import exports
from huxue.imports.columns import SPECS
from huxue.imports.forms import FullExportForm, UploadForm
from huxue.imports.models import ImportJob
from huxue.imports.outcome import notes_and_problems
from huxue.imports.selectors import job_for, jobs_of
from huxue.imports.services import import_run, may
from huxue.orgs import access
from huxue.people.models import Person

KINDS = [k.value for k in ImportJob.Kind]
SHOWN_ERRORS = 1000


def _index(
    request: HttpRequest,
    *,
    forms: dict[str, UploadForm] | None = None,
    full_form: FullExportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    sections: list[dict[str, Any]] = []
    for kind in KINDS:
        can_import, can_export = may(user, "import", kind), may(user, "export", kind)
        if not (can_import or can_export):
            continue
        form = (forms or {}).get(kind) or (UploadForm(user=user, kind=kind) if can_import else None)
        sections.append(
            {
                "kind": kind,
                "title": ImportJob.Kind(kind).label,
                "can_import": can_import,
                "can_export": can_export,
                "form": form,
                "columns": [c.label() for c in SPECS[kind].columns],
            }
        )
    if not sections:
        raise Http404
    can_reveal = access.allowed(user, "reveal", Person) and may(user, "export", "people")
    context = {
        "sections": sections,
        "can_reveal": can_reveal,
        "full_form": full_form or (FullExportForm() if can_reveal else None),
        "jobs": jobs_of(user)[:10],
    }
    return render(request, "imports/index.html", context, status=status)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _index(request)


@login_required
@require_POST
def upload(request: HttpRequest, kind: str) -> HttpResponse:
    if not may(request.user, "import", kind):
        raise Http404
    form = UploadForm(request.POST, request.FILES, user=request.user, kind=kind)
    if not form.is_valid():
        return _index(request, forms={kind: form}, status=400)
    upload_file = form.cleaned_data["file"]
    job = import_run(
        actor=request.user,
        kind=kind,
        file=upload_file,
        filename=upload_file.name or "",
        target_unit=form.unit if kind == "people" else None,
    )
    return redirect("imports:job", pk=job.pk)


@login_required
@require_GET
def job(request: HttpRequest, pk: int) -> HttpResponse:
    found = job_for(request.user, pk=pk)
    notes, problems = notes_and_problems(found.errors)
    errors = problems[:SHOWN_ERRORS]
    return render(
        request,
        "imports/job.html",
        {
            "job": found,
            "notes": notes,
            "errors": errors,
            "more_errors": max(len(problems) - len(errors), 0),
        },
    )


@login_required
@require_GET
def job_errors(request: HttpRequest, pk: int) -> HttpResponse:
    found = job_for(request.user, pk=pk)
    return xlsx.download(exports.errors_workbook(found), f"huxue-import-{found.pk}-errors.xlsx")


@login_required
@require_GET
def template(request: HttpRequest, kind: str) -> HttpResponse:
    if not may(request.user, "import", kind):
        raise Http404
    return xlsx.download(
        exports.template_workbook(actor=request.user, kind=kind), exports.filename(kind, "template")
    )


@login_required
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest, kind: str) -> HttpResponse:
    """GET: the masked export. POST (people only): in full, with a typed reason."""
    if not may(request.user, "export", kind):
        raise Http404
    if kind != "people":
        if request.method != "GET":
            raise Http404
        data, _rows = exports.EXPORTERS[kind](actor=request.user)
        return xlsx.download(data, exports.filename(kind))
    if request.method == "GET":
        data, _rows = exports.export_people(actor=request.user)
        return xlsx.download(data, exports.filename(kind))
    if not access.allowed(request.user, "reveal", Person):
        raise Http404
    form = FullExportForm(request.POST)
    if form.is_valid():
        try:
            data, _rows = exports.export_people(
                actor=request.user, full=True, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error("reason", exc.message_dict.get("reason", exc.messages))
        else:
            return xlsx.download(data, exports.filename(kind, "full"))
    return _index(request, full_form=form, status=400)
