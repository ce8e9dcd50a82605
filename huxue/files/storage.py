"""Where photos are kept: a directory outside the static files (``HUXUE_MEDIA_DIR``, by default
``var/media``), never served by the web server or WhiteNoise; only ``huxue.files.views`` reads
it, after asking ``access.py``. File names are the photos' random tokens."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PhotoStorage(FileSystemStorage):
    """A file system storage whose directory follows the setting (read on each use, so a test's
    settings take effect) and that has no URL: a stored name is not a link anyone can open."""

    def __init__(self) -> None:
        super().__init__(
            base_url=None, file_permissions_mode=0o600, directory_permissions_mode=0o700
        )

    @property
    def base_location(self) -> Path:
        return Path(settings.HUXUE_MEDIA_DIR) / "photos"

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


photo_storage = PhotoStorage()


def get_photo_storage() -> PhotoStorage:
    """The storage, as the model field's callable."""
    return photo_storage
