"""Storing photos and attaching them to the record they are evidence for.

``photo_store`` keeps what ``images.clean_image`` made of an upload — never the upload itself —
under a random name, with its row and audit line in one transaction; if the row cannot be
written, the files are removed again, so nothing is half-written. ``photo_attach`` gives photos
their owner record (a finding, a hazard …): only the uploader's own, not yet attached photos, and
only to a record the uploader may change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils.translation import gettext as _

from huxue.core import audit
from huxue.files import images
from huxue.files.images import clean_image
from huxue.files.models import Photo, new_token
from huxue.files.storage import photo_storage
from huxue.orgs import access


def read_upload(upload: UploadedFile) -> bytes:
    """An upload's bytes, read no further than one byte past the cap (the cap is then refused
    by ``clean_image`` without the rest ever being read)."""
    chunks, read = [], 0
    for chunk in upload.chunks():
        chunks.append(chunk)
        read += len(chunk)
        if read > images.MAX_BYTES:
            break
    return b"".join(chunks)


def _owner_fields(owner: models.Model | None) -> dict[str, Any]:
    if owner is None:
        return {"owner_type": None, "owner_id": None}
    return {"owner_type": ContentType.objects.get_for_model(owner), "owner_id": owner.pk}


def photo_store(*, actor: Any, data: bytes, owner: models.Model | None = None) -> Photo:
    """Keep a photo made safe, attached to ``owner`` if given (the actor must be allowed to
    change it); ValidationError, and nothing written, for a file that is not a photo."""
    if owner is not None:
        access.require(actor, "write", owner)
    clean = clean_image(data)
    token = new_token()
    folder = token[:2]
    written: list[str] = []
    try:
        written.append(photo_storage.save(f"{folder}/{token}.jpg", ContentFile(clean.data)))
        written.append(photo_storage.save(f"{folder}/{token}-t.jpg", ContentFile(clean.thumbnail)))
        with transaction.atomic():
            photo = Photo.objects.create(
                token=token,
                image=written[0],
                thumbnail=written[1],
                width=clean.width,
                height=clean.height,
                size=len(clean.data),
                sha256=hashlib.sha256(clean.data).hexdigest(),
                uploaded_by=actor,
                **_owner_fields(owner),
            )
            audit.record(
                action="files.photo.store",
                actor=actor,
                obj=photo,
                detail={
                    "bytes_received": len(data),
                    "bytes_kept": len(clean.data),
                    "owner": f"{owner._meta.label_lower}:{owner.pk}" if owner else "",
                },
            )
    except BaseException:
        for name in written:
            photo_storage.delete(name)
        raise
    return photo


def photo_attach(*, actor: Any, photos: Iterable[Photo], owner: models.Model) -> int:
    """Attach the actor's own unattached photos to ``owner``; how many were attached."""
    access.require(actor, "write", owner)
    tokens = [p.token for p in photos]
    with transaction.atomic():
        mine = Photo.objects.select_for_update().filter(
            token__in=tokens, uploaded_by=actor, owner_type__isnull=True
        )
        found = list(mine)
        if len(found) != len(set(tokens)):
            raise ValidationError(
                _("A photo is not yours to attach, or is attached to another record already."),
                code="not_attachable",
            )
        Photo.objects.filter(pk__in=[p.pk for p in found]).update(**_owner_fields(owner))
        audit.record(
            action="files.photo.attach",
            actor=actor,
            obj=owner,
            detail={"photos": [p.pk for p in found]},
        )
    return len(found)
