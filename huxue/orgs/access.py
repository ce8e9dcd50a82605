"""The one place that decides what a user may list, see, change, export and reveal.

Every model that holds scoped records names its way to the two trees as class attributes:
``scope_unit`` (relation path to a Unit, "" for a Unit itself), ``scope_region`` (relation path to a
Region) and optionally ``scope_owner`` (relation path to the User a record belongs to). From those,
``scope()`` builds one Q for any model; nothing else in the code filters by organisation.

``require()`` and ``get_or_404()`` answer "not found" for records out of scope, never "forbidden",
so that nobody can learn that another school's record exists.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Exists, Q
from django.http import Http404

from huxue.orgs import roles

M = TypeVar("M", bound=models.Model)
NOTHING = Q(pk__in=[])


def _memberships(user: Any) -> list[Any]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached: list[Any] | None = getattr(user, "_huxue_memberships", None)
    if cached is None:
        cached = list(user.memberships.select_related("unit", "unit__region", "region"))
        user._huxue_memberships = cached
    return cached


def forget(user: Any) -> None:
    """Drop the per-request cache after the user's roles change."""
    if hasattr(user, "_huxue_memberships"):
        del user._huxue_memberships


def object_type(model: type[models.Model]) -> str:
    return model._meta.model_name or ""


def _lookup(path: str, leaf: str) -> str:
    return f"{path}__{leaf}" if path else leaf


def scope(user: Any, action: str, model: type[models.Model], *, as_type: str = "") -> Q:
    """The union, over the user's memberships whose role allows `action`, of their subtrees.

    `as_type` asks about another kind of record placed by this model, e.g. the units a user may
    attach people to: ``scope(user, "write", Unit, as_type="person")``.
    """
    kind = as_type or object_type(model)
    result = NOTHING
    for membership in _memberships(user):
        if not roles.allows(membership.role, kind, action):
            continue
        tree = roles.SCOPE_TREE[membership.role]
        if tree == "all":
            return Q()
        place = NOTHING
        if tree == "unit" and membership.unit is not None and hasattr(model, "scope_unit"):
            lookup = _lookup(model.scope_unit, "path__startswith")
            place = Q(**{lookup: membership.unit.path})
        elif tree == "unit" and membership.unit is not None and hasattr(model, "scope_region"):
            # Records placed on a region only (a city's rules): the unit's own region subtree.
            lookup = _lookup(model.scope_region, "path__startswith")
            place = Q(**{lookup: membership.unit.region.path})
        elif tree == "region" and hasattr(model, "scope_region"):
            region = membership.region or membership.unit.region
            place = Q(**{_lookup(model.scope_region, "path__startswith"): region.path})
        elif tree == "self":
            # A member's own records; for shared records without an owner (their school's
            # shifts) the subtree of the unit the membership is held on.
            if owner := getattr(model, "scope_owner", ""):
                place = Q(**{owner: user})
            elif membership.unit is not None and hasattr(model, "scope_unit"):
                place = Q(**{_lookup(model.scope_unit, "path__startswith"): membership.unit.path})
        kinds = roles.UNIT_KINDS.get(membership.role, {}).get(kind)
        if kinds and place is not NOTHING:
            if not hasattr(model, "scope_unit"):
                continue
            place &= Q(**{_lookup(model.scope_unit, "kind__in"): sorted(kinds)})
        result |= place
    return result


def regions(user: Any, action: str, model: type[models.Model]) -> models.QuerySet[Any]:
    """The regions where the user may do `action` to records of a model placed on a region only
    (a city's rules): the same subtrees ``scope`` gives such a model, as Region rows."""
    from huxue.orgs.models import Region

    kind = object_type(model)
    where = NOTHING
    for membership in _memberships(user):
        if not roles.allows(membership.role, kind, action):
            continue
        tree = roles.SCOPE_TREE[membership.role]
        if tree == "all":
            return Region.objects.all()
        if tree == "unit" and membership.unit is not None:
            where |= Q(path__startswith=membership.unit.region.path)
        elif tree == "region":
            region = membership.region or membership.unit.region
            where |= Q(path__startswith=region.path)
    return Region.objects.filter(where).order_by("path")


def allowed(user: Any, action: str, model: type[models.Model]) -> bool:
    """Whether any of the user's roles may do `action` to this kind of record somewhere."""
    kind = object_type(model)
    return any(roles.allows(m.role, kind, action) for m in _memberships(user))


def allowed_beyond_own(user: Any, action: str, model: type[models.Model]) -> bool:
    """Whether a role of the user may do `action` to records of this kind other than the user's
    own. A member may read their own person record and check-ins; that is no reason to offer
    them the people list or the person-times table, which a lead or an officer needs."""
    kind = object_type(model)
    return any(
        roles.allows(m.role, kind, action) and roles.SCOPE_TREE[m.role] != "self"
        for m in _memberships(user)
    )


def allowed_exists(user: Any, action: str, model: type[models.Model]) -> Exists:
    """``allowed`` as an SQL expression, for a read that answers it together with what it reads
    (the check-in's gate). The user is taken as active: an authenticated request's user is."""
    from huxue.orgs.models import Membership

    kind = object_type(model)
    holding = sorted(role for role in roles.PERMISSIONS if roles.allows(role, kind, action))
    return Exists(Membership.objects.filter(user=user, role__in=holding))


def filter(user: Any, action: str, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    return queryset.filter(scope(user, action, queryset.model))


def can(user: Any, action: str, obj: models.Model) -> bool:
    model = type(obj)
    if not allowed(user, action, model):
        return False
    return model._default_manager.filter(scope(user, action, model), pk=obj.pk).exists()


def require(user: Any, action: str, obj: models.Model) -> None:
    if not can(user, action, obj):
        raise Http404


def get_or_404(user: Any, action: str, queryset: models.QuerySet[M], **lookup: Any) -> M:
    try:
        return filter(user, action, queryset).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None


def memberships(user: Any) -> list[Any]:
    return list(_memberships(user))


def roles_of(user: Any) -> set[str]:
    return {m.role for m in _memberships(user)}
