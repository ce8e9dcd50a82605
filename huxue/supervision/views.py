"""The supervision pages: the inspector's day on a phone (start a round at a post, answer it
item by item with photos, submit it, raise a failed item as a hazard), the lists of rounds and
hazards in scope, and a hazard's page with the steps the reader may take.

Views parse input, call one service and render; who may see and do what is decided in the
services and selectors on top of ``huxue.orgs.access``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from huxue.core import audit, xlsx
from huxue.core.pdf import render_pdf
from huxue.files.selectors import photos_of
from huxue.files.services import photo_store
from huxue.orgs import access
from huxue.orgs.models import Unit
from huxue.posts.models import Post
from huxue.supervision.forms import AnswerForm, HazardForm, StartForm, StepForm
from huxue.supervision.hazards import (
    STEPS,
    HazardConflict,
    hazard_report,
    hazard_step,
    schools_for_hazards,
    step_actions,
    step_names,
)
from huxue.supervision.models import Hazard, InspectionRound, RoundAnswer
from huxue.supervision.notices import notice_pdf
from huxue.supervision.ranking import BY, ranking, ranking_table
from huxue.supervision.selectors import (
    hazard_for,
    hazards_visible_to,
    round_for,
    rounds_visible_to,
    steps_open_to,
)
from huxue.supervision.services import (
    posts_for_rounds,
    round_answer,
    round_kind_for,
    round_start,
    round_submit,
)

PER_PAGE = 30


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _require_read(request: HttpRequest) -> None:
    if not access.allowed(request.user, "read", InspectionRound):
        raise Http404


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """我的督导: start a round, my rounds in progress and just done, hazards waiting for me."""
    _require_read(request)
    user = request.user
    may_inspect = access.allowed(user, "write", InspectionRound)
    posts = list(
        posts_for_rounds(user).select_related("school__unit").order_by("school__unit__name", "name")
        if may_inspect
        else []
    )
    mine = rounds_visible_to(user).filter(inspector_id=user.pk)
    waiting = [
        hazard
        for hazard in hazards_visible_to(user)
        .exclude(state=Hazard.State.CLOSED)
        .select_related("school__station")[:200]
        if steps_open_to(user, hazard)
    ][:20]
    return render(
        request,
        "supervision/home.html",
        {
            "may_inspect": may_inspect,
            "posts": posts,
            "kind": round_kind_for(user),
            "open_rounds": list(mine.filter(status=InspectionRound.Status.OPEN)[:20]),
            "done_rounds": list(mine.filter(status=InspectionRound.Status.SUBMITTED)[:10]),
            "waiting": waiting,
            "step_names": step_names(),
        },
    )


@login_required
@require_POST
def round_new(request: HttpRequest) -> HttpResponse:
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the post to inspect."))
        return redirect("supervision:home")
    post = posts_for_rounds(request.user).filter(pk=form.cleaned_data["post"]).first()
    if post is None:
        raise Http404
    kind = round_kind_for(request.user)
    try:
        round_ = round_start(
            actor=request.user,
            post=post,
            kind=kind,
            latitude=form.cleaned_data.get("latitude"),
            longitude=form.cleaned_data.get("longitude"),
            accuracy=form.cleaned_data.get("accuracy"),
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("supervision:home")
    return redirect("supervision:round", pk=round_.pk)


def _answer_rows(
    request: HttpRequest, round_: InspectionRound, *, editable: bool
) -> list[dict[str, Any]]:
    answers = list(round_.answers.select_related("item"))
    may_report = schools_for_hazards(request.user).filter(pk=round_.post.school_id).exists()
    raised = set(Hazard.objects.filter(answer__in=answers).values_list("answer_id", flat=True))
    rows = []
    for answer in answers:
        rows.append(
            {
                "answer": answer,
                "photos": list(photos_of(answer)),
                "form": AnswerForm(
                    initial={"result": answer.result, "note": answer.note},
                    prefix=f"i{answer.item_id}",
                )
                if editable and not answer.item.auto
                else None,
                "raise_hazard": answer.result == RoundAnswer.Result.FAIL
                and round_.status == InspectionRound.Status.SUBMITTED
                and may_report
                and answer.pk not in raised,
                "hazard_raised": answer.pk in raised,
            }
        )
    return rows


@login_required
def round_page(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = round_for(request.user, pk)
    editable = (
        round_.inspector_id == request.user.pk and round_.status == InspectionRound.Status.OPEN
    )
    return render(
        request,
        "supervision/round.html",
        {
            "round": round_,
            "rows": _answer_rows(request, round_, editable=editable),
            "editable": editable,
            "answered": sum(1 for a in round_.answers.all() if a.result),
            "total": round_.answers.count(),
        },
    )


@login_required
@require_POST
def round_item(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    round_ = round_for(request.user, pk)
    answer = round_.answers.select_related("item").filter(item_id=item).first()
    if answer is None:
        raise Http404
    form = AnswerForm(request.POST, request.FILES, prefix=f"i{item}")
    target = f"{reverse('supervision:round', args=[round_.pk])}#item-{item}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{answer.item.title}: {error}")
        return redirect(target)
    try:
        with transaction.atomic():
            round_answer(
                actor=request.user,
                round=round_,
                item=answer.item,
                result=form.cleaned_data["result"],
                note=form.cleaned_data["note"],
            )
            for content in form.cleaned_data["photos"]:
                photo_store(actor=request.user, data=content, owner=answer)
    except ValidationError as exc:
        messages.error(request, f"{answer.item.title}: {_errors(exc)}")
        return redirect(target)
    messages.success(request, _("%(item)s: saved.") % {"item": answer.item.title})
    return redirect(target)


@login_required
@require_POST
def round_done(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = round_for(request.user, pk)
    try:
        done = round_submit(actor=request.user, round=round_)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("supervision:round", pk=round_.pk)
    messages.success(
        request,
        _("The round at %(post)s is submitted: %(score)s points.")
        % {"post": done.post, "score": done.score if done.score is not None else "—"},
    )
    return redirect("supervision:round", pk=done.pk)


@login_required
def rounds(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    qs = rounds_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in InspectionRound.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/rounds.html",
        {"page": page, "status": status, "statuses": InspectionRound.Status.choices},
    )


# --- hazards ----------------------------------------------------------------------------


@login_required
def hazards(request: HttpRequest) -> HttpResponse:
    if not access.allowed(request.user, "read", Hazard):
        raise Http404
    qs = hazards_visible_to(request.user)
    state, grade = request.GET.get("state", ""), request.GET.get("grade", "")
    if state in Hazard.State.values:
        qs = qs.filter(state=state)
    elif state == "open":
        qs = qs.exclude(state=Hazard.State.CLOSED)
    if grade in Hazard.Grade.values:
        qs = qs.filter(grade=grade)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/hazards.html",
        {
            "page": page,
            "state": state,
            "grade": grade,
            "states": Hazard.State.choices,
            "grades": Hazard.Grade.choices,
            "may_report": schools_for_hazards(request.user).exists(),
        },
    )


def _hazard_form(
    request: HttpRequest, data: Any = None, files: Any = None, initial: Any = None
) -> HazardForm:
    schools = list(schools_for_hazards(request.user).select_related("unit").order_by("unit__name"))
    posts = (
        Post.objects.live()
        .filter(school__in=schools)
        .select_related("school__unit")
        .order_by("school__unit__name", "name")
    )
    return HazardForm(
        data,
        files,
        initial=initial,
        schools=[(s.pk, s.unit.name) for s in schools],
        posts=[(p.pk, str(p)) for p in posts],
    )


@login_required
@require_http_methods(["GET", "POST"])
def hazard_new(request: HttpRequest) -> HttpResponse:
    if not schools_for_hazards(request.user).exists():
        raise Http404
    answer = None
    answer_pk = request.POST.get("answer") or request.GET.get("answer")
    if answer_pk:
        answer = access.get_or_404(
            request.user,
            "read",
            RoundAnswer.objects.select_related("round__post", "item"),
            pk=answer_pk,
        )
    if request.method == "POST":
        form = _hazard_form(request, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            school = schools_for_hazards(request.user).filter(pk=data["school"]).first()
            post = (
                Post.objects.filter(pk=data["post"], school=school).first()
                if data["post"]
                else None
            )
            if school is None:
                raise Http404
            try:
                with transaction.atomic():
                    hazard = hazard_report(
                        actor=request.user,
                        school=school,
                        post=post,
                        title=data["title"],
                        category=data["category"],
                        grade=data["grade"],
                        description=data["description"],
                        answer=answer,
                    )
                    first = hazard.steps.get(version=1)
                    for content in data["photos"]:
                        photo_store(actor=request.user, data=content, owner=first)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The hazard is reported."))
                return redirect("supervision:hazard", pk=hazard.pk)
    else:
        initial: dict[str, Any] = {"grade": Hazard.Grade.GENERAL}
        if answer is not None:
            initial.update(
                school=answer.round.post.school_id,
                post=answer.round.post_id,
                title=f"{answer.item.title}：{answer.note}"[:80],
                description=answer.note,
                answer=answer.pk,
            )
        elif request.GET.get("post"):
            post = Post.objects.filter(pk=request.GET["post"]).first()
            if post is not None:
                initial.update(school=post.school_id, post=post.pk)
        form = _hazard_form(request, initial=initial)
    return render(request, "supervision/hazard_new.html", {"form": form, "answer": answer})


@login_required
def hazard_page(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = hazard_for(request.user, pk)
    steps = list(hazard.steps.select_related("actor").order_by("version"))
    school = hazard.school
    units = [u for u in (school.unit, school.station) if u is not None]
    return render(
        request,
        "supervision/hazard.html",
        {
            "hazard": hazard,
            "steps": [
                {"step": s, "photos": list(photos_of(s)), "name": step_names().get(s.step, s.step)}
                for s in steps
            ],
            "answer_photos": list(photos_of(hazard.answer)) if hazard.answer is not None else [],
            "open": [
                (name, step_actions()[name], STEPS[name])
                for name in steps_open_to(request.user, hazard)
            ],
            "units": units,
            "notices": list(hazard.notices.all()),
            "form": StepForm(),
        },
    )


@login_required
@require_POST
def hazard_take(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = hazard_for(request.user, pk)
    form = StepForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("supervision:hazard", pk=hazard.pk)
    data = form.cleaned_data
    responsible = (
        Unit.objects.filter(pk=data["responsible"]).first() if data.get("responsible") else None
    )
    try:
        with transaction.atomic():
            done = hazard_step(
                actor=request.user,
                hazard=hazard,
                step=data["step"],
                version=data["version"],
                note=data["note"],
                responsible=responsible,
                deadline=data.get("deadline"),
                requirement=data["requirement"],
            )
            last = done.steps.get(version=done.version)
            for content in data["photos"]:
                photo_store(actor=request.user, data=content, owner=last)
    except HazardConflict as conflict:
        messages.error(request, str(conflict))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(
            request, _("%(step)s: done.") % {"step": step_names().get(data["step"], data["step"])}
        )
    return redirect("supervision:hazard", pk=hazard.pk)


@login_required
def hazard_notice(request: HttpRequest, pk: int, notice: int) -> HttpResponse:
    """整改通知书 as a PDF, for those who may read the hazard; each download is audited."""
    hazard = hazard_for(request.user, pk)
    found = hazard.notices.select_related("issued_by", "responsible").filter(pk=notice).first()
    if found is None:
        raise Http404
    found.hazard = hazard
    content = notice_pdf(found)
    audit.record(
        action="supervision.notice.download",
        actor=request.user,
        obj=found,
        detail={"hazard": hazard.pk},
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{found.year}-{found.seq:03d}.pdf"'
    return response


# --- the monthly ranking (通报) ----------------------------------------------------------


def _ranking_query(request: HttpRequest) -> tuple[dt.date, str]:
    """The month (YYYY-MM; last month by default) and the grouping asked for."""
    today = timezone.localdate()
    default = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    try:
        year, number = (int(part) for part in request.GET.get("month", "").split("-"))
        month = dt.date(year, number, 1)
    except ValueError:
        month = default
    by = request.GET.get("by", "station")
    return month, by if by in BY else "station"


@login_required
def ranking_page(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    month, by = _ranking_query(request)
    table = ranking(request.user, month=month, by=by)
    query = f"month={month:%Y-%m}&by={by}"
    return render(
        request,
        "supervision/ranking.html",
        {
            "table": table,
            "month_value": f"{month:%Y-%m}",
            "by": by,
            "xlsx_url": f"{reverse('supervision:ranking_xlsx')}?{query}",
            "pdf_url": f"{reverse('supervision:ranking_pdf')}?{query}",
        },
    )


@login_required
def ranking_xlsx(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    month, by = _ranking_query(request)
    header, rows = ranking_table(ranking(request.user, month=month, by=by))
    audit.record(
        action="supervision.ranking.export",
        actor=request.user,
        detail={"month": f"{month:%Y-%m}", "by": by, "format": "xlsx"},
    )
    return xlsx.download(
        xlsx.one_sheet(_("Supervision ranking"), header, rows),
        f"huxue-ranking-{month:%Y-%m}-{by}.xlsx",
    )


@login_required
def ranking_pdf(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    month, by = _ranking_query(request)
    table = ranking(request.user, month=month, by=by)
    header, rows = ranking_table(table)
    content = render_pdf(
        "supervision/ranking_pdf.html",
        {
            "table": table,
            "header": header,
            "rows": rows,
            "made_at": timezone.localtime(),
            "made_by": request.user,
        },
    )
    audit.record(
        action="supervision.ranking.export",
        actor=request.user,
        detail={"month": f"{month:%Y-%m}", "by": by, "format": "pdf"},
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="huxue-ranking-{month:%Y-%m}-{by}.pdf"'
    return response
