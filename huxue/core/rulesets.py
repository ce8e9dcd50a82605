"""Per-region settings rows (a city's rostering rules, its duty rules): one row per region, the
nearest region up the tree with a row wins.

``nearest`` is the one reading of that rule. It walks from a region up through its parents and
takes the first row it finds. A region read with ``select_related(*up_the_tree(model, ...))``
brings its rows and its parents' along, so the walk costs no query (the check-in reads a
post's rules that way, in the same statement as the post); any other region is read again
with them, in one query. Saving a row is one transaction and one audit line naming each
changed field with its old and new value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction

from huxue.core import audit

R = TypeVar("R", bound=models.Model)

# Levels of regions loaded with a region: GB/T 2260 has three (province, city, county). A
# deeper tree is still walked to its root, a query for each level more.
DEPTH = 3


def _accessor(model: type[models.Model]) -> str:
    """The name under which a region holds its row of ``model`` (``duty_rules``…)."""
    return str(model._meta.get_field("region").remote_field.get_accessor_name())  # type: ignore[union-attr]


def up_the_tree(model: type[models.Model], region: str = "") -> list[str]:
    """The ``select_related`` paths that load the rows of ``model`` of a region (reached from
    the queried model by the relation path ``region``; "" for a Region) and of its parents."""
    prefix = f"{region}__" if region else ""
    return [f"{prefix}{'parent__' * level}{_accessor(model)}" for level in range(DEPTH)]


def _loaded(model: type[models.Model], region: Any) -> bool:
    descriptor = getattr(type(region), _accessor(model))
    return bool(descriptor.related.is_cached(region))


def nearest(model: type[R], region: Any) -> R:
    """The row of the nearest region up the tree that has one; the defaults (unsaved)
    otherwise."""
    if not _loaded(model, region):
        region = type(region).objects.select_related(*up_the_tree(model)).get(pk=region.pk)
    name = _accessor(model)
    place = region
    while place is not None:
        try:
            row: R = getattr(place, name)
            return row
        except ObjectDoesNotExist:
            place = place.parent
    return model(region=region)


def nearest_by_region(model: type[R], regions: Iterable[Any]) -> dict[int, R]:
    """``nearest`` for many regions, in one query: region id → its row."""
    pks = {r.pk for r in regions}
    if not pks:
        return {}
    region_model = model._meta.get_field("region").related_model
    loaded = region_model._default_manager.filter(pk__in=pks).select_related(*up_the_tree(model))  # type: ignore[union-attr]
    return {region.pk: nearest(model, region) for region in loaded}


def ruleset_save(
    *,
    model: type[models.Model],
    actor: Any,
    region: Any,
    values: dict[str, Any],
    action: str,
) -> Any:
    with transaction.atomic():
        row, created = model._default_manager.select_for_update().get_or_create(region=region)
        changed: dict[str, list[Any]] = {}
        for name, value in values.items():
            old = getattr(row, name)
            if old != value:
                changed[name] = [old, value]
                setattr(row, name, value)
        row.full_clean()
        row.save()
        audit.record(
            action=action,
            actor=actor,
            obj=row,
            detail={"created": created, "changed": changed},
        )
    return row
