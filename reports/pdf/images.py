"""Photos and drawn signatures, made ready to embed in the report PDF.

Images normally arrive sanitized by :func:`reports.capture.photos.sanitize_image`
(pixels only, upright, JPEG or PNG). This module still defends the PDF on its own:

* a JPEG that carries metadata segments (EXIF with a GPS position, XMP, comments) is
  re-encoded from its pixels, never embedded as it is;
* a CMYK or 16-bit image is converted to RGB or grey;
* PNG transparency is flattened on white (a PDF viewer would show it black otherwise);
* an image larger than needed on paper is scaled down once, aspect ratio kept.

A clean JPEG that is small enough is embedded byte for byte, which keeps rendering fast.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from reports.pdf.errors import PdfRenderError

__all__ = ["PHOTO_MAX_SIDE", "SIGNATURE_MAX_SIDE", "PreparedImage", "prepare_image"]

PHOTO_MAX_SIDE = 1200
"""Longest side, in pixels, of an embedded photo: about 200 dpi in the report's photo grid."""
SIGNATURE_MAX_SIDE = 800
"""Longest side, in pixels, of an embedded signature."""

_JPEG_QUALITY = 85
_SOI = b"\xff\xd8"
_APP0, _SOS, _EOI = 0xE0, 0xDA, 0xD9
# Markers without a length field (RSTn, TEM).
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


@dataclass(frozen=True)
class PreparedImage:
    """An image ready for reportlab: grey or RGB, no alpha, no metadata.

    Exactly one of ``jpeg`` and ``pixels`` is set.
    """

    width: int
    """Width in pixels."""

    height: int
    """Height in pixels."""

    jpeg: bytes | None = None
    """A clean JPEG, embedded byte for byte (DCT-compressed in the PDF)."""

    pixels: Image.Image | None = None
    """Decoded pixels (drawings, PNG), embedded losslessly (Flate-compressed in the PDF)."""


def prepare_image(data: bytes, *, path: str, kind: Literal["photo", "signature"]) -> PreparedImage:
    """Make ``data`` (JPEG or PNG bytes) safe and small enough to embed.

    Photos come out as JPEG; signatures (line drawings) as decoded pixels when they
    were PNG, so that they stay sharp.
    ``path`` names the image in errors (``photos[3].image``).

    Raises:
        PdfRenderError: code ``image_unreadable`` when the bytes are not a decodable
            JPEG or PNG image.
    """
    max_side = PHOTO_MAX_SIDE if kind == "photo" else SIGNATURE_MAX_SIDE
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as opened:
            if (
                opened.format == "JPEG"
                and opened.mode in ("L", "RGB")
                and max(opened.size) <= max_side
                and _jpeg_without_metadata(data)
            ):
                return PreparedImage(opened.width, opened.height, jpeg=data)
            if opened.format == "JPEG":
                # Let libjpeg decode at a reduced scale: much faster for a 12-megapixel photo.
                opened.draft(opened.mode, (max_side, max_side))
            image = ImageOps.exif_transpose(opened)
            image.load()
            source_format = opened.format
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise PdfRenderError(
            "image_unreadable",
            f"{path}: the image is not a readable JPEG or PNG file; capture it again "
            "(capture sanitizes photos and signatures)",
        ) from exc
    image = _fit_within(_flatten(image), max_side)
    if kind == "photo" or source_format == "JPEG":
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=_JPEG_QUALITY)
        return PreparedImage(image.width, image.height, jpeg=buffer.getvalue())
    return PreparedImage(image.width, image.height, pixels=image)


def _jpeg_without_metadata(data: bytes) -> bool:
    """Whether the JPEG holds no APP1..APP15 or COM segment (EXIF, XMP, ICC, comments).

    Only the segments before the image data are read; a malformed header answers
    ``False`` so that the image is re-encoded.
    """
    if not data.startswith(_SOI):
        return False
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _STANDALONE:
            position += 2
            continue
        if marker in (_SOS, _EOI):
            return True
        if (0xE1 <= marker <= 0xEF) or marker == 0xFE:
            return False
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        position += 2 + length
    return False


def _flatten(image: Image.Image) -> Image.Image:
    """Grey or RGB without alpha: transparency composited on white, CMYK and 16-bit converted."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode.startswith("I"):
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background if image.mode != "LA" else background.convert("L")
    if image.mode in ("L", "RGB"):
        return image
    if image.mode == "1":
        return image.convert("L")
    return image.convert("RGB")


def _fit_within(image: Image.Image, max_side: int) -> Image.Image:
    longer = max(image.size)
    if longer <= max_side:
        return image
    scale = max_side / longer
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)
