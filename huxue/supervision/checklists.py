"""The 三查三看 checklist: the default every region starts from, a region's own versions, and
saving a new version.

DOMAIN.md sets the default out; the source does not spell 三查三看 out, so a city may edit it.
An edit never changes a version in use: it writes the next version, and rounds keep theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext as _

from huxue.core import audit
from huxue.orgs import access
from huxue.supervision.models import ChecklistItem, ChecklistTemplate, Section

DEFAULT_NAME = "三查三看"


@dataclass(frozen=True)
class ItemSpec:
    section: str
    title: str
    guidance: str
    weight: int = 1
    auto: str = ""


DEFAULT_ITEMS = (
    ItemSpec(
        Section.CHECK,
        "查到岗",
        "排班人员是否按时到岗在岗：由系统按此刻的排班和签到记录作答。",
        weight=3,
        auto=ChecklistItem.Auto.ATTENDANCE,
    ),
    ItemSpec(
        Section.CHECK, "查装备", "红袖标、反光背心、防护器械（防暴叉、盾牌、警棍）是否齐全完好。", 2
    ),
    ItemSpec(Section.CHECK, "查台账", "值守记录、交接记录、隐患登记是否按要求填写、留存。", 1),
    ItemSpec(Section.LOOK, "看秩序", "校门口交通、人员聚集、车辆停放是否有序，通道是否畅通。", 2),
    ItemSpec(Section.LOOK, "看设施", "隔离护栏、防冲撞设施、照明、监控是否完好有效。", 2),
    ItemSpec(
        Section.LOOK, "看处置", "在岗人员是否熟悉应急处置流程，能否说明遇突发情况如何处置。", 2
    ),
)


def _write_items(template: ChecklistTemplate, items: list[ItemSpec]) -> None:
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            template=template,
            section=spec.section,
            title=spec.title,
            guidance=spec.guidance,
            weight=spec.weight,
            order=order,
            auto=spec.auto,
        )
        for order, spec in enumerate(items, start=1)
    )


def default_checklist() -> ChecklistTemplate:
    """The latest default checklist, written (version 1, from DEFAULT_ITEMS) the first time it
    is needed; two processes needing it at once write it once."""
    found = ChecklistTemplate.objects.filter(region__isnull=True).order_by("-version").first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            template = ChecklistTemplate.objects.create(region=None, name=DEFAULT_NAME, version=1)
            _write_items(template, list(DEFAULT_ITEMS))
            return template
    except IntegrityError:
        return ChecklistTemplate.objects.get(region__isnull=True, version=1)


def checklist_for(region: Any) -> ChecklistTemplate:
    """The checklist a round in ``region`` is asked: the latest version of the nearest region up
    the tree that has one of its own; the default otherwise."""
    codes = [code for code in region.path.split("/") if code]  # from the root down
    # Ordered by version: each region's latest is the one left in the dict.
    own = {
        code: t
        for code, t in (
            (t.region.code if t.region else "", t)
            for t in ChecklistTemplate.objects.filter(region__code__in=codes)
            .select_related("region")
            .order_by("version")
        )
    }
    for code in reversed(codes):
        if code in own:
            return own[code]
    return default_checklist()


def items_of(template: ChecklistTemplate) -> list[ItemSpec]:
    return [
        ItemSpec(i.section, i.title, i.guidance, i.weight, i.auto) for i in template.items.all()
    ]


def checklist_save(
    *, actor: Any, region: Any, name: str, items: list[ItemSpec]
) -> ChecklistTemplate:
    """Write the next version of ``region``'s own checklist. Refused for a region the actor may
    not set checklists for (404), and for items that do not make a checklist."""
    if not access.regions(actor, "write", ChecklistTemplate).filter(pk=region.pk).exists():
        raise Http404
    errors = []
    if not name.strip():
        errors.append(_("The checklist needs a name."))
    if not items:
        errors.append(_("The checklist needs at least one item."))
    titles = [spec.title.strip() for spec in items]
    if any(not title for title in titles):
        errors.append(_("Every item needs a title."))
    if len(set(titles)) != len(titles):
        errors.append(_("Two items have the same title."))
    if any(not 1 <= spec.weight <= 100 for spec in items):
        errors.append(_("A weight is a whole number from 1 to 100."))
    if any(spec.section not in Section.values for spec in items):
        errors.append(
            _("Every item is either one of the checks (三查) or one of the looks (三看).")
        )
    if sum(spec.auto == ChecklistItem.Auto.ATTENDANCE for spec in items) > 1:
        errors.append(_("Only one item can be answered from the roster and the check-ins."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        last = ChecklistTemplate.objects.select_for_update().filter(region=region)
        version = (last.aggregate(v=Max("version"))["v"] or 0) + 1
        template = ChecklistTemplate.objects.create(
            region=region, name=name.strip(), version=version, created_by=actor
        )
        _write_items(
            template,
            [
                ItemSpec(s.section, s.title.strip(), s.guidance.strip(), s.weight, s.auto)
                for s in items
            ],
        )
        audit.record(
            action="supervision.checklist.save",
            actor=actor,
            obj=template,
            detail={"region": region.code, "version": version, "items": titles},
        )
    return template
