from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from huxue.orgs import access


class ScopedAdmin(admin.ModelAdmin):
    """Back-office screens obey the same role table as every page: no superuser bypass."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.filter(request.user, "read", super().get_queryset(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.allowed(request.user, "read", self.model)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.allowed(request.user, "read", self.model)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.allowed(request.user, "write", self.model)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.allowed(request.user, "write", self.model)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
