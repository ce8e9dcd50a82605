"""Photos made safe before they are kept: judged by content, capped, re-encoded without EXIF."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image

from huxue.files import images
from huxue.files.images import clean_image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(size: tuple[int, int] = (400, 200), *, gps: bool = True, orientation: int = 1) -> bytes:
    """A camera's JPEG: EXIF with a GPS position (七台河) and an orientation tag."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (45.0, 46.0, 12.5), 3: "E", 4: (131.0, 0.0, 18.2)})
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 200), (0, 0, size[0] // 2, size[1]))  # left half blue
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_the_fixture_really_carries_gps() -> None:
    data = jpeg()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)[1] == "N"


def test_what_is_kept_has_no_exif_and_no_gps() -> None:
    kept = clean_image(jpeg())
    image = Image.open(io.BytesIO(kept.data))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not image.getexif().get_ifd(GPS_IFD)
    assert b"Exif" not in kept.data and b"PhoneMaker" not in kept.data
    assert "exif" not in image.info and "icc_profile" not in image.info
    thumb = Image.open(io.BytesIO(kept.thumbnail))
    assert dict(thumb.getexif()) == {} and max(thumb.size) <= images.THUMB_SIDE


def test_the_cameras_orientation_is_applied() -> None:
    # Orientation 6: the camera was held upright; the pixels lie on their side.
    kept = clean_image(jpeg((400, 200), orientation=6))
    assert (kept.width, kept.height) == (200, 400)
    image = Image.open(io.BytesIO(kept.data)).convert("RGB")
    # The blue left half of the sensor is the top of the upright photo.
    r, _g, b = image.getpixel((100, 20))
    assert b > 150 and r < 100


def test_a_large_photo_is_scaled_down_and_a_png_is_kept_as_jpeg_on_white() -> None:
    png = io.BytesIO()
    Image.new("RGBA", (4000, 3000), (0, 0, 0, 0)).save(png, format="PNG")
    kept = clean_image(png.getvalue())
    assert max(kept.width, kept.height) == images.MAX_SIDE
    image = Image.open(io.BytesIO(kept.data))
    assert image.format == "JPEG" and image.convert("RGB").getpixel((5, 5)) > (240, 240, 240)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.7 not a photo at all", id="a-pdf-named-jpg"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="svg"),
        pytest.param(b"GIF89a" + b"\0" * 64, id="gif-not-accepted"),
        pytest.param(jpeg()[:600], id="truncated-jpeg"),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused_in_the_users_language(data: bytes) -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        clean_image(data)
    assert refused.value.code == "not_an_image"
    assert "不是照片" in refused.value.messages[0]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        clean_image(data)
    assert "not a photo" in refused.value.messages[0]


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        clean_image(b"")
    assert refused.value.code == "empty"


def test_a_file_over_the_byte_cap_is_refused_before_decoding(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(images, "MAX_BYTES", 1000)
    opened = []
    monkeypatch.setattr(images.Image, "open", lambda *a, **k: opened.append(a))
    with pytest.raises(ValidationError) as refused:
        clean_image(jpeg())
    assert refused.value.code == "too_big" and opened == []


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    """A 60-megapixel one-bit PNG is a few kilobytes on disk and gigabytes once decoded as RGB."""
    bomb = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(bomb, format="PNG", optimize=True)
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(ValidationError) as refused:
        clean_image(bomb.getvalue())
    assert refused.value.code == "too_many_pixels"
