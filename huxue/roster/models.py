"""Shifts, availability, sign-ups, solver runs, assignments and published roster versions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from huxue.core.models import TimeStampedModel
from huxue.people.forces import ForceGroup


class CityRules(TimeStampedModel):
    """Per-city rostering rules. Duty for parents must stay voluntary and bounded."""

    region = models.OneToOneField(
        "orgs.Region", on_delete=models.PROTECT, related_name="roster_rules"
    )
    shifts_per_member_week = models.PositiveSmallIntegerField(
        _("shifts per member per week"), default=3
    )
    shifts_per_family_term = models.PositiveSmallIntegerField(
        _("shifts per family (parents of one child) per term"), default=12
    )
    withdraw_cutoff_hours = models.PositiveSmallIntegerField(
        _("members may withdraw until this many hours before a shift"), default=24
    )
    reminder_minutes_before = models.PositiveIntegerField(
        _("remind this many minutes before a shift"), default=720
    )
    solver_time_limit_s = models.PositiveSmallIntegerField(_("solver time limit (s)"), default=10)

    scope_region = "region"

    class Meta:
        verbose_name = _("city rostering rules")
        verbose_name_plural = _("city rostering rules")

    def __str__(self) -> str:
        return str(self.region)


class ShiftQuerySet(models.QuerySet["Shift"]):
    def window_at(self, at: dt.datetime) -> ShiftQuerySet:
        """The windows a moment falls in or comes before: shifts not cancelled and not over at
        ``at``, earliest first. A post's first is its window at that moment (whether check-in
        has opened for it yet is the city's rule: ``duty.rules.judge``)."""
        return self.filter(cancelled_at__isnull=True, ends_at__gte=at).order_by("starts_at", "pk")


class Shift(TimeStampedModel):
    """One duty window of one post on one school day, with the staffing it needs."""

    objects = ShiftQuerySet.as_manager()

    post = models.ForeignKey("posts.Post", on_delete=models.PROTECT, related_name="shifts")
    day = models.DateField(_("day"))
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    requirements = models.JSONField(_("staffing required"), default=dict)  # {group: count}
    cancelled_at = models.DateTimeField(null=True, blank=True)

    scope_unit = "post__school__unit"
    scope_region = "post__school__unit__region"

    class Meta:
        ordering = ["starts_at", "post_id"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [
            models.UniqueConstraint(fields=["post", "day", "start"], name="shift_unique"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.day:%Y-%m-%d} {self.hours}"

    @property
    def hours(self) -> str:
        """The window's hours as people write them: 07:00–08:00."""
        start, end = self.start, self.end
        return f"{start.hour:02d}:{start.minute:02d}–{end.hour:02d}:{end.minute:02d}"

    @property
    def needed(self) -> int:
        return sum(int(n) for n in self.requirements.values())


class Availability(models.Model):
    """A member's recurring weekly availability, e.g. Tuesdays 07:00–08:30."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="availability"
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=[(i, str(i)) for i in range(7)]
    )
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    scope_unit = "person__unit"
    scope_region = "person__unit__region"
    scope_owner = "person__user"

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("availability")
        verbose_name_plural = _("availability")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="availability_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.weekday} {self.start:%H:%M}–{self.end:%H:%M}"


class AvailabilityException(models.Model):
    """A date on which the weekly pattern does not hold: away all day, or free though not usually."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    day = models.DateField(_("day"))
    available = models.BooleanField(_("available"), default=False)
    note = models.CharField(_("note"), max_length=100, blank=True)

    scope_unit = "person__unit"
    scope_region = "person__unit__region"
    scope_owner = "person__user"

    class Meta:
        ordering = ["day"]
        verbose_name = _("availability exception")
        verbose_name_plural = _("availability exceptions")
        constraints = [
            models.UniqueConstraint(fields=["person", "day"], name="availability_exception_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.day}"


class SignUp(TimeStampedModel):
    """A member asking to take a shift: pending until the lead accepts it (or a solve places
    it), declined when the week is published without it. A sign-up for a slot that is already
    full is a reserve (候补): offered only if someone drops out."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the school lead")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Not needed this time")

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="signups")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="signups")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reserve = models.BooleanField(_("reserve (候补)"), default=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    scope_unit = "shift__post__school__unit"
    scope_region = "shift__post__school__unit__region"
    scope_owner = "person__user"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "shift"],
                condition=Q(withdrawn_at__isnull=True),
                name="signup_unique_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.shift}"


class RosterRun(TimeStampedModel):
    """One solver run over a place and a date range, with its figures and explanations."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        DISCARDED = "discarded", _("Discarded")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The place planned: a unit's subtree, or a whole region (the CLI's --region).
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="roster_runs"
    )
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="roster_runs")
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    seed = models.IntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    slots = models.PositiveIntegerField(default=0)
    filled = models.PositiveIntegerField(default=0)
    objective = models.BigIntegerField(null=True)
    bound = models.BigIntegerField(null=True)
    gap = models.FloatField(null=True)
    optimal = models.BooleanField(default=False)
    wall_s = models.FloatField(default=0)
    unfilled = models.JSONField(
        default=list
    )  # [{shift, group, missing, reason, params, suggestion}]

    scope_unit = "unit"
    scope_region = "region"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("roster run")
        verbose_name_plural = _("roster runs")

    def __str__(self) -> str:
        return f"{self.unit or self.region} {self.start}–{self.end}"


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    """Two rosters live in one table. The planned roster is what the lead edits (rows not
    dropped); the published roster is what members, reminders, the calendar feed, the check-in
    and the board read (rows published). Publishing a school's week makes the two agree."""

    def planned(self) -> AssignmentQuerySet:
        return self.filter(dropped_at__isnull=True)

    def published(self) -> AssignmentQuerySet:
        return self.filter(published=True)

    def unpublished(self) -> AssignmentQuerySet:
        """Changes not yet published: planned but not published, or published but dropped."""
        return self.filter(
            Q(dropped_at__isnull=True, published=False)
            | Q(dropped_at__isnull=False, published=True)
        )


class Assignment(TimeStampedModel):
    """A member on a shift, in a force group's slot: planned until dropped, and in the published
    roster while ``published`` (see AssignmentQuerySet)."""

    objects = AssignmentQuerySet.as_manager()

    class Source(models.TextChoices):
        SIGNUP = "signup", _("Signed up")
        SOLVER = "solver", _("Solver")
        MANUAL = "manual", _("Set by a lead")
        SWAP = "swap", _("Swap")
        SUBSTITUTE = "substitute", _("Substitute")

    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="assignments")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="assignments"
    )
    group = models.CharField(max_length=12, choices=ForceGroup.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    locked = models.BooleanField(_("locked by a lead"), default=False)
    run = models.ForeignKey(
        RosterRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    dropped_at = models.DateTimeField(null=True, blank=True)
    drop_reason = models.CharField(max_length=200, blank=True)
    published = models.BooleanField(default=False)

    scope_unit = "shift__post__school__unit"
    scope_region = "shift__post__school__unit__region"
    scope_owner = "person__user"

    class Meta:
        ordering = ["shift__starts_at", "group", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "person"],
                condition=Q(dropped_at__isnull=True),
                name="assignment_unique_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.shift}"


class RosterVersion(models.Model):
    """A published roster of one school for a date range; later changes publish a new version."""

    school = models.ForeignKey(
        "posts.School", on_delete=models.PROTECT, related_name="roster_versions"
    )
    start = models.DateField()
    end = models.DateField()
    version = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    snapshot = models.JSONField(default=list)  # [[shift_id, person_id, group], ...]

    scope_unit = "school__unit"
    scope_region = "school__unit__region"

    class Meta:
        ordering = ["school_id", "start", "-version"]
        verbose_name = _("published roster")
        verbose_name_plural = _("published rosters")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "start", "version"], name="roster_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.start} v{self.version}"


class CalendarFeed(models.Model):
    """A member's private iCal address: the token is the only key, so it can be replaced."""

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=43, unique=True)
    rotated_at = models.DateTimeField(auto_now=True)

    scope_unit = "person__unit"
    scope_region = "person__unit__region"
    scope_owner = "person__user"

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.person} feed"


from huxue.roster.swap_models import SwapRequest  # noqa: E402,F401
