"""The embedded fonts of the rendered report: DejaVu Sans, regular and bold.

The TrueType files ship in ``reports/pdf/fonts/`` (licence in ``LICENSE.txt``) so the
PDF looks the same everywhere and every character a French report uses renders:
accents, ``€``, ``°C``, ``Ω``, ``µ``, ``²``, ``•``, ``✓``/``✗``. reportlab embeds the
subset of glyphs used.
"""

from __future__ import annotations

from pathlib import Path
from threading import Lock

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from reports.pdf.errors import PdfRenderError

__all__ = ["BOLD", "FONTS_DIR", "REGULAR", "register_fonts"]

FONTS_DIR = Path(__file__).parent / "fonts"
REGULAR = "QuitusReport-Sans"
"""reportlab name of the regular face (distinct from the form's ``QuitusSans``)."""
BOLD = "QuitusReport-Sans-Bold"
"""reportlab name of the bold face."""

_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_lock = Lock()


def register_fonts() -> None:
    """Register the two faces with reportlab once per process (thread-safe).

    Raises:
        PdfRenderError: code ``fonts_missing`` when a font file is missing or damaged.
    """
    if BOLD in pdfmetrics.getRegisteredFontNames():
        return
    with _lock:
        if BOLD in pdfmetrics.getRegisteredFontNames():
            return
        try:
            for name, file_name in _FILES.items():
                pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / file_name)))
        except (OSError, TTFError) as exc:
            raise PdfRenderError(
                "fonts_missing",
                f"the report fonts are missing or damaged in {FONTS_DIR} "
                f"({', '.join(_FILES.values())}); reinstall quitus",
            ) from exc
        # <b> in paragraphs picks the bold face; there is no italic face, so italics stay upright.
        for bold, italic in ((0, 0), (0, 1), (1, 0), (1, 1)):
            addMapping(REGULAR, bold, italic, BOLD if bold else REGULAR)
