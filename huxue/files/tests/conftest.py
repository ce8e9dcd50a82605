from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Each test keeps its photos in its own directory."""
    settings.HUXUE_MEDIA_DIR = tmp_path / "media"
    return settings.HUXUE_MEDIA_DIR
