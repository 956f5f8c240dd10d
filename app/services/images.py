"""Specimen pictures: checking an upload, and making the renditions the pages show (Pillow).

What is accepted: a real JPEG, PNG or WebP, judged by opening it with Pillow (restricted to
those three decoders), never by its name or the browser's Content-Type; at most
``SPECIMEN_IMAGE_MAX_BYTES`` bytes (5 MB) and ``SPECIMEN_IMAGE_MAX_PIXELS`` pixels (50 MP).
The pixel count is read from the header before anything is decoded, so a decompression
bomb (a few kilobytes that would decode to gigabytes) is refused without being decoded;
Pillow's own ``DecompressionBombError`` is caught as well. A refusal is a ``DomainError``
with a French sentence for the form, and nothing is stored.

What is kept: three WebP renditions, each re-encoded from the pixels, so no EXIF (GPS
position of the photographer's phone, camera serial), no XMP and no comment survives; the
EXIF orientation is applied first and a colour profile is converted to sRGB:

* ``thumb``: 480 × 360, cropped to 4:3 around the centre, for the cards of the grid
  (a card is at most about 300 CSS pixels wide, so this is sharp on a 1.5× screen);
* ``large``: at most 1200 px on its longest side, for the specimen's page;
* ``original``: at most 2400 px, never served; new renditions can be made from it later
  without asking the organisers to upload their pictures again.

Where they are kept: in the database (``specimen_image``), not in ``instance/``. Why:

* the bytes share the request's transaction. A refused upload, a failed commit or a
  503 leaves no orphan file and no row pointing at a missing file: "nothing stored" is the
  same rollback as everywhere else in the app;
* every gunicorn worker, and every host behind the proxy, sees the same pictures
  without a shared volume; one ``pg_dump`` backs up the collection with its pictures;
* the volume is small: about 30 KB for a thumbnail and 100–250 KB for a large view, so a
  collection of a few hundred pictures is some tens of megabytes;
* serving stays cheap: the columns are deferred (lists never read them), and a picture's
  URL holds the digest of its pixels, so it is sent with ``Cache-Control: immutable`` for
  a year and each browser fetches it once. (SQLite reuses a deleted row's id; the digest
  keeps a cached picture from being shown for another one.)
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from typing import IO

from flask import current_app
from flask_babel import format_decimal
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from ..i18n import gettext
from .errors import DomainError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
THUMB_SIZE = (480, 360)
LARGE_MAX = 1200
ORIGINAL_MAX = 2400


class ImageRefused(DomainError):
    """An uploaded file that is not kept; the message goes next to the file field."""

    code = "image_refused"
    status = 422
    field = "image"


class NotAnImage(ImageRefused):
    """Not a JPEG, PNG or WebP picture (whatever its name says), or a damaged one."""

    code = "not_an_image"

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Ce fichier n’est pas une image JPEG, PNG ou WebP lisible. "
            "Choisissez une photo dans l’un de ces formats."
        )


class ImageTooHeavy(ImageRefused):
    """More bytes than ``SPECIMEN_IMAGE_MAX_BYTES``."""

    code = "image_too_heavy"
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def message(self) -> str:
        """Explain in the current language, with the limit in megabytes."""
        return gettext(
            "Cette image est trop lourde : %(max)s Mo au plus. Réduisez-la avant de l’envoyer.",
            max=megabytes(self.limit),
        )


class ImageTooLarge(ImageRefused):
    """More pixels than ``SPECIMEN_IMAGE_MAX_PIXELS`` (or a decompression bomb)."""

    code = "image_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def message(self) -> str:
        """Explain in the current language, with the limit in megapixels."""
        return gettext(
            "Cette image a trop de pixels : %(max)d mégapixels au plus. Réduisez sa taille.",
            max=self.limit // 1_000_000,
        )


class NoImage(ImageRefused):
    """The file field was left empty."""

    code = "no_image"

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Choisissez une image à envoyer.")


def megabytes(count: int) -> str:
    """« 5 » for 5 MiB, « 0,02 » for 20 000 bytes, in the current language's notation."""
    return format_decimal(round(count / (1024 * 1024), 2), format="#,##0.##")


def max_bytes() -> int:
    """The largest upload accepted, in bytes (app/config.py sets it)."""
    return int(current_app.config["SPECIMEN_IMAGE_MAX_BYTES"])


def max_pixels() -> int:
    """The largest picture accepted, in pixels (app/config.py sets it)."""
    return int(current_app.config["SPECIMEN_IMAGE_MAX_PIXELS"])


@dataclass(frozen=True)
class Rendition:
    """One encoded WebP picture and its size."""

    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class PreparedImage:
    """What is stored for a picture: its three renditions and the digest of its pixels."""

    thumb: Rendition
    large: Rendition
    original: Rendition
    digest: str


def read_upload(stream: IO[bytes] | None) -> bytes:
    """Read an uploaded file, refusing it as soon as it is larger than the limit."""
    if stream is None:
        raise NoImage()
    limit = max_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ImageTooHeavy(limit)
    if not data:
        raise NoImage()
    return data


def prepare(data: bytes) -> PreparedImage:
    """Check ``data`` is a JPEG, PNG or WebP of a sane size and make its renditions.

    Raises ``ImageRefused`` (a ``DomainError``) with the reason otherwise.
    """
    if len(data) > max_bytes():
        raise ImageTooHeavy(max_bytes())
    limit = max_pixels()
    try:
        picture = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:
        raise ImageTooLarge(limit) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise NotAnImage() from None
    with picture:
        width, height = picture.size
        if width < 1 or height < 1:
            raise NotAnImage()
        if width * height > limit:
            raise ImageTooLarge(limit)
        if picture.format == "JPEG":
            # Decode big photos at 1/2, 1/4 or 1/8 scale directly: less memory, less time.
            scale = ORIGINAL_MAX / max(width, height)
            picture.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
        try:
            picture.load()
            pixels = normalised(picture)
        except Image.DecompressionBombError:
            raise ImageTooLarge(limit) from None
        except (OSError, SyntaxError, ValueError):
            raise NotAnImage() from None
    return renditions(pixels)


def normalised(picture: Image.Image) -> Image.Image:
    """Upright, sRGB, RGB or RGBA pixels with no metadata attached."""
    icc_profile = picture.info.get("icc_profile")
    upright = ImageOps.exif_transpose(picture)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    converted = upright.convert("RGBA" if has_alpha else "RGB")
    if icc_profile:
        converted = to_srgb(converted, icc_profile)
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)  # a fresh image: no info dict, no EXIF, nothing else carried over
    return clean


def to_srgb(picture: Image.Image, icc_profile: bytes) -> Image.Image:
    """Convert from an embedded colour profile to sRGB (browsers assume sRGB without one)."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(
            picture, source, ImageCms.createProfile("sRGB"), outputMode=picture.mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return picture  # a broken profile: keep the pixels as they are
    return converted if converted is not None else picture


def encode(picture: Image.Image, quality: int) -> Rendition:
    """Encode as WebP, without metadata."""
    buffer = io.BytesIO()
    picture.save(buffer, "WEBP", quality=quality, method=4)
    return Rendition(buffer.getvalue(), picture.width, picture.height)


def fit_within(picture: Image.Image, longest: int) -> Image.Image:
    """A copy no larger than ``longest`` on either side (never enlarged)."""
    copy = picture.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return copy


def renditions(pixels: Image.Image) -> PreparedImage:
    """The thumbnail, large view and kept original of clean pixels."""
    original = encode(fit_within(pixels, ORIGINAL_MAX), 88)
    large = encode(fit_within(pixels, LARGE_MAX), 82)
    thumb = encode(
        ImageOps.fit(pixels, THUMB_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.5)), 78
    )
    digest = hashlib.sha256(original.data).hexdigest()[:16]
    return PreparedImage(thumb=thumb, large=large, original=original, digest=digest)
