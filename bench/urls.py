"""The site's URLs plus a bare view for bench/checkin.py; never routed in production.

Selected with ``HUXUE_URLCONF=bench.urls`` (bench/loadkit.py sets it for its gunicorn, with the
project root on PYTHONPATH). The bare view is the floor the check-in endpoint is measured
against: the same server, middleware and database, and exactly one INSERT — no authentication,
validation or rules. Its table, ``bench_insert``, exists only in databases seeded by
``python -m bench.seed``.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as site_urlpatterns


@csrf_exempt
def bare_insert(request: HttpRequest) -> JsonResponse:
    key = request.headers.get("Idempotency-Key", "")[:64]
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_insert (k, at) VALUES (%s, %s)", [key, timezone.now()])
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [path("bench/insert/", bare_insert), *site_urlpatterns]
