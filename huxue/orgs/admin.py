from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from huxue.orgs.admin_mixins import ScopedAdmin
from huxue.orgs.models import Membership, Region, Unit, User
from huxue.orgs.services import (
    membership_check,
    membership_grant,
    region_create,
    unit_create,
    unit_rename,
    user_save,
)


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_unit(request, "read")

    has_module_permission = has_view_permission

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access_unit(request, "write")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return Region.objects.all() if access_unit(request, "read") else Region.objects.none()

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        created = region_create(code=obj.code, name=obj.name, parent=obj.parent)
        obj.pk, obj.path = created.pk, created.path


def access_unit(request: HttpRequest, action: str) -> bool:
    from huxue.orgs import access

    return access.allowed(request.user, action, Unit)


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    list_display = ["name", "kind", "region", "parent"]
    list_filter = ["kind", "region"]
    search_fields = ["name"]
    fields = ["kind", "name", "region", "parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Moving a unit would need its whole subtree's paths rewritten: a later issue's service.
        return ["kind", "region", "parent"] if obj else []

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        if change:
            unit_rename(actor=request.user, unit=obj, name=obj.name)
            return
        created = unit_create(
            kind=obj.kind, name=obj.name, region=obj.region, parent=obj.parent, actor=request.user
        )
        obj.pk, obj.path = created.pk, created.path


@admin.register(User)
class UserAdmin(ScopedAdmin):
    list_display = ["username", "display_name", "is_active", "last_login"]
    search_fields = ["username", "display_name"]
    fields = ["username", "display_name", "email", "is_active"]
    readonly_fields = ["last_login"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        user_save(
            actor=request.user, user=obj, changed=list(form.changed_data), creating=not change
        )


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "role", "unit", "region"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            membership_check(
                user=data["user"],
                role=data["role"],
                unit=data.get("unit"),
                region=data.get("region"),
            )
        return data


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    form = MembershipForm
    list_display = ["user", "role", "unit", "region"]
    list_filter = ["role"]
    fields = ["user", "role", "unit", "region"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        created = membership_grant(
            user=obj.user, role=obj.role, unit=obj.unit, region=obj.region, actor=request.user
        )
        obj.pk = created.pk
