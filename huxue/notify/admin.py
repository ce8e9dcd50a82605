"""Back-office screens for group channels. Reading follows the unit rules (a school lead sees their
school's channels, masked); adding and changing needs the right to write units, and goes through
the services (validation, one audit line). The secret is write-only: never shown again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from huxue.notify import selectors
from huxue.notify.models import Channel
from huxue.notify.services import channel_clean, channel_create, channel_update
from huxue.orgs import access
from huxue.orgs.models import Unit


class ChannelForm(forms.ModelForm):
    address = forms.CharField(label=_("webhook URL or e-mail address"), max_length=1000)
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current secret. DingTalk and Feishu only."),
    )
    clear_secret = forms.BooleanField(label=_("remove the secret"), required=False)

    class Meta:
        model = Channel
        fields = ["unit", "kind", "name", "address", "enabled"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind") or self.instance.kind
        if not self.errors and kind:
            try:
                channel_clean(kind=kind, name=data.get("name", ""), address=data.get("address", ""))
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "unit", "kind", "masked_address", "enabled"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "unit__name"]

    @admin.display(description=_("address"))
    def masked_address(self, obj: Channel) -> str:
        return selectors.mask_address(obj.address)

    def _may_write(self, request: HttpRequest) -> bool:
        return access.allowed(request.user, "write", Unit)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.channels_visible_to(request.user).select_related("unit")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.allowed(request.user, "read", Unit)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.allowed(request.user, "read", Unit)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_write(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self._may_write(request):
            return False
        return obj is None or selectors.channels_managed_by(request.user).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # disable instead: sent notifications keep pointing at their channel

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if not self.has_change_permission(request, obj) and obj is not None:
            return ["unit", "kind", "name", "masked_address", "enabled"]
        return ["unit", "kind", "name", "address", "secret", "clear_secret", "enabled"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and not self.has_change_permission(request, obj):
            return ["unit", "kind", "name", "masked_address", "enabled"]
        return ["unit", "kind"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "unit":
            kwargs["queryset"] = access.filter(request.user, "write", Unit.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Channel, form: Any, change: bool) -> None:
        data = form.cleaned_data
        secret: str | None = data.get("secret") or None
        if data.get("clear_secret"):
            secret = ""
        if change:
            # The form has already copied its values onto obj; the service compares with the row.
            channel_update(
                actor=request.user,  # type: ignore[arg-type]
                channel=Channel.objects.get(pk=obj.pk),
                name=data["name"],
                address=data["address"],
                enabled=data["enabled"],
                secret=secret,
            )
            return
        created = channel_create(
            actor=request.user,  # type: ignore[arg-type]
            unit=data["unit"],
            kind=data["kind"],
            name=data["name"],
            address=data["address"],
            secret=secret or "",
            enabled=data["enabled"],
        )
        obj.pk = created.pk
