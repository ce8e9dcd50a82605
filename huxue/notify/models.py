"""Where messages go (a unit's group channel) and the outbox of messages waiting to go."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huxue.core.fields import EncryptedTextField
from huxue.core.models import TimeStampedModel


class Channel(TimeStampedModel):
    """A group of a police station or a school that messages can be posted to.

    The address is encrypted like the secret: a WeCom or Feishu robot URL carries its key in the
    URL itself, so whoever holds the URL can post to the group.
    """

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk group robot")
        FEISHU = "feishu", _("Feishu group robot")
        EMAIL = "email", _("E-mail address")

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="channels", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    address = EncryptedTextField(_("webhook URL or e-mail address"))
    secret = EncryptedTextField(_("signing secret"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["unit__path", "name"]
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="channel_name_unique_in_unit"),
            models.CheckConstraint(
                condition=Q(kind__in=["wecom", "dingtalk", "feishu", "email"]),
                name="channel_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.name}"

    scope_unit = "unit"
    scope_region = "unit__region"


class Notification(models.Model):
    """One message to one recipient (a user or a unit's channel), sent at most once per attempt.

    ``dedupe_key`` is unique: producers name each message after what it is about
    ("reminder:shift:123:person:45"), so enqueueing it again — after a restart, from a second
    process — finds the row already there.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("user"),
    )
    channel = models.ForeignKey(
        Channel,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("channel"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # Which dispatcher pass holds the claim: only that pass may mark the row sent or failed.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_via = models.CharField(_("sent via"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-due_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["status", "due_at"], name="notification_due")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, channel__isnull=True)
                    | Q(user__isnull=True, channel__isnull=False)
                ),
                name="notification_one_recipient",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed", "cancelled"]),
                name="notification_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}"


class InboxMessage(models.Model):
    """A notice as its addressee reads it in the app (消息): the in-app copy of one outbox row
    addressed to a person, written by the dispatcher's "inapp" sender when it delivers that row.

    One per outbox row (the one-to-one key), so a row that is retried — its e-mail failed — is
    not copied twice. Only the addressee reads it: the inbox is not placed in the org tree, and
    no role, an administrator's neither, reads another person's messages.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="inbox_messages",
        verbose_name=_("user"),
    )
    notification = models.OneToOneField(
        Notification,
        on_delete=models.CASCADE,
        related_name="inbox_message",
        verbose_name=_("notification"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    # A page of the app the notice is about (a call-out to answer, a shift), if its producer named one.
    link = models.CharField(_("link"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-delivered_at", "-pk"]
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        indexes = [
            models.Index(fields=["user", "-delivered_at"], name="inbox_newest"),
            # The unread count on every page: only the unread rows are in this index.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="inbox_unread"),
        ]

    def __str__(self) -> str:
        return self.subject
