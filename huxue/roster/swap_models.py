"""Swap requests between members, decided by the school lead.

Kept in its own module (imported at the end of roster/models.py) so the roster models file stays
as it was; Django sees the model through that import.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huxue.core.models import TimeStampedModel


class SwapRequest(TimeStampedModel):
    """A member asks that a colleague take one of their rostered shifts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the school lead")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    assignment = models.ForeignKey(
        "roster.Assignment", on_delete=models.PROTECT, related_name="swap_requests"
    )
    requested_by = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="swaps_asked"
    )
    colleague = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="swaps_offered"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    new_assignment = models.ForeignKey(
        "roster.Assignment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    scope_unit = "assignment__shift__post__school__unit"
    scope_region = "assignment__shift__post__school__unit__region"
    scope_owner = "requested_by__user"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("swap request")
        verbose_name_plural = _("swap requests")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(status="pending"),
                name="swap_one_pending_per_assignment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requested_by} → {self.colleague}"
