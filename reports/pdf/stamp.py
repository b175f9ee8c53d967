"""The visible seal stamp: a small box drawn with reportlab, placed by pyHanko.

The stamp names the company (a legal person), the sealing time and the issuing CA —
no personal data. It is drawn with the report's embedded fonts, so accents render in
every viewer, and lands in :data:`reports.pdf.layout.SEAL_BOX` on the last page.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache

from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.pdfgen.canvas import Canvas

from reports.pdf.fonts import BOLD, REGULAR, register_fonts
from reports.pdf.layout import ACCENT, INK, MUTED, SEAL_BOX, fitted
from reports.schema import PARIS

__all__ = ["StampContent", "draw_stamp"]

VERIFICATION_TEXT = "Vérification : quitus verify-pdf ou Adobe Reader"


def draw_stamp(company_name: str, issuer_name: str, sealed_at: dt.datetime) -> bytes:
    """A one-page PDF the size of :data:`SEAL_BOX` holding the stamp.

    The stamp shows the minute of sealing (the signature itself holds the exact time),
    so a batch sealed within a minute draws it once.
    """
    minute = sealed_at.astimezone(PARIS).replace(second=0, microsecond=0)
    return _draw_stamp(company_name, issuer_name, minute)


@lru_cache(maxsize=8)
def _draw_stamp(company_name: str, issuer_name: str, sealed_at: dt.datetime) -> bytes:
    register_fonts()
    width, height = SEAL_BOX[2] - SEAL_BOX[0], SEAL_BOX[3] - SEAL_BOX[1]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, initialFontName=REGULAR)
    outline = canvas.beginPath()
    outline.roundRect(0.6, 0.6, width - 1.2, height - 1.2, 4)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.drawPath(outline, stroke=0, fill=1)
    canvas.saveState()
    canvas.clipPath(outline, stroke=0, fill=0)
    canvas.setFillColor(ACCENT)
    canvas.rect(0, height - 14, width, 14, stroke=0, fill=1)
    canvas.restoreState()
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(1.2)
    canvas.drawPath(outline, stroke=1, fill=0)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont(BOLD, 7.5)
    canvas.drawString(7, height - 10.5, "CACHET ÉLECTRONIQUE — DOCUMENT SCELLÉ")
    inner = width - 14
    name, size = fitted(company_name, BOLD, 9, inner)
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, size)
    canvas.drawString(7, height - 25, name)
    local = sealed_at.astimezone(PARIS)
    canvas.setFont(REGULAR, 7.2)
    canvas.drawString(7, height - 35, f"Scellé le {local:%d/%m/%Y} à {local:%H:%M} (heure de Paris)")
    canvas.setFillColor(MUTED)
    issuer, size = fitted(f"Certificat émis par : {issuer_name}", REGULAR, 6.3, inner)
    canvas.setFont(REGULAR, size)
    canvas.drawString(7, height - 45, issuer)
    hint, size = fitted(VERIFICATION_TEXT, REGULAR, 6.3, inner)
    canvas.setFont(REGULAR, size)
    canvas.drawString(7, height - 54, hint)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@lru_cache(maxsize=8)
def _stamp_reader(pdf: bytes) -> PdfFileReader:
    """The stamp parsed once (a batch seals with one stamp a minute); each sealed document
    imports its page from it. A reader only reads: sharing it between documents is safe."""
    return PdfFileReader(io.BytesIO(pdf))


class StampContent(PdfContent):
    """The first page of a PDF (given as bytes) as the appearance of a signature field."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__(
            box=BoxConstraints(width=SEAL_BOX[2] - SEAL_BOX[0], height=SEAL_BOX[3] - SEAL_BOX[1])
        )
        self.pdf = pdf

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(_stamp_reader(self.pdf), page_ix=0)
        self.resources.xobject["/QuitusStamp"] = xobject
        return b"/QuitusStamp Do"
