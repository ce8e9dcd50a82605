from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huxue.orgs import access
from huxue.orgs.models import Unit
from huxue.orgs.selectors import units_accepting
from huxue.people.forces import ForceGroup
from huxue.posts import qr
from huxue.posts.forms import PostForm, ReasonForm, SchoolForm
from huxue.posts.models import DutyWindow, Post, School
from huxue.posts.selectors import (
    post_by_qr_token,
    post_for,
    posts_visible_to,
    school_for,
    schools_visible_to,
)
from huxue.posts.services import (
    format_windows,
    post_create,
    post_rotate_qr,
    post_update,
    post_void,
    school_create,
)


def _add_errors(form: object, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)  # type: ignore[attr-defined]
    else:
        form.add_error(None, exc)  # type: ignore[attr-defined]


@login_required
def school_list(request: HttpRequest) -> HttpResponse:
    if not access.allowed(request.user, "read", School):
        raise Http404
    schools = schools_visible_to(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        schools = schools.filter(unit__name__icontains=q)
    page = Paginator(schools, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "posts/school_list.html",
        {"page": page, "q": q, "can_write": access.allowed(request.user, "write", School)},
    )


@login_required
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    school = school_for(request.user, pk=pk)
    posts = posts_visible_to(request.user).filter(school=school)
    return render(
        request,
        "posts/school_detail.html",
        {
            "school": school,
            "posts": posts,
            "can_add_post": _may_add_post(request, school),
        },
    )


def _may_add_post(request: HttpRequest, school: School) -> bool:
    """Posts are written by whoever may write posts under the school's unit."""
    return units_accepting(request.user, object_type="post").filter(pk=school.unit_id).exists()


@login_required
def school_create_view(request: HttpRequest) -> HttpResponse:
    if not access.allowed(request.user, "write", School):
        raise Http404
    stations = units_accepting(request.user, object_type="school", kind=Unit.Kind.STATION)
    form = SchoolForm(request.POST or None, stations=stations)
    if request.method == "POST" and form.is_valid():
        station = form.cleaned_data["station"]
        try:
            school = school_create(actor=request.user, region=station.region, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been added.") % {"name": school.name})
            return redirect("posts:school_detail", pk=school.pk)
    return render(request, "posts/school_form.html", {"form": form})


@login_required
def post_list(request: HttpRequest) -> HttpResponse:
    if not access.allowed(request.user, "read", Post):
        raise Http404
    posts = posts_visible_to(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        posts = posts.filter(school__unit__name__icontains=q)
    page = Paginator(posts, 50).get_page(request.GET.get("page"))
    return render(
        request, "posts/post_list.html", {"page": page, "q": q, "groups": ForceGroup.choices}
    )


@login_required
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_for(request.user, pk=pk)
    can_write = access.can(request.user, "write", post)
    return render(
        request,
        "posts/post_detail.html",
        {
            "post": post,
            "window_text": format_windows(post.windows.all()),
            "weekdays": [
                str(label)
                for day, label in DutyWindow.Weekday.choices
                if any(w.weekday == day for w in post.windows.all())
            ],
            "can_write": can_write,
            "qr_svg": qr.poster_svg(_checkin_url(post)) if can_write else "",
        },
    )


def _checkin_url(post: Post) -> str:
    return settings.HUXUE_BASE_URL.rstrip("/") + reverse("posts:qr_landing", args=[post.qr_token])


def _post_initial(post: Post) -> dict[str, object]:
    initial: dict[str, object] = {
        "name": post.name,
        "latitude": post.latitude,
        "longitude": post.longitude,
        "geofence_m": post.geofence_m,
        "windows": format_windows(post.windows.all()),
        "weekdays": sorted({w.weekday for w in post.windows.all()}),
    }
    found = {r.group: r.minimum for r in post.requirements.all()}
    initial.update({g: found.get(g, 0) for g in ForceGroup.values})
    return initial


@login_required
def post_create_view(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = school_for(request.user, pk=school_pk)
    if not _may_add_post(request, school):
        raise Http404
    form = PostForm(
        request.POST or None, initial={"latitude": school.latitude, "longitude": school.longitude}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = post_create(
                actor=request.user,
                school=school,
                name=data["name"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                geofence_m=data["geofence_m"],
                windows=data["windows"],
                requirements=data["requirements"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The post has been added."))
            return redirect("posts:post_detail", pk=post.pk)
    return render(request, "posts/post_form.html", {"form": form, "school": school})


@login_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_for(request.user, pk=pk, action="write")
    form = PostForm(request.POST or None, initial=_post_initial(post), editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        post_update(
            actor=request.user,
            post=post,
            latitude=data["latitude"],
            longitude=data["longitude"],
            geofence_m=data["geofence_m"],
            windows=data["windows"],
            requirements=data["requirements"],
        )
        messages.success(request, _("Changes to the post have been saved."))
        return redirect("posts:post_detail", pk=post.pk)
    return render(
        request, "posts/post_form.html", {"form": form, "school": post.school, "post": post}
    )


@login_required
def post_poster(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_for(request.user, pk=pk, action="write")
    return render(
        request,
        "posts/poster.html",
        {
            "post": post,
            "qr_svg": qr.poster_svg(_checkin_url(post), scale=12),
            "url": _checkin_url(post),
            "window_text": format_windows(post.windows.all()),
        },
    )


@login_required
@require_POST
def post_rotate_qr_view(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_for(request.user, pk=pk, action="write")
    post_rotate_qr(actor=request.user, post=post)
    messages.success(
        request,
        _("A new QR code has been issued. Print the new poster: the old one no longer works."),
    )
    return redirect("posts:post_detail", pk=post.pk)


@login_required
@require_POST
def post_void_view(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_for(request.user, pk=pk, action="write")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why this post is being voided."))
        return redirect("posts:post_detail", pk=post.pk)
    post_void(actor=request.user, post=post, reason=form.cleaned_data["reason"])
    messages.success(request, _("The post has been voided; it stays in the records."))
    return redirect("posts:school_detail", pk=post.school_id)


def qr_landing(request: HttpRequest, token: str) -> HttpResponse:
    """Where a scanned poster leads: sign in, then confirm the check-in at this post."""
    post = post_by_qr_token(token)
    if post is None:
        return render(request, "posts/qr_unknown.html", status=404)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    from huxue.duty.checkin.views import qr_context  # duty builds on posts, not the reverse

    return render(request, "posts/qr_landing.html", qr_context(request, post))
