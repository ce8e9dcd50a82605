"""Photos people upload (an inspection round's evidence, a hazard, its rectification), made safe
before anything keeps them.

A photo is judged by its content, never by its name or the type the browser claims: it must
decode as a JPEG, PNG or WebP image, within a byte cap (checked before decoding) and a pixel cap
(checked from the header, before the pixels are decompressed, so a small file that would expand
to gigabytes is refused). What is kept is a new JPEG, re-encoded from the pixels: the camera's
orientation applied, and no metadata at all — EXIF (the GPS position included), XMP, ICC
comments — because nothing of the original file is copied. A thumbnail for lists is made the same
way. Refusals carry a message in the user's language.

Pillow does the decoding and encoding; storage and who may open a photo are the callers'.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 15 * 1024 * 1024  # a phone's photo is 2–8 MB
MAX_PIXELS = 50_000_000  # 50 megapixels: more than any phone camera
MAX_SIDE = 2560  # what is kept: enough to read a sign or a broken fence
THUMB_SIDE = 320
QUALITY = 85
FORMATS = ("JPEG", "PNG", "WEBP")


@dataclass(frozen=True)
class CleanImage:
    """A photo as kept: JPEG bytes without metadata, its size, and a thumbnail."""

    data: bytes
    width: int
    height: int
    thumbnail: bytes


def _jpeg(image: Image.Image, side: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new image from the pixels alone: no exif, icc_profile or comment is passed on.
    copy.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue(), copy.width, copy.height


def clean_image(data: bytes) -> CleanImage:
    """The photo in ``data`` made safe to keep, or ValidationError saying why it is refused."""
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("The photo is %(size)s; at most %(max)s is accepted.")
            % {"size": filesizeformat(len(data)), "max": filesizeformat(MAX_BYTES)},
            code="too_big",
        )
    not_an_image = ValidationError(
        _("This file is not a photo (JPEG, PNG or WebP), whatever its name says."),
        code="not_an_image",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            header = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = header.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _("The photo is %(w)d × %(h)d pixels; at most %(max)d megapixels.")
                    % {"w": width, "h": height, "max": MAX_PIXELS // 1_000_000},
                    code="too_many_pixels",
                )
            header.load()  # decodes every pixel: a truncated or corrupt file fails here
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise not_an_image from None
    except (OSError, SyntaxError, ValueError):
        raise not_an_image from None
    upright = ImageOps.exif_transpose(header)
    if upright.mode in ("RGBA", "LA", "P", "PA"):
        # Transparency (a screenshot, a PNG) goes on white, not on black.
        rgba = upright.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, "white")
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    else:
        rgb = upright.convert("RGB")
    kept, kept_w, kept_h = _jpeg(rgb, MAX_SIDE)
    thumb, _w, _h = _jpeg(rgb, THUMB_SIDE)
    return CleanImage(data=kept, width=kept_w, height=kept_h, thumbnail=thumb)
