"""The inbox (消息): a person's own notices, as the outbox delivered them to the app."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from huxue.notify import selectors, services

PER_PAGE = 20


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox_of(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page})


@login_required
@require_GET
def message(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a message is reading it: it is marked read (the first time only)."""
    item = selectors.inbox_message_for(request.user, pk)
    services.inbox_mark_read(user=request.user, message=item)  # type: ignore[arg-type]
    return render(request, "notify/message.html", {"item": item})


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.inbox_mark_all_read(user=request.user)  # type: ignore[arg-type]
    if count:
        flash.success(
            request,
            ngettext(
                "Marked %(count)d message as read.", "Marked %(count)d messages as read.", count
            )
            % {"count": count},
        )
    return redirect("notify:inbox")
