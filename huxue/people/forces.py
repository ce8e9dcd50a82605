"""Force types (力量) and the groups that staffing requirements are written in."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ForceType(models.TextChoices):
    POLICE = "police", _("Police officer")  # 民警
    AUXILIARY = "auxiliary", _("Auxiliary police")  # 辅警
    GUARD = "guard", _("Security guard")  # 专业保安员
    SCHOOL_SECURITY = "school_security", _("School security staff")  # 学校保卫人员
    STAFF = "staff", _("Teacher or staff")  # 教职员工
    PARENT = "parent", _("Parent volunteer")  # 家长志愿者
    COMMUNITY = "community", _("Community volunteer")  # 群众志愿者


class ForceGroup(models.TextChoices):
    POLICE = "police", _("Police or auxiliary")
    GUARD = "guard", _("Guard or school security")
    STAFF = "staff", _("Teachers and staff")
    VOLUNTEER = "volunteer", _("Volunteers")


GROUP_OF: dict[str, str] = {
    ForceType.POLICE: ForceGroup.POLICE,
    ForceType.AUXILIARY: ForceGroup.POLICE,
    ForceType.GUARD: ForceGroup.GUARD,
    ForceType.SCHOOL_SECURITY: ForceGroup.GUARD,
    ForceType.STAFF: ForceGroup.STAFF,
    ForceType.PARENT: ForceGroup.VOLUNTEER,
    ForceType.COMMUNITY: ForceGroup.VOLUNTEER,
}

VOLUNTEER_TYPES = frozenset({ForceType.PARENT, ForceType.COMMUNITY})


# The label of each force group, for pages and messages that show a group by its code.
GROUP_LABELS = dict(ForceGroup.choices)
