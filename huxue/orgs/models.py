from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huxue.core.models import TimeStampedModel
from huxue.orgs.roles import Role


class Region(models.Model):
    """An administrative division with its GB/T 2260 code; path is the codes from the root."""

    code = models.CharField(_("GB/T 2260 code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Unit(TimeStampedModel):
    class Kind(models.TextChoices):
        BUREAU = "bureau", _("Police bureau")
        STATION = "station", _("Police station")
        EDUCATION = "education", _("Education bureau")
        SCHOOL = "school", _("School")
        SECURITY_COMPANY = "security_company", _("Security company")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="units", verbose_name=_("region")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    # "/1/4/17/": the ids from the root down, kept by orgs.services, so a subtree is one
    # indexed prefix filter.
    path = models.CharField(max_length=255, db_index=True, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_name_unique_under_parent")
        ]

    def __str__(self) -> str:
        return self.name

    # Units are in scope through themselves.
    scope_unit = ""
    scope_region = "region"


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Membership(TimeStampedModel):
    """A role held on a unit; region-scoped roles cover the unit's region unless one is named."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        help_text=_("For region-scoped roles: the area covered, if not the unit's own region."),
    )

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(region__isnull=False),
                name="membership_has_anchor",
            ),
        ]

    def __str__(self) -> str:
        where = self.unit or self.region
        return f"{self.user} · {self.get_role_display()} · {where}"

    # Memberships are in scope for the security administrator through their unit.
    scope_unit = "unit"
