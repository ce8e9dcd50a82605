"""A photo kept safely (``huxue.files.images`` made it; ``huxue.files.services`` stores it).

A photo belongs to the record it is evidence for (an inspection answer, a finding, a hazard and
its steps) through ``owner``; whoever may read that record may open the photo, and nobody else.
Until it is attached (uploaded while a round is being filled in) only its uploader may.
The URL names the photo by a random token, not by its row: it cannot be guessed or counted, and
it is still checked against ``access.py`` on every request.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from huxue.core.models import TimeStampedModel
from huxue.files.storage import get_photo_storage


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 random bits


class Photo(TimeStampedModel):
    token = models.CharField(max_length=43, unique=True, default=new_token, editable=False)
    image = models.FileField(_("photo"), storage=get_photo_storage, max_length=120)
    thumbnail = models.FileField(_("thumbnail"), storage=get_photo_storage, max_length=120)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64, editable=False)  # of the kept JPEG
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    owner_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_id = models.PositiveBigIntegerField(null=True, blank=True)
    owner = GenericForeignKey("owner_type", "owner_id")

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        indexes = [models.Index(fields=["owner_type", "owner_id"], name="photo_owner")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_type__isnull=True, owner_id__isnull=True)
                | models.Q(owner_type__isnull=False, owner_id__isnull=False),
                name="photo_owner_whole_or_none",
            )
        ]

    def __str__(self) -> str:
        return str(_("Photo %(w)d × %(h)d") % {"w": self.width, "h": self.height})
