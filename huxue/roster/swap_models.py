"""Swap and release requests from members, decided by the school lead.

A release request (a member who cannot come and has no free colleague asks to be let off) is a
``SwapRequest`` of kind "release" with no colleague, rather than a model of its own: it is the same
question about the same assignment, decided by the same lead in the same list, and the one-pending-
request-per-assignment constraint must hold across both kinds (a member cannot ask for a swap and
a release of one shift at once). A check constraint keeps the colleague present exactly for swaps.

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
    """A member asks that a colleague take one of their rostered shifts (a swap), or, when no
    colleague is free, that the school lead release them from it (a release; ``note`` is the
    reason)."""

    class Kind(models.TextChoices):
        SWAP = "swap", _("Swap with a colleague")
        RELEASE = "release", _("Release from the shift")

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
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SWAP)
    colleague = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="swaps_offered",
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
            ),
            models.CheckConstraint(
                condition=Q(kind="swap", colleague__isnull=False)
                | Q(kind="release", colleague__isnull=True),
                name="swap_colleague_only_for_swaps",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requested_by} → {self.colleague or self.get_kind_display()}"

    @property
    def is_release(self) -> bool:
        return self.kind == self.Kind.RELEASE
