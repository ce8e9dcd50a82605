from __future__ import annotations

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from huxue.core.models import TimeStampedModel, VoidableModel
from huxue.people.forces import ForceGroup


def new_qr_token() -> str:
    return secrets.token_urlsafe(18)


class School(TimeStampedModel, VoidableModel):
    """The school details of a Unit of kind "school" (whose parent is its 属地 police station)."""

    class Stage(models.TextChoices):
        KINDERGARTEN = "kindergarten", _("Kindergarten")
        PRIMARY = "primary", _("Primary school")
        MIDDLE = "middle", _("Middle school")
        HIGH = "high", _("High school")
        NINE_YEAR = "nine_year", _("Nine-year school")
        VOCATIONAL = "vocational", _("Vocational school")

    unit = models.OneToOneField("orgs.Unit", on_delete=models.PROTECT, related_name="school")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    pupils = models.PositiveIntegerField(_("number of pupils"), default=0)
    station = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        related_name="schools_policed",
        verbose_name=_("police station (属地)"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    scope_unit = "unit"
    scope_region = "unit__region"

    class Meta:
        ordering = ["unit__path"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self) -> str:
        return self.unit.name

    @property
    def name(self) -> str:
        return self.unit.name


class PostQuerySet(models.QuerySet["Post"]):
    def live(self) -> PostQuerySet:
        """Posts in service: neither the post nor its school voided."""
        return self.filter(voided_at__isnull=True, school__voided_at__isnull=True)


class Post(TimeStampedModel, VoidableModel):
    """A guard post (护学岗): one gate of a school, staffed at its duty windows."""

    objects = PostQuerySet.as_manager()

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="posts", verbose_name=_("school")
    )
    name = models.CharField(_("gate"), max_length=64)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    geofence_m = models.PositiveIntegerField(
        _("geofence radius (m)"),
        default=150,
        validators=[MinValueValidator(20), MaxValueValidator(2000)],
    )
    qr_token = models.CharField(max_length=32, unique=True, default=new_qr_token, editable=False)
    qr_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)

    scope_unit = "school__unit"
    scope_region = "school__unit__region"

    class Meta:
        ordering = ["school__unit__path", "name"]
        verbose_name = _("guard post")
        verbose_name_plural = _("guard posts")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"],
                condition=Q(voided_at__isnull=True),
                name="post_gate_unique_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.school.unit.name} · {self.name}"


class DutyWindow(models.Model):
    """A peak window on a weekday, e.g. Monday 07:00–08:00."""

    class Weekday(models.IntegerChoices):
        MON = 0, _("Monday")
        TUE = 1, _("Tuesday")
        WED = 2, _("Wednesday")
        THU = 3, _("Thursday")
        FRI = 4, _("Friday")
        SAT = 5, _("Saturday")
        SUN = 6, _("Sunday")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("duty window")
        verbose_name_plural = _("duty windows")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="window_ends_after_start"),
            models.UniqueConstraint(fields=["post", "weekday", "start"], name="window_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class StaffingRequirement(models.Model):
    """At least `minimum` people of a force group at every window of the post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="requirements")
    group = models.CharField(_("force group"), max_length=12, choices=ForceGroup.choices)
    minimum = models.PositiveSmallIntegerField(_("at least"), validators=[MaxValueValidator(50)])

    class Meta:
        ordering = ["group"]
        verbose_name = _("staffing requirement")
        verbose_name_plural = _("staffing requirements")
        constraints = [models.UniqueConstraint(fields=["post", "group"], name="requirement_unique")]

    def __str__(self) -> str:
        return f"{self.get_group_display()} ≥ {self.minimum}"
