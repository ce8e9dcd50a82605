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
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.fields import SkipField
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

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


class FlatSerializer(serializers.Serializer):
    """A serializer of scalar fields, for a request on a hot path (the check-in).

    DRF clones the declared fields for every serializer it makes with ``deepcopy``, which runs
    each field's ``__init__`` again: a tenth of a check-in's time. A scalar field's own state is
    only read while validating (its validators, choices and messages), so a shallow copy, bound
    to this serializer, is as good. Nested fields (serializers, lists, dicts) are refused.

    ``quick(data)`` goes further for the valid body of a hot path: see there. It holds
    ``validate`` and ``validate_<field>`` to a rule: they read only their argument (not
    ``self.context``, ``self.initial_data`` or ``self.instance``)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = {}
        for name, field in self._declared_fields.items():
            if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child"):
                raise TypeError(f"{type(self).__name__}.{name} is not a scalar field")
            clone = object.__new__(type(field))
            clone.__dict__.update(field.__dict__)
            fields[name] = clone
        return fields

    @classmethod
    def quick(cls, data: Any) -> dict[str, Any] | None:
        """What ``validated_data`` would be for a body this serializer accepts (as one made
        without context); None for a body it refuses (make the serializer then: it says why).

        The same steps as ``is_valid``, in the same order: each writable field's ``get_value``
        and ``run_validation``, its ``validate_<field>``, then ``validate``; only the making of
        a serializer and its bound fields for each body is left out (they are made once per
        class, and only read afterwards). Tests hold the two to the same answers."""
        steps = cls.__dict__.get("_quick_steps")
        if steps is None:
            steps = _QuickSteps.of(cls)
            cls._quick_steps = steps  # type: ignore[attr-defined]
        if type(data) is not dict:
            return None
        values: dict[str, Any] = {}
        try:
            for source, field, check in steps.fields:
                try:
                    value = field.run_validation(field.get_value(data))
                except SkipField:
                    continue
                if check is not None:
                    value = check(value)
                values[source] = value
            validated: dict[str, Any] = steps.validate(values)
        except (serializers.ValidationError, DjangoValidationError):
            return None
        return validated


@dataclass(frozen=True)
class _QuickSteps:
    """A flat serializer's validation steps, made once from one unbound instance."""

    fields: tuple[tuple[str, serializers.Field, Callable[[Any], Any] | None], ...]
    validate: Callable[[dict[str, Any]], dict[str, Any]]

    @staticmethod
    def of(cls: type[FlatSerializer]) -> _QuickSteps:
        made = cls()
        if made.validators:
            raise TypeError(f"{cls.__name__} has serializer validators: quick() would skip them")
        steps = []
        for field in made._writable_fields:
            if len(field.source_attrs) != 1:
                raise TypeError(f"{cls.__name__}.{field.field_name} has a dotted source")
            check = getattr(made, f"validate_{field.field_name}", None)
            steps.append((field.source_attrs[0], field, check))
        return _QuickSteps(tuple(steps), made.validate)


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
