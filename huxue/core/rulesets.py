"""Per-region settings rows (a city's rostering rules, its duty rules): one row per region, the
nearest region up the tree with a row wins. Saving one is one transaction and one audit line
naming each changed field with its old and new value."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from huxue.core import audit


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
