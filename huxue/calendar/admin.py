"""Back-office views of the calendar: read-only, because every write goes through services
(validation, overlap checks, one audit line) from the calendar pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from huxue.calendar.models import Closure, HolidayArrangement, Term
from huxue.orgs import access
from huxue.orgs.admin_mixins import ScopedAdmin


class _ReadOnly(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HolidayArrangement)
class HolidayArrangementAdmin(_ReadOnly):
    list_display = ["date", "kind", "name", "source", "entered_by", "created_at"]
    list_filter = ["year", "kind"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # National dates, placed nowhere: whoever may read them reads them all.
        qs = HolidayArrangement.objects.select_related("entered_by")
        return qs if access.allowed(request.user, "read", HolidayArrangement) else qs.none()


@admin.register(Term)
class TermAdmin(_ReadOnly):
    list_display = ["name", "region", "start", "end", "unit"]
    list_filter = ["region"]


@admin.register(Closure)
class ClosureAdmin(_ReadOnly):
    list_display = ["school", "reason", "start", "end", "note", "voided_at"]
    list_filter = ["reason"]
