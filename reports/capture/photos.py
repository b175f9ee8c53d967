"""Photo and signature sanitizing: only pixels leave this module.

Phones write the technician's GPS position, the device serial number and the capture
time into EXIF and XMP; editors add ICC profiles, comments and PNG text chunks. None of
it belongs in an intervention report, so :func:`sanitize_image` decodes the image and
re-encodes its pixels alone. Drawn signatures go through the same function.

The type is recognised from the first bytes, never from a file name. The pixel count is
read from the header and checked before anything is decoded, so a small file declaring a
huge canvas (a decompression bomb) is refused without being allocated.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from reports.errors import CaptureError

__all__ = ["PhotoLimits", "SanitizedImage", "sanitize_image"]

_JPEG_SIGNATURE = b"\xff\xd8\xff"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_QUALITY = 85
# Modes written as they are; anything else is converted first.
_KEPT_MODES = {"JPEG": ("L", "RGB"), "PNG": ("1", "L", "LA", "P", "RGB", "RGBA")}
# Only used to name a refused type in the message.
_OTHER_SIGNATURES = (
    (0, b"GIF8", "GIF"),
    (8, b"WEBP", "WebP"),
    (0, b"%PDF", "PDF"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"BM", "BMP"),
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIC"),
    (4, b"ftypavif", "AVIF"),
)


@dataclass(frozen=True)
class PhotoLimits:
    """Limits applied to every photo and signature before it is accepted."""

    max_bytes: int = 15 * 1024 * 1024
    """Largest accepted encoded file, in bytes (``QUITUS_PHOTO_MAX_BYTES``)."""

    max_pixels: int = 40_000_000
    """Largest accepted width * height, read from the header before decoding
    (``QUITUS_PHOTO_MAX_PIXELS``). Pillow's own ``Image.MAX_IMAGE_PIXELS`` still caps
    it, so raising it above that value has no effect."""

    max_side: int = 4096
    """Longest side of the sanitized image; larger images are downscaled once, keeping
    their aspect ratio."""


@dataclass(frozen=True)
class SanitizedImage:
    """An image re-encoded from its pixels, without any metadata."""

    content: bytes
    """The encoded image: no EXIF, XMP, ICC profile, comment or text chunk."""

    media_type: str
    """``"image/jpeg"`` or ``"image/png"``, the same type as the input."""

    width: int
    """Width in pixels, after orientation and downscaling."""

    height: int
    """Height in pixels, after orientation and downscaling."""


_DEFAULT_LIMITS = PhotoLimits()


def sanitize_image(data: bytes, *, path: str, limits: PhotoLimits = _DEFAULT_LIMITS) -> SanitizedImage:
    """Re-encode the pixels of a JPEG or PNG, dropping every metadata block.

    The image keeps its format, is turned upright from its EXIF orientation and is
    downscaled to at most ``limits.max_side`` pixels on its longer side. The same input
    gives the same bytes (with the same Pillow and codec libraries). ``path`` is the
    field path of the image (``"photos[2].file"``), reported in errors.

    Raises:
        CaptureError: with code ``photo_empty``, ``photo_too_large``,
            ``photo_unsupported_type``, ``photo_too_many_pixels`` or ``photo_corrupt``.
    """
    image_format = _check_encoded(data, path, limits)
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse there too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _decode_upright(data, image_format, path, limits)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            pillow_cap = Image.MAX_IMAGE_PIXELS or limits.max_pixels
            raise CaptureError(
                "photo_too_many_pixels",
                f"image declares more than {min(limits.max_pixels, pillow_cap):,} "
                f"pixels; resize it to at most {limits.max_side} pixels on its longer "
                "side and attach it again",
                path,
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise CaptureError(
                "photo_corrupt",
                f"image looks like a {image_format} file but cannot be decoded "
                "(truncated or damaged); attach the original file again",
                path,
            ) from exc
    image = _fit_within(_normalize_mode(image, image_format), limits.max_side)
    buffer = io.BytesIO()
    if image_format == "JPEG":
        _pixels_only(image).save(buffer, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    else:
        _pixels_only(image).save(buffer, format="PNG")
    return SanitizedImage(
        content=buffer.getvalue(),
        media_type=f"image/{image_format.lower()}",
        width=image.width,
        height=image.height,
    )


def _check_encoded(data: bytes, path: str, limits: PhotoLimits) -> str:
    """Return the Pillow format name of ``data`` after the checks needing no decoding."""
    if not data:
        raise CaptureError("photo_empty", "image file is empty (0 bytes); attach it again", path)
    if len(data) > limits.max_bytes:
        raise CaptureError(
            "photo_too_large",
            f"image is {_format_size(len(data))}, above the "
            f"{_format_size(limits.max_bytes)} limit; resize it or raise "
            "QUITUS_PHOTO_MAX_BYTES",
            path,
        )
    if data.startswith(_JPEG_SIGNATURE):
        return "JPEG"
    if data.startswith(_PNG_SIGNATURE):
        return "PNG"
    found = next(
        (name for at, magic, name in _OTHER_SIGNATURES if data[at:].startswith(magic)),
        None,
    )
    found_text = f"a {found} file" if found else "neither a JPEG nor a PNG file"
    raise CaptureError(
        "photo_unsupported_type",
        f"image is {found_text}; only JPEG and PNG are accepted, export it as JPEG "
        "or PNG and attach it again",
        path,
    )


def _decode_upright(data: bytes, image_format: str, path: str, limits: PhotoLimits) -> Image.Image:
    """Decode the first frame after checking the header size, applying EXIF orientation."""
    with Image.open(io.BytesIO(data), formats=[image_format]) as opened:
        width, height = opened.size
        if width * height > limits.max_pixels:
            raise CaptureError(
                "photo_too_many_pixels",
                f"image is {width}x{height} pixels ({width * height:,}), above the "
                f"{limits.max_pixels:,}-pixel limit; resize it or raise "
                "QUITUS_PHOTO_MAX_PIXELS",
                path,
            )
        return ImageOps.exif_transpose(opened)


def _normalize_mode(image: Image.Image, image_format: str) -> Image.Image:
    """Convert to a mode the output format stores well; keep alpha in PNG."""
    if image.mode.startswith("I"):
        # 16-bit grey: a plain convert("L") clips every value above 255 to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image_format == "PNG" and "transparency" in image.info:
        # tRNS lives in the metadata we drop; turn it into a real alpha channel.
        return image.convert("LA" if image.mode in ("1", "L") else "RGBA")
    if image.mode in _KEPT_MODES[image_format]:
        return image
    if image_format == "PNG" and image.has_transparency_data:
        return image.convert("RGBA")
    return image.convert("RGB")


def _fit_within(image: Image.Image, max_side: int) -> Image.Image:
    """Downscale so the longer side is ``max_side``, keeping the aspect ratio."""
    longer = max(image.size)
    if longer <= max_side:
        return image
    scale = max_side / longer
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if image.mode in ("1", "P"):
        # Pillow resamples these modes nearest-neighbour only, which looks jagged.
        image = image.convert("L" if image.mode == "1" else "RGB")
    return image.resize(size, Image.Resampling.LANCZOS)


def _pixels_only(image: Image.Image) -> Image.Image:
    """Copy the pixels (and palette) into a new image, leaving ``info`` behind.

    The encoders read comments, ICC profiles and transparency from ``info``.
    """
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P" and (palette := image.getpalette()) is not None:
        clean.putpalette(palette)
    return clean


def _format_size(count: int) -> str:
    """Render a byte count for a message, rounding up so "above" stays true."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= size:
            return f"{math.ceil(count * 10 / size) / 10:g} {unit}"
    return f"{count} bytes"
