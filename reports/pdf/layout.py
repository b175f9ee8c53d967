"""Page geometry, styles and the reportlab machinery shared by the report sections.

Every page has the company header and a footer with the report id, the verification
hint and ``page n / N`` (the total is known only at the end: :class:`_NumberedCanvas`
keeps each page and draws the numbers on save). The last page keeps an empty area,
:data:`SEAL_BOX`, where :func:`reports.pdf.seal.seal_pdf` puts the visible seal stamp.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from reports.pdf.fonts import BOLD, REGULAR, register_fonts
from reports.pdf.images import PreparedImage

__all__ = [
    "CONTENT_WIDTH",
    "SEAL_BOX",
    "VERIFICATION_HINT",
    "ClosingBlock",
    "DocumentInfo",
    "ImageBox",
    "SectionTitle",
    "Styles",
    "build_pdf",
    "fitted",
    "styles",
]

# Images are stored as binary streams: ASCII85 only makes them 25 % larger, and reportlab's
# pure-Python encoder was the largest cost of a render. Process-wide, as reportlab reads it
# when an image is embedded; every reportlab user in quitus is fine with binary streams.
rl_config.useA85 = 0

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 42.0
HEADER_HEIGHT = 74.0
FOOTER_HEIGHT = 46.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
_FRAME_BOTTOM = FOOTER_HEIGHT + 4

SEAL_HEIGHT = 62
SEAL_WIDTH = 270
SEAL_BOX: tuple[int, int, int, int] = (
    round(PAGE_WIDTH - MARGIN_X) - SEAL_WIDTH,
    round(_FRAME_BOTTOM),
    round(PAGE_WIDTH - MARGIN_X),
    round(_FRAME_BOTTOM) + SEAL_HEIGHT,
)
"""Where the visible seal goes on the last page: (x1, y1, x2, y2) in PDF points.

The renderer leaves this rectangle empty at the bottom of the last page."""

VERIFICATION_HINT = "Document scellé électroniquement — vérification : quitus verify-pdf ou Adobe Reader"

INK = colors.Color(0.13, 0.16, 0.22)
ACCENT = colors.Color(0.11, 0.29, 0.49)
MUTED = colors.Color(0.42, 0.45, 0.5)
RULE = colors.Color(0.78, 0.81, 0.86)
TINT = colors.Color(0.95, 0.96, 0.98)
PLACEHOLDER_FILL = colors.Color(0.86, 0.87, 0.89)
GOOD = colors.Color(0.1, 0.45, 0.2)
BAD = colors.Color(0.72, 0.11, 0.11)


@dataclass(frozen=True)
class Styles:
    """Paragraph styles of the report."""

    title: ParagraphStyle
    subtitle: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    caption: ParagraphStyle


@cache
def styles() -> Styles:
    """The report's paragraph styles (fonts registered on first use)."""
    register_fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=8.8, leading=11.6, textColor=INK)
    return Styles(
        title=ParagraphStyle("title", body, fontName=BOLD, fontSize=15, leading=19, textColor=ACCENT),
        subtitle=ParagraphStyle("subtitle", body, fontSize=9, leading=12, textColor=MUTED),
        body=body,
        small=ParagraphStyle("small", body, fontSize=7.4, leading=9.4, textColor=MUTED),
        label=ParagraphStyle("label", body, fontSize=7.8, leading=10, textColor=MUTED),
        cell=ParagraphStyle("cell", body, fontSize=8.2, leading=10.4),
        cell_bold=ParagraphStyle("cell_bold", body, fontName=BOLD, fontSize=8.2, leading=10.4),
        caption=ParagraphStyle("caption", body, fontSize=7.4, leading=9.2, textColor=MUTED),
    )


@dataclass(frozen=True)
class DocumentInfo:
    """What the header, footer and document metadata show. No personal data goes here."""

    report_id: str
    """The number printed in the header and footer (the report number, ``RI-2026-000123``)."""
    company_name: str
    company_siret: str | None
    title: str
    """Document title, e.g. ``Rapport d'intervention RI-2025-000123``."""
    subject: str
    keywords: Sequence[str]
    created: dt.datetime
    """Creation date written in the metadata; derived from the report so bytes are stable."""
    document_id_seed: str
    """Fed to the PDF file identifier instead of the clock."""
    company_lines: Sequence[str] = ()
    """Under the name: legal form and SIRET, address and phone, attestation de capacité."""
    company_logo: bytes | None = None
    """The company's logo (PNG), at the left of the header."""


class SectionTitle(Flowable):  # type: ignore[misc]
    """A section heading with a rule under it; never left alone at the bottom of a page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.keepWithNext = 1
        self.spaceBefore = 10
        self.spaceAfter = 5

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, 15

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFillColor(ACCENT)
        canvas.setFont(BOLD, 10.5)
        canvas.drawString(0, 4, self.text)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(0, 0, self.width, 0)


class ImageBox(Flowable):  # type: ignore[misc]
    """An image fitted in a box (aspect kept, centred), or a grey box with a short text."""

    def __init__(
        self, image: PreparedImage | None, width: float, height: float, *, placeholder: str = ""
    ) -> None:
        super().__init__()
        self.image = image
        self.box_width = width
        self.box_height = height
        self.placeholder = placeholder

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.box_width, self.box_height

    def draw(self) -> None:
        canvas = self.canv
        if self.image is None:
            canvas.setFillColor(PLACEHOLDER_FILL)
            canvas.setStrokeColor(RULE)
            canvas.rect(0, 0, self.box_width, self.box_height, stroke=1, fill=1)
            canvas.setFillColor(MUTED)
            canvas.setFont(REGULAR, 8)
            canvas.drawCentredString(self.box_width / 2, self.box_height / 2 - 3, self.placeholder)
            return
        scale = min(self.box_width / self.image.width, self.box_height / self.image.height)
        width, height = self.image.width * scale, self.image.height * scale
        image = self.image
        reader = _JpegReader(image.jpeg) if image.jpeg is not None else ImageReader(image.pixels)
        canvas.drawImage(
            reader,
            (self.box_width - width) / 2,
            (self.box_height - height) / 2,
            width,
            height,
        )


class _JpegReader(ImageReader):  # type: ignore[misc]
    """A JPEG that reportlab embeds without decoding it.

    ``Canvas.drawImage`` names each image by a digest of ``getRGBData()``, which decodes
    the whole JPEG only to name it; a digest of the file is as good a name and costs
    nothing. reportlab then copies the JPEG bytes into the PDF (``jpeg_fh``).
    """

    def __init__(self, jpeg: bytes) -> None:
        super().__init__(io.BytesIO(jpeg))
        self._identity = hashlib.sha256(jpeg).digest()
        self._dataA = None  # no soft mask: read by drawImage next to getRGBData()

    def getRGBData(self) -> bytes:  # noqa: N802 -- reportlab's name
        return self._identity


class ClosingBlock(Flowable):  # type: ignore[misc]
    """The last flowable: its content at the top, and the seal area kept free at the bottom.

    It takes all the height left in the frame, so the bottom of the frame on the last
    page (where :data:`SEAL_BOX` lies) stays empty. When the content and the seal area
    do not fit in what is left of the page, the whole block moves to the next page.
    """

    def __init__(self, content: Flowable) -> None:
        super().__init__()
        self.content = content
        self._content_height = 0.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        _, self._content_height = self.content.wrap(available_width, available_height)
        needed = self._content_height + SEAL_HEIGHT + 12
        self.height = max(needed, available_height)
        return available_width, self.height

    def draw(self) -> None:
        self.content.drawOn(self.canv, 0, self.height - self._content_height)


def _numbered_canvas_factory(info: DocumentInfo) -> Callable[..., Canvas]:
    """A Canvas class that writes ``page n / N`` on every page once N is known."""

    class _NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            created = info.created
            offset = created.utcoffset() or dt.timedelta(0)
            minutes = int(offset.total_seconds()) // 60
            stamp = created.strftime("D:%Y%m%d%H%M%S") + f"{'+' if minutes >= 0 else '-'}"
            stamp += f"{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"
            self.setDateFormatter(lambda *_: stamp)
            self._doc.updateSignature(info.document_id_seed)

        def showPage(self) -> None:  # noqa: N802 -- reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(REGULAR, 7)
                self.setFillColor(MUTED)
                self.drawRightString(
                    PAGE_WIDTH - MARGIN_X, FOOTER_HEIGHT - 20, f"page {self._pageNumber} / {total}"
                )
                super().showPage()
            super().save()

    return _NumberedCanvas


def fitted(text: str, font: str, size: float, width: float) -> tuple[str, float]:
    """``text`` at ``size`` or smaller (down to 7 pt), cut with an ellipsis if still too wide."""
    while size > 7 and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


_LOGO_HEIGHT = 34.0
_LOGO_MAX_WIDTH = 96.0


def header_height(info: DocumentInfo) -> float:
    """The header grows by a line for each company line past the first."""
    return HEADER_HEIGHT + 9.0 * max(0, len(info.company_lines) - 1)


def _draw_logo(canvas: Canvas, logo: bytes, top: float) -> float:
    """Draw the logo at the top left, at most 34 pt high and 96 pt wide; the width it takes."""
    reader = ImageReader(io.BytesIO(logo))
    width, height = reader.getSize()
    scale = min(_LOGO_HEIGHT / height, _LOGO_MAX_WIDTH / width)
    drawn_width, drawn_height = width * scale, height * scale
    canvas.drawImage(reader, MARGIN_X, top + 10 - drawn_height, drawn_width, drawn_height, mask="auto")
    return float(drawn_width) + 8


def _decorate_page(info: DocumentInfo) -> Callable[[Canvas, Any], None]:
    def decorate(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        top = PAGE_HEIGHT - 34
        left = MARGIN_X + (_draw_logo(canvas, info.company_logo, top) if info.company_logo else 0)
        name, size = fitted(info.company_name, BOLD, 11.5, CONTENT_WIDTH * 0.55 - (left - MARGIN_X))
        canvas.setFillColor(INK)
        canvas.setFont(BOLD, size)
        canvas.drawString(left, top, name)
        canvas.setFont(REGULAR, 7.8)
        canvas.setFillColor(MUTED)
        lines = list(info.company_lines)
        if not lines and info.company_siret:
            lines = [f"SIRET {spaced_siret(info.company_siret)}"]
        for index, line in enumerate(lines):
            shown, line_size = fitted(line, REGULAR, 7.8, CONTENT_WIDTH * 0.6 - (left - MARGIN_X))
            canvas.setFont(REGULAR, line_size)
            canvas.drawString(left, top - 12 - 9 * index, shown)
        right = PAGE_WIDTH - MARGIN_X
        rule = PAGE_HEIGHT - header_height(info) + 20
        canvas.setFillColor(ACCENT)
        canvas.setFont(BOLD, 10)
        canvas.drawRightString(right, top, "Rapport d'intervention")
        number, size = fitted(f"N° {info.report_id}", REGULAR, 8.5, CONTENT_WIDTH * 0.4)
        canvas.setFillColor(INK)
        canvas.setFont(REGULAR, size)
        canvas.drawRightString(right, top - 12, number)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN_X, rule, right, rule)
        canvas.line(MARGIN_X, FOOTER_HEIGHT - 6, right, FOOTER_HEIGHT - 6)
        canvas.setFont(REGULAR, 7)
        canvas.setFillColor(MUTED)
        report, _ = fitted(f"Rapport {info.report_id}", REGULAR, 7, CONTENT_WIDTH - 70)
        canvas.drawString(MARGIN_X, FOOTER_HEIGHT - 20, report)
        canvas.drawString(MARGIN_X, FOOTER_HEIGHT - 30, VERIFICATION_HINT)
        canvas.restoreState()

    return decorate


def spaced_siret(siret: str) -> str:
    """``732 829 320 00074``: a SIRET as it is printed."""
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}" if len(siret) == 14 else siret


def build_pdf(flowables: list[Flowable], info: DocumentInfo) -> bytes:
    """Lay out ``flowables`` on A4 pages with the header and footer; the PDF bytes.

    The output is deterministic: reportlab's invariant mode, a creation date and a file
    identifier taken from ``info``.
    """
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=header_height(info),
        bottomMargin=_FRAME_BOTTOM,
        title=info.title,
        author=info.company_name,
        subject=info.subject,
        keywords=list(info.keywords),
        creator="quitus",
        producer="quitus (reportlab)",
        invariant=1,
        lang="fr-FR",
        initialFontName=REGULAR,
        displayDocTitle=1,
    )
    frame = Frame(
        MARGIN_X,
        _FRAME_BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - header_height(info) - _FRAME_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="content",
    )
    document.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_decorate_page(info))])
    document.build(flowables, canvasmaker=_numbered_canvas_factory(info))
    return buffer.getvalue()
