"""The school calendar: national holiday arrangements, terms per city and closures per school."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from huxue.core.models import TimeStampedModel, VoidableModel


class HolidayArrangement(models.Model):
    """One date of the State Council's arrangement, entered for a year the package does not know.

    National, so not scoped to a place: every school in every city follows the same dates.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day (调休上班)")

    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=32, help_text=_("e.g. 春节"))
    source = models.CharField(
        _("source"), max_length=200, help_text=_("e.g. 国务院办公厅通知 国办发明电〔2026〕X号")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday arrangement")
        verbose_name_plural = _("holiday arrangements")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["holiday", "workday"]), name="arrangement_kind_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}"


class Term(TimeStampedModel):
    """A school term of a city (or county): the dates on which its schools hold classes.

    Owned by the police or education bureau that set it up; it applies to every school in the
    region's subtree.
    """

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="terms", verbose_name=_("set by")
    )
    region = models.ForeignKey(
        "orgs.Region", on_delete=models.PROTECT, related_name="terms", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=64, help_text=_("e.g. 2026-2027学年第一学期"))
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))

    scope_unit = "unit"
    scope_region = "region"

    class Meta:
        ordering = ["region__path", "start"]
        verbose_name = _("school term")
        verbose_name_plural = _("school terms")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="term_ends_after_start"),
            models.UniqueConstraint(fields=["region", "name"], name="term_name_unique_in_region"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start:%Y-%m-%d} – {self.end:%Y-%m-%d})"


class Closure(TimeStampedModel, VoidableModel):
    """Days a school is closed inside a term: exams, emergencies. Voided, never deleted."""

    class Reason(models.TextChoices):
        EXAM = "exam", _("Exams")
        EMERGENCY = "emergency", _("Emergency")
        OTHER = "other", _("Other")

    school = models.ForeignKey(
        "posts.School", on_delete=models.PROTECT, related_name="closures", verbose_name=_("school")
    )
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )

    scope_unit = "school__unit"
    scope_region = "school__unit__region"

    class Meta:
        ordering = ["-start", "school__unit__path"]
        verbose_name = _("school closure")
        verbose_name_plural = _("school closures")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="closure_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.school} · {self.get_reason_display()} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"
        )
