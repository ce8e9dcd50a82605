"""Photos, served only here: never from a static or media URL. Every request asks
``selectors.photo_for`` (``access.py``); a photo out of scope is 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_GET

from huxue.files.selectors import photo_for


def _serve(request: HttpRequest, token: str, *, thumbnail: bool) -> FileResponse:
    photo = photo_for(request.user, token)
    field = photo.thumbnail if thumbnail else photo.image
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = 'inline; filename="photo.jpg"'
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def photo(request: HttpRequest, token: str) -> FileResponse:
    return _serve(request, token, thumbnail=False)


@login_required
@require_GET
def photo_thumbnail(request: HttpRequest, token: str) -> FileResponse:
    return _serve(request, token, thumbnail=True)
