"""What every v1 endpoint shares, and the one rule for answering a caller who may not do something.

Every read goes through a selector that goes through ``huxue.orgs.access``; every write goes
through a service. Nothing in this package filters by organisation itself. What a caller gets:

- **A collection** (``GET /people/``): the records the caller may read, which is an empty page for a
  role that may read none of that kind. Never 403: a list is simply "what you can see".
- **Creating** (``POST /people/``): 403 when none of the caller's roles may write that kind of
  record anywhere (no record exists yet, so nothing can leak). When the role may write, but the unit,
  school or station named in the body is outside its scope, the answer is 400 on that field with
  the same message as for an id that does not exist at all.
- **An object endpoint** (``GET/PUT/PATCH /people/7/``, ``POST /people/7/void/``, ``.../reveal/``,
  ``.../consents/``, ``/posts/7/rotate-qr/``): 404 whenever the record is not in the caller's scope
  *for that action*, whether it is another school's, does not exist, or is one the caller may read
  but not change or reveal. The education bureau asking to reveal a person it can read gets 404.
  Nobody ever gets a 403 that confirms a record exists.
- **Anonymous callers**: 401 with ``WWW-Authenticate: Token`` on everything except the token
  endpoint (and the public schema and docs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from huxue.api.authentication import TokenAuthentication
from huxue.orgs import access


class ScopedViewSet(viewsets.GenericViewSet):
    # Token first, so that an anonymous caller is told to authenticate (401, with a
    # WWW-Authenticate header) rather than refused (403).
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    lookup_value_regex = r"\d+"

    def require_create(self, model: type[models.Model]) -> None:
        """403 when no role of the caller may write this kind of record anywhere."""
        if not access.allowed(self.request.user, "write", model):
            raise PermissionDenied

    def parse(
        self, serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any
    ) -> dict[str, Any]:
        serializer = serializer_class(data=data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def parse_query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """Validated query parameters: a bad filter value is a 400, not a silently empty page."""
        return self.parse(serializer_class, self.request.query_params)


class FiniteFloatField(serializers.FloatField):
    """A number that is a number: "NaN" and "Infinity" (which Python's float() takes, and no
    range check refuses) are invalid."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


def id_filter(help_text: str) -> serializers.IntegerField:
    """A query parameter naming a record by id; bounded, so that no database sees an overflow."""
    return serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text=help_text
    )


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id chosen among the records the caller may use; any other id reads as "does not exist".

    ``queryset`` names the model (for the schema); ``scoped(user)`` gives the real choices, from a
    selector, at validation time.
    """

    def __init__(self, *, scoped: Callable[[Any], QuerySet[Any]], **kwargs: Any) -> None:
        self.scoped = scoped
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request: Request | None = self.context.get("request")
        return self.scoped(request.user if request is not None else None)


def writable_ids(user: Any, model: type[models.Model], objects: Iterable[models.Model]) -> set[int]:
    """Which of these records the user may write, in one query (none when no role can write)."""
    pks = [obj.pk for obj in objects]
    if not pks or not access.allowed(user, "write", model):
        return set()
    visible = access.filter(user, "write", model._default_manager.filter(pk__in=pks))
    return set(visible.values_list("pk", flat=True))


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200,
        help_text="Why the record is voided; kept in the record and the audit trail.",
    )
