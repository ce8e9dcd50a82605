"""The API's own view of DRF's tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from rest_framework.authtoken.models import Token


class _WithMember(models.Manager[Any]):
    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().select_related("user__person")


class MemberToken(Token):
    """A token read with its user and the user's member record, in one query: most callers
    with a token are members on their phones, and the check-in needs the member."""

    objects: ClassVar[_WithMember] = _WithMember()

    class Meta:
        proxy = True
        app_label = "huxue_api"
