from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huxue.core.models import AuditEvent
from huxue.orgs.admin_mixins import ScopedAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdmin):
    list_display = [
        "id",
        "at",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "ip",
    ]
    list_filter = ["outcome", "action"]
    search_fields = ["actor_username", "object_repr", "action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
