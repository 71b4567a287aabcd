"""Preparing an uploaded photo: decoded, checked, turned upright, resized, re-encoded.

The file's type is decided by its content (Pillow reads the image), never by its name or
the browser's Content-Type. Whatever arrives, what is stored is a new JPEG drawn from the
decoded pixels: the metadata (EXIF with its GPS position, the camera, comments) is not
copied, and a "polyglot" (an image that is also an HTML page or a script) cannot survive,
since none of its original bytes are kept.

HEIC (iPhone photos) would need the `pillow-heif` plugin; it is not installed, so HEIC is
refused with a message asking for JPEG (tablets' browsers convert on upload, as Safari does
when `accept="image/*"`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

#: Longest side of the stored photo, in pixels: enough for the record banner and the
#: identity checks of a medication round, small enough to cost a few tens of kB.
MAX_SIDE = 480
JPEG_QUALITY = 85
#: Formats accepted, as Pillow names them after reading the content (MPO: the JPEG
#: variant of some cameras).
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})
#: Refuse images whose pixel count would take too much memory to decode (a
#: "decompression bomb": a small file declaring a huge image). 50 Mpx covers any camera.
MAX_PIXELS = 50_000_000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class PhotoRefused(Exception):
    """The file is not an acceptable photo (French message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = "image"


@dataclass(frozen=True)
class PreparedPhoto:
    data: bytes
    width: int
    height: int


def max_bytes() -> int:
    return int(getattr(settings, "PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def prepare(stream: io.BufferedIOBase | io.BytesIO, size: int) -> PreparedPhoto:
    """The JPEG to store for an uploaded file of `size` bytes, or PhotoRefused."""
    limit = max_bytes()
    if size <= 0:
        raise PhotoRefused("Le fichier est vide : choisissez une photo.")
    if size > limit:
        raise PhotoRefused(
            f"Le fichier dépasse la taille maximale de {limit // (1024 * 1024)} Mo : "
            "choisissez une photo plus légère."
        )
    try:
        with Image.open(stream) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRefused(
                    f"Ce format d'image ({image.format}) n'est pas accepté : "
                    "envoyez une photo JPEG, PNG ou WebP."
                )
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoRefused("Cette image est trop grande (plus de 50 millions de pixels).")
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = _flatten(upright)
            rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
            return PreparedPhoto(out.getvalue(), rgb.width, rgb.height)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise PhotoRefused(
            "Ce fichier n'est pas une image lisible (JPEG, PNG ou WebP), quel que soit son "
            "nom : choisissez une photo."
        ) from None
    except (OSError, ValueError, SyntaxError):
        # A truncated or corrupt image: Pillow fails while decoding the pixels.
        raise PhotoRefused(
            "Cette image est abîmée ou incomplète et ne peut pas être lue : "
            "reprenez la photo ou choisissez un autre fichier."
        ) from None


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparent areas become white (JPEG has no transparency)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
