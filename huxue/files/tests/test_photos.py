"""Photos are stored safely and opened only through the view that asks access.py (issue 17,
item 8): no EXIF comes back, a file that is not a photo is refused with nothing written, the
file lives outside the static files under a random name, and out of scope is 404."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.urls import reverse
from PIL import Image

from huxue.core.models import AuditEvent
from huxue.files import images, services
from huxue.files.models import Photo
from huxue.files.selectors import photos_of
from huxue.files.services import photo_attach, photo_store, read_upload
from huxue.files.tests.test_images import GPS_IFD, jpeg
from huxue.testing import City

pytestmark = pytest.mark.django_db


def files_in(directory) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(p.name for p in directory.rglob("*") if p.is_file())


def test_a_photo_is_kept_without_exif_under_a_random_name_outside_the_static_files(
    city: City, media_dir
) -> None:
    lead = city.users["school_lead"]
    photo = photo_store(actor=lead, data=jpeg(), owner=city.post_a1)
    kept = media_dir / "photos" / photo.image.name
    # Named by the random token alone: the name says nothing of the row, the school or the time.
    assert kept.is_file() and kept.name == f"{photo.token}.jpg" and len(photo.token) == 32
    assert not str(kept).startswith(str(settings.STATIC_ROOT))
    image = Image.open(kept)
    assert dict(image.getexif()) == {} and not image.getexif().get_ifd(GPS_IFD)
    assert (photo.width, photo.height) == image.size
    assert photo.owner == city.post_a1 and list(photos_of(city.post_a1)) == [photo]
    event = AuditEvent.objects.get(action="files.photo.store")
    assert event.actor_id == lead.pk and event.detail["owner"] == f"posts.post:{city.post_a1.pk}"


def test_a_file_named_jpg_that_is_not_a_photo_is_refused_and_nothing_is_written(
    city: City, media_dir
) -> None:
    upload = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a photo", "image/jpeg")
    with pytest.raises(ValidationError) as refused:
        photo_store(actor=city.users["school_lead"], data=read_upload(upload))
    assert refused.value.code == "not_an_image"
    assert not Photo.objects.exists() and files_in(media_dir) == []
    assert not AuditEvent.objects.filter(action="files.photo.store").exists()


def test_when_the_row_cannot_be_written_the_files_are_removed(
    city: City, media_dir, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database gone")

    monkeypatch.setattr(services.audit, "record", fail)
    with pytest.raises(RuntimeError):
        photo_store(actor=city.users["school_lead"], data=jpeg())
    assert not Photo.objects.exists() and files_in(media_dir) == []


def test_an_upload_is_read_no_further_than_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_BYTES", 100)
    # A large upload is spooled to a temporary file by Django and read in chunks.
    upload = UploadedFile(io.BytesIO(b"x" * 10_000), name="big.jpg", size=10_000)
    upload.DEFAULT_CHUNK_SIZE = 64
    assert 100 < len(read_upload(upload)) <= 128


def test_only_someone_who_may_change_the_record_attaches_a_photo_to_it(city: City) -> None:
    with pytest.raises(Exception) as refused:
        photo_store(actor=city.users["other_lead"], data=jpeg(), owner=city.post_a1)
    assert refused.type.__name__ == "Http404"
    assert not Photo.objects.exists()


def test_only_the_uploaders_unattached_photos_can_be_attached(city: City) -> None:
    lead, other = city.users["school_lead"], city.users["other_lead"]
    mine = photo_store(actor=lead, data=jpeg())
    theirs = photo_store(actor=other, data=jpeg())
    with pytest.raises(ValidationError):
        photo_attach(actor=lead, photos=[mine, theirs], owner=city.post_a1)
    assert Photo.objects.filter(owner_id__isnull=False).count() == 0  # nothing half-done
    assert photo_attach(actor=lead, photos=[mine], owner=city.post_a1) == 1
    with pytest.raises(ValidationError):
        photo_attach(actor=lead, photos=[mine], owner=city.post_a1)  # attached already


def _jpeg_response_has_no_exif(response) -> bool:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content)
    image = Image.open(io.BytesIO(body))
    return image.format == "JPEG" and dict(image.getexif()) == {}


def test_the_photo_opens_for_those_who_may_read_its_record_and_is_404_for_others(
    city: City, login
) -> None:
    photo = photo_store(actor=city.users["school_lead"], data=jpeg(), owner=city.post_a1)
    url = reverse("files:photo", args=[photo.token])
    thumb = reverse("files:photo_thumbnail", args=[photo.token])
    for who in ("school_lead", "station_officer", "city_admin"):
        client = login(who)
        response = client.get(url)
        assert response.status_code == 200, who
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "private" in response["Cache-Control"]
        assert _jpeg_response_has_no_exif(response)
        small = client.get(thumb)
        assert small.status_code == 200
        assert max(Image.open(io.BytesIO(b"".join(small.streaming_content))).size) <= 320
    for who in ("other_lead", "volunteer", "auditor"):
        client = login(who)
        assert client.get(url).status_code == 404, who
        assert client.get(thumb).status_code == 404, who


def test_an_unattached_photo_opens_only_for_its_uploader(city: City, login) -> None:
    photo = photo_store(actor=city.users["school_lead"], data=jpeg())
    url = reverse("files:photo", args=[photo.token])
    assert login("school_lead").get(url).status_code == 200
    assert login("city_admin").get(url).status_code == 404


def test_a_guessed_token_or_a_signed_out_visitor_gets_nothing(city: City, client) -> None:
    photo = photo_store(actor=city.users["school_lead"], data=jpeg(), owner=city.post_a1)
    response = client.get(reverse("files:photo", args=[photo.token]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    login_as = city.users["school_lead"]
    client.force_login(login_as)
    assert client.get(reverse("files:photo", args=["x" * 32])).status_code == 404
    assert client.get(reverse("files:photo", args=[str(photo.pk)])).status_code == 404
    # Not under /static/ or any media URL either.
    assert client.get(f"/static/{photo.image.name}").status_code == 404
    assert client.get(f"/media/{photo.image.name}").status_code == 404
