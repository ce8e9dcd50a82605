"""Duty at the gate: check-ins and check-outs, gap alerts and call-outs of substitutes, and each
city's duty rules.

A check-in row is a person-time (人次) unless voided; nothing here is hard-deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huxue.core.models import TimeStampedModel
from huxue.people.forces import ForceGroup


class DutyRules(TimeStampedModel):
    """Per-city rules for check-in at the gate. The nearest region up the tree with rules wins."""

    class Mode(models.TextChoices):
        FLAG = "flag", _("Accept and flag")
        REFUSE = "refuse", _("Refuse")

    region = models.OneToOneField(
        "orgs.Region", on_delete=models.PROTECT, related_name="duty_rules"
    )
    geofence_m = models.PositiveIntegerField(
        _("geofence radius for every post (m)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to use each post's own radius."),
    )
    geofence_mode = models.CharField(
        _("check-in outside the geofence"), max_length=8, choices=Mode.choices, default=Mode.FLAG
    )
    early_minutes = models.PositiveSmallIntegerField(
        _("check-in opens this many minutes before a window"), default=15
    )
    late_minutes = models.PositiveSmallIntegerField(
        _("check-in is late this many minutes after a window starts"), default=5
    )
    walkins = models.CharField(
        _("check-in by members not on the roster"),
        max_length=8,
        choices=Mode.choices,
        default=Mode.FLAG,
    )
    max_delay_hours = models.PositiveSmallIntegerField(
        _("check-ins sent later from an offline phone are accepted up to this age (hours)"),
        default=24,
    )
    gap_alert_minutes = models.PositiveSmallIntegerField(
        _("alert when a post is still short this many minutes into its window"), default=10
    )
    auto_checkout_minutes = models.PositiveSmallIntegerField(
        _("close check-ins left open this many minutes after the window ends"), default=30
    )

    scope_region = "region"

    class Meta:
        verbose_name = _("city duty rules")
        verbose_name_plural = _("city duty rules")

    def __str__(self) -> str:
        return str(self.region)


class CheckIn(models.Model):
    """One member on duty at one post for one window: an accepted check-in, a person-time.

    ``server_at`` is the record (server clock, when it arrived); ``device_at`` is the phone's
    clock beside it. ``at`` is when duty began: the server time, or for a check-in sent later
    from an offline phone (``is_delayed``), the phone's time, bounded by the city's maximum age.
    """

    class Method(models.TextChoices):
        QR = "qr", _("QR poster")
        GPS = "gps", _("Phone location")
        ROLLCALL = "rollcall", _("Roll call")

    class Checkout(models.TextChoices):
        SELF = "self", _("By the member")
        ROLLCALL = "rollcall", _("Roll call")
        AUTO = "auto", _("Closed automatically")

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="checkins", verbose_name=_("member")
    )
    post = models.ForeignKey(
        "posts.Post", on_delete=models.PROTECT, related_name="checkins", verbose_name=_("post")
    )
    shift = models.ForeignKey(  # indexed by checkin_shift_group, which leads with it
        "roster.Shift",
        on_delete=models.PROTECT,
        related_name="checkins",
        verbose_name=_("shift"),
        db_index=False,
    )
    assignment = models.ForeignKey(
        "roster.Assignment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="checkins",
    )
    group = models.CharField(_("force group"), max_length=12, choices=ForceGroup.choices)
    force_type = models.CharField(_("force type"), max_length=16)
    day = models.DateField(_("day"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    at = models.DateTimeField(_("on duty from"))
    server_at = models.DateTimeField(_("server time"))
    device_at = models.DateTimeField(_("phone time"), null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    distance_m = models.FloatField(_("distance to the post (m)"), null=True, blank=True)
    is_late = models.BooleanField(_("late"), default=False)
    is_outside = models.BooleanField(_("outside the geofence"), default=False)
    is_walkin = models.BooleanField(_("not on the roster"), default=False)
    is_delayed = models.BooleanField(_("sent later from an offline phone"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    checkout_server_at = models.DateTimeField(null=True, blank=True)
    checkout_device_at = models.DateTimeField(null=True, blank=True)
    checkout_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_accuracy_m = models.FloatField(null=True, blank=True)
    checkout_distance_m = models.FloatField(null=True, blank=True)
    checkout_method = models.CharField(
        _("check-out"), max_length=10, choices=Checkout.choices, blank=True
    )
    # Set by the check-out of a member or a lead (never by an automatic close) that comes
    # within huxue.duty.checkin.rules.SHORT_DUTY of the check-in.
    is_short = models.BooleanField(_("checked out soon after checking in"), default=False)
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)
    # The phone's Idempotency-Key and a digest of its request, written with the row itself (the
    # check-in's, then the check-out's), so that a retry finds its first answer and a reused key
    # with another body is refused (huxue.duty.checkin.services).
    client_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    request_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    checkout_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    checkout_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    scope_unit = "post__school__unit"
    scope_region = "post__school__unit__region"
    scope_owner = "person__user"

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        indexes = [
            models.Index(fields=["day", "post"], name="checkin_day_post"),
            models.Index(fields=["shift", "group"], name="checkin_shift_group"),
        ]
        constraints = [
            # At most one open check-in per member, and one person-time per member per window.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(checked_out_at__isnull=True, voided_at__isnull=True),
                name="checkin_one_open_per_person",
            ),
            models.UniqueConstraint(
                fields=["person", "shift"],
                condition=Q(voided_at__isnull=True),
                name="checkin_once_per_shift",
            ),
            models.UniqueConstraint(
                fields=["person", "client_key"],
                condition=~Q(client_key=""),
                name="checkin_client_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.post} {self.at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.checked_out_at is None and self.voided_at is None


class GapAlert(models.Model):
    """A post still short some minutes into its window; raised once per post-window."""

    shift = models.OneToOneField("roster.Shift", on_delete=models.PROTECT, related_name="gap_alert")
    raised_at = models.DateTimeField()
    short = models.JSONField(default=dict)  # {group: how many missing} when raised
    resolved_at = models.DateTimeField(null=True, blank=True)

    scope_unit = "shift__post__school__unit"
    scope_region = "shift__post__school__unit__region"

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("gap alert")
        verbose_name_plural = _("gap alerts")

    def __str__(self) -> str:
        return f"{self.shift} {self.raised_at:%H:%M}"


class CallOut(TimeStampedModel):
    """A lead asks a member from the pool to come to a short post now; the member answers."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    shift = models.ForeignKey(
        "roster.Shift", on_delete=models.PROTECT, related_name="callouts", verbose_name=_("shift")
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="callouts", verbose_name=_("member")
    )
    group = models.CharField(_("force group"), max_length=12, choices=ForceGroup.choices)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    assignment = models.ForeignKey(
        "roster.Assignment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    scope_unit = "shift__post__school__unit"
    scope_region = "shift__post__school__unit__region"
    scope_owner = "person__user"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("call-out")
        verbose_name_plural = _("call-outs")
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "person"],
                condition=Q(status__in=["pending", "accepted"]),
                name="callout_live_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.shift}"
