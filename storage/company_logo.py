"""The company's logo: checked, re-encoded and kept in the home, named by its hash.

A logo is company data, not personal data, so it is not encrypted; it is still input
from outside, so it is bounded before it is decoded: the file size first, then the
dimensions read from the header, and only then the pixels. It is re-encoded as PNG
(which drops any metadata or trailing bytes the file carried) and written to
``$QUITUS_HOME/company/logo-<sha256>.png``; a logo that was replaced stays, so a
report is always rendered with the logo it was accepted with. Reading a logo back
checks its hash.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, UnidentifiedImageError

from storage.errors import CompanyIdentityError

__all__ = ["LOGO_MAX_BYTES", "LOGO_MAX_SIDE", "LOGO_MIN_SIDE", "CheckedLogo", "LogoStore", "check_logo"]

LOGO_MAX_BYTES: Final = 1024 * 1024
"""A logo file is at most 1 MiB."""
LOGO_MIN_SIDE: Final = 32
"""Smaller than 32 px on a side, a logo prints as a smudge."""
LOGO_MAX_SIDE: Final = 4000
"""Larger than 4000 px on a side is a photo, not a logo (and a decoding budget)."""
_FORMATS: Final = {"PNG": "image/png", "JPEG": "image/jpeg"}
_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class CheckedLogo:
    """A logo that passed :func:`check_logo`, re-encoded as PNG."""

    png: bytes
    """The PNG bytes that are stored and printed."""
    sha256: str
    """SHA-256 (hex) of :attr:`png`: its name in the home and in the ledger."""
    width: int
    height: int


def check_logo(data: bytes, *, where: str = "--logo") -> CheckedLogo:
    """``data`` as a stored logo, or :class:`CompanyIdentityError` saying what is wrong with it."""
    if len(data) > LOGO_MAX_BYTES:
        raise CompanyIdentityError(
            f"{where}: the logo is {len(data)} bytes; at most {LOGO_MAX_BYTES} (1 MiB): "
            "export it smaller (a logo of 600 px across is plenty)"
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = _check_header(image, where)
            image.load()
            bands = "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
            converted = image.convert(bands)
    except CompanyIdentityError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise CompanyIdentityError(
            f"{where}: the logo cannot be read as a PNG or JPEG image ({exc.__class__.__name__})"
        ) from exc
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    return CheckedLogo(png, hashlib.sha256(png).hexdigest(), width, height)


def _check_header(image: Image.Image, where: str) -> tuple[int, int]:
    """Format and dimensions, from the header only: before any pixel is decoded."""
    width, height = image.size
    if image.format not in _FORMATS:
        raise CompanyIdentityError(
            f"{where}: the logo is {image.format or 'not an image'}; give a PNG or JPEG file"
        )
    if not (LOGO_MIN_SIDE <= width <= LOGO_MAX_SIDE and LOGO_MIN_SIDE <= height <= LOGO_MAX_SIDE):
        raise CompanyIdentityError(
            f"{where}: the logo is {width}×{height} px; each side must be between "
            f"{LOGO_MIN_SIDE} and {LOGO_MAX_SIDE} px"
        )
    return width, height


class LogoStore:
    """Logos in a folder of the home (``$QUITUS_HOME/company``), by content hash."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise CompanyIdentityError(f"not a logo hash: {sha256[:80]!r}")
        return self.directory / f"logo-{sha256}.png"

    def put(self, logo: CheckedLogo) -> Path:
        """Write ``logo`` (atomically: a reader never sees half a file); idempotent."""
        path = self.path_of(logo.sha256)
        if path.exists():
            return path
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = self.directory / f".logo-{secrets.token_hex(8)}.partial"
        try:
            with partial.open("xb") as out:
                out.write(logo.png)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return path

    def get(self, sha256: str) -> bytes:
        """The logo of hash ``sha256``; :class:`CompanyIdentityError` when it is missing or altered."""
        path = self.path_of(sha256)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CompanyIdentityError(
                f"the company logo {path} is missing: restore it from a backup of the home, "
                "or set the logo again (`quitus company set --logo FILE`)"
            ) from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CompanyIdentityError(
                f"the company logo {path} was altered (its SHA-256 is not its name): "
                "restore it from a backup, or set the logo again"
            )
        return data
