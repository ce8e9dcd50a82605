"""Supervision (督导): 三查三看 checklists and the inspection rounds walked with them.

A checklist is versioned: a city's edit writes a new version, and a round keeps the version it
was asked (its answers point at that version's items), so a changed checklist never rewrites a
past round. The default checklist (region empty) is the one DOMAIN.md sets out; a region's own
versions, the nearest up the tree, take its place (``checklists.checklist_for``).

A round is one inspection of one post at one moment: by an inspector (督导检查), on a spot check
(随机抽查), or by the school itself (学校自查). It is answered item by item — pass, fail or not
applicable, with a note and photos (``huxue.files``, owned by the answer) — and submitted; its
score comes from the items' weights (``scoring.round_score``). 查到岗 is answered by the system
from the roster and the check-ins at the round's moment, never typed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huxue.core.models import TimeStampedModel


class Section(models.TextChoices):
    CHECK = "check", _("三查 · checks")
    LOOK = "look", _("三看 · looks")


class ChecklistTemplate(TimeStampedModel):
    region = models.ForeignKey(
        "orgs.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="checklists",
        verbose_name=_("region"),
        help_text=_("Empty for the default checklist every region starts from."),
    )
    name = models.CharField(_("name"), max_length=60)
    version = models.PositiveIntegerField(_("version"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    scope_region = "region"

    class Meta:
        ordering = ["region_id", "-version"]
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        constraints = [
            models.UniqueConstraint(fields=["region", "version"], name="checklist_version_once"),
            models.UniqueConstraint(
                fields=["version"], condition=Q(region__isnull=True), name="default_version_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ChecklistItem(models.Model):
    class Auto(models.TextChoices):
        NONE = "", _("Answered by the inspector")
        ATTENDANCE = "attendance", _("Answered from the roster and the check-ins")

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    section = models.CharField(_("section"), max_length=8, choices=Section.choices)
    title = models.CharField(_("item"), max_length=40)
    guidance = models.TextField(_("what to look for"), blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    order = models.PositiveSmallIntegerField(_("order"))
    auto = models.CharField(
        _("answered by"), max_length=12, choices=Auto.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["template_id", "order"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.UniqueConstraint(fields=["template", "order"], name="checklist_item_order"),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=100), name="checklist_weight_1_100"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class InspectionRound(TimeStampedModel):
    class Kind(models.TextChoices):
        INSPECTION = "inspection", _("Inspection (督导检查)")
        SPOT = "spot", _("Spot check (随机抽查)")
        SELF = "self", _("School self-check (学校自查)")

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        SUBMITTED = "submitted", _("Submitted")

    post = models.ForeignKey(
        "posts.Post", on_delete=models.PROTECT, related_name="rounds", verbose_name=_("post")
    )
    template = models.ForeignKey(
        ChecklistTemplate,
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("checklist"),
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="inspection_rounds",
        verbose_name=_("inspector"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    # The moment the round is about (the phone's time, for a round kept offline and sent later).
    at = models.DateTimeField(_("time"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    accuracy = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    # The phone's key for a round sent from its offline queue: a retry finds the round it made.
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # 查到岗 as found at ``at``: who the shift needed and who was on duty, by force group.
    expected = models.JSONField(_("rostered"), default=dict, blank=True)
    present = models.JSONField(_("on duty"), default=dict, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)

    scope_unit = "post__school__unit"
    scope_region = "post__school__unit__region"

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")
        indexes = [models.Index(fields=["post", "at"], name="round_post_at")]

    def __str__(self) -> str:
        return f"{self.post} {self.at:%Y-%m-%d %H:%M}"


class RoundAnswer(models.Model):
    class Result(models.TextChoices):
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")
        NA = "na", _("Not applicable")

    round = models.ForeignKey(InspectionRound, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="answers")
    result = models.CharField(_("result"), max_length=4, choices=Result.choices, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)

    scope_unit = "round__post__school__unit"
    scope_region = "round__post__school__unit__region"

    class Meta:
        ordering = ["round_id", "item__order"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["round", "item"], name="one_answer_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_result_display()}"


class Hazard(TimeStampedModel):
    """A safety hazard at or near a school (隐患) and its rectification (整改).

    States run reported → assigned → rectifying → submitted → verified → closed; a submitted
    rectification can be sent back to rectifying. Who may take which step is ``hazards.STEPS``,
    the one table of it. Every step is a ``HazardStep`` row with its actor, time and note.
    ``version`` rises with every step: a step names the version its user saw, and one taken on a
    hazard that has moved on since is refused (two users acting at once: one wins).
    """

    class Grade(models.TextChoices):
        GENERAL = "general", _("一般隐患 · general hazard")
        MAJOR = "major", _("重大隐患 · major hazard")

    class Category(models.TextChoices):
        FACILITIES = "facilities", _("Facilities (barriers, lighting, cameras)")
        TRAFFIC = "traffic", _("Traffic and parking")
        EQUIPMENT = "equipment", _("Guard equipment")
        STAFFING = "staffing", _("Staffing and duty")
        SURROUNDINGS = "surroundings", _("Surroundings (shops, construction, crowds)")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        REPORTED = "reported", _("Reported")
        ASSIGNED = "assigned", _("Assigned")
        RECTIFYING = "rectifying", _("Being rectified")
        SUBMITTED = "submitted", _("Rectification submitted")
        VERIFIED = "verified", _("Verified")
        CLOSED = "closed", _("Closed")

    school = models.ForeignKey(
        "posts.School", on_delete=models.PROTECT, related_name="hazards", verbose_name=_("school")
    )
    post = models.ForeignKey(
        "posts.Post",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hazards",
        verbose_name=_("post"),
    )
    title = models.CharField(_("hazard"), max_length=80)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    grade = models.CharField(_("grade"), max_length=8, choices=Grade.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.REPORTED
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reported_at = models.DateTimeField(_("reported"))
    # The failed checklist item it was raised from, if any.
    answer = models.ForeignKey(
        RoundAnswer, on_delete=models.PROTECT, null=True, blank=True, related_name="hazards"
    )
    responsible = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hazards_owned",
        verbose_name=_("responsible unit"),
    )
    requirement = models.TextField(_("rectification required"), blank=True, max_length=2000)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hazards_escalated",
        verbose_name=_("escalated to"),
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    scope_unit = "school__unit"
    scope_region = "school__unit__region"

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        indexes = [
            models.Index(fields=["state", "deadline"], name="hazard_state_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.school} · {self.title}"


class HazardStep(models.Model):
    """One step of a hazard's life: who moved it from which state to which, when, and why."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=12)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    note = models.TextField(_("note"), blank=True, max_length=2000)
    version = models.PositiveIntegerField()  # the hazard's version this step made

    scope_unit = "hazard__school__unit"
    scope_region = "hazard__school__unit__region"

    class Meta:
        ordering = ["hazard_id", "version"]
        verbose_name = _("hazard step")
        verbose_name_plural = _("hazard steps")
        constraints = [
            models.UniqueConstraint(fields=["hazard", "version"], name="one_step_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.hazard_id} {self.from_state}→{self.to_state}"


class NoticeSequence(models.Model):
    """The last number a city gave a rectification notice in a year: numbers run 1, 2, 3 … per
    city and year and never repeat (taken under a row lock, ``notices.notice_issue``)."""

    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="one_sequence_per_city_year")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}: {self.last}"


class RectificationNotice(TimeStampedModel):
    """整改通知书: issued when a hazard is assigned, to its responsible unit, with what to do and
    by when; the PDF is drawn from this record whenever it is opened."""

    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="notices")
    number = models.CharField(_("number"), max_length=40, unique=True)
    region = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    issued_by = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued"))
    responsible = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible unit")
    )
    requirement = models.TextField(_("rectification required"), blank=True)
    deadline = models.DateField(_("deadline"))

    scope_unit = "hazard__school__unit"
    scope_region = "hazard__school__unit__region"

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("rectification notice")
        verbose_name_plural = _("rectification notices")
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "seq"], name="notice_number_once"),
        ]

    def __str__(self) -> str:
        return self.number
