"""The lead's pages for one shift at the gate: roll call, who is missing, call-outs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


@login_required
def shift_duty(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
