from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from huxue.core import audit
from huxue.core.models import AuditEvent
from huxue.orgs import access


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    if not access.allowed(request.user, "read", AuditEvent):
        raise Http404
    events = access.filter(request.user, "read", AuditEvent.objects.order_by("-id"))
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    actor = request.GET.get("actor", "").strip()
    if actor:
        events = events.filter(actor_username=actor)
    outcome = request.GET.get("outcome", "")
    if outcome in AuditEvent.Outcome.values:
        events = events.filter(outcome=outcome)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    chain = audit.verify() if request.GET.get("verify") else None
    return render(
        request,
        "core/audit_list.html",
        {
            "page": page,
            "action": action,
            "actor": actor,
            "outcome": outcome,
            "chain": chain,
            "outcomes": AuditEvent.Outcome.choices,
        },
    )
