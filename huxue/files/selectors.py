"""Who may open a photo: whoever may read the record it belongs to (``access.can``); a photo not
yet attached, only its uploader. Anything else is "not found", as for records out of scope."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404

from huxue.files.models import Photo
from huxue.orgs import access


def photo_for(user: Any, token: str) -> Photo:
    photo = Photo.objects.select_related("owner_type").filter(token=token).first()
    if photo is None or not getattr(user, "is_authenticated", False):
        raise Http404
    if photo.owner_type_id is None:
        if photo.uploaded_by_id != user.pk:
            raise Http404
        return photo
    owner = photo.owner
    if owner is None or not access.can(user, "read", owner):
        raise Http404
    return photo


def photos_of(owner: models.Model) -> models.QuerySet[Photo]:
    """The photos attached to a record, oldest first (the caller has read the record)."""
    return Photo.objects.filter(
        owner_type=ContentType.objects.get_for_model(owner), owner_id=owner.pk
    )
