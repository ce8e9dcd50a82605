from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huxue.core.fields import EncryptedTextField
from huxue.core.models import TimeStampedModel, VoidableModel
from huxue.core.validators import mask_id_number, mask_phone
from huxue.people.forces import GROUP_OF, ForceType


class Family(TimeStampedModel):
    """Parents of the same child: their duty is capped together, per term (CityRules)."""

    school = models.ForeignKey(
        "posts.School", on_delete=models.PROTECT, related_name="families", verbose_name=_("school")
    )
    label = models.CharField(
        _("label"), max_length=50, help_text=_("e.g. the child's class, 三年二班")
    )

    scope_unit = "school__unit"
    scope_region = "school__unit__region"

    class Meta:
        verbose_name = _("family")
        verbose_name_plural = _("families")

    def __str__(self) -> str:
        return f"{self.school} · {self.label}"


class Person(TimeStampedModel, VoidableModel):
    """A duty member: anyone who may stand at a school gate, from officers to parent volunteers."""

    class Vetting(models.TextChoices):
        PENDING = "pending", _("Pending")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    class Training(models.TextChoices):
        NONE = "none", _("Not trained")
        TRAINED = "trained", _("Trained")
        EXPIRED = "expired", _("Training expired")

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="people", verbose_name=_("unit")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("login account"),
    )
    name = models.CharField(_("name"), max_length=50)
    force_type = models.CharField(_("force type"), max_length=20, choices=ForceType.choices)
    phone = EncryptedTextField(_("mobile number"))
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    id_number = EncryptedTextField(_("resident ID number"))
    id_index = models.CharField(max_length=64, editable=False)
    vetting_status = models.CharField(
        _("background check"), max_length=10, choices=Vetting.choices, default=Vetting.PENDING
    )
    vetted_on = models.DateField(_("checked on"), null=True, blank=True)
    training_status = models.CharField(
        _("training"), max_length=10, choices=Training.choices, default=Training.NONE
    )
    trained_on = models.DateField(_("trained on"), null=True, blank=True)
    armband_issued = models.BooleanField(_("red armband issued"), default=False)
    vest_issued = models.BooleanField(_("red vest issued"), default=False)
    child_school = models.ForeignKey(
        "posts.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parent_volunteers",
        verbose_name=_("child's school"),
    )

    family = models.ForeignKey(
        Family,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("family"),
    )

    scope_unit = "unit"
    scope_region = "unit__region"
    scope_owner = "user"

    class Meta:
        ordering = ["unit_id", "name", "id"]
        verbose_name = _("duty member")
        verbose_name_plural = _("duty members")
        constraints = [
            # One live record per resident ID; voided records keep their history.
            models.UniqueConstraint(
                fields=["id_index"],
                condition=Q(voided_at__isnull=True),
                name="person_id_unique_live",
            ),
        ]
        indexes = [models.Index(fields=["unit", "force_type"])]

    def __str__(self) -> str:
        return self.name

    @property
    def id_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def force_group(self) -> str:
        return GROUP_OF[self.force_type]

    @property
    def is_volunteer(self) -> bool:
        return self.force_type in (ForceType.PARENT, ForceType.COMMUNITY)


class Consent(models.Model):
    """A volunteer's consent to the processing of their data: which text, when, how recorded."""

    class Method(models.TextChoices):
        PAPER = "paper", _("Signed on paper")
        ONLINE = "online", _("Accepted online")
        IMPORT = "import", _("Recorded at import")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    text_version = models.CharField(_("consent text version"), max_length=32)
    consented_at = models.DateTimeField(_("consented at"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    scope_unit = "person__unit"
    scope_region = "person__unit__region"

    class Meta:
        ordering = ["-consented_at"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.person} · {self.text_version}"
