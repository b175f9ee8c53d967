"""Photos and signatures: the photo grid and the signature block that closes the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from reports.pdf.formatting import CELL_FONT, bold, french_datetime, paragraph
from reports.pdf.images import PreparedImage
from reports.pdf.layout import CONTENT_WIDTH, ImageBox, SectionTitle
from reports.schema import InterventionReport, Signature

__all__ = ["PHOTO_KINDS", "ReportPictures", "photo_grid", "signature_block"]

PHOTO_KINDS = {"before": "avant intervention", "after": "après intervention", "other": "autre"}
_KIND_ORDER = {kind: position for position, kind in enumerate(PHOTO_KINDS)}
_PHOTO_COLUMNS = 3
_PHOTO_GAP = 8.0
_PHOTO_WIDTH = (CONTENT_WIDTH - (_PHOTO_COLUMNS - 1) * _PHOTO_GAP) / _PHOTO_COLUMNS
_PHOTO_HEIGHT = _PHOTO_WIDTH * 0.75
_SIGNATURE_SIZE = (200.0, 68.0)
_REMOVED_PHOTO = "photo retirée"
_REMOVED_SIGNATURE = "signature retirée"


@dataclass(frozen=True)
class ReportPictures:
    """The images to draw, already prepared; all ``None`` in the redacted variant."""

    photos: Sequence[PreparedImage | None]
    """One entry per ``report.photos`` item, in order."""
    client_signature: PreparedImage | None
    technician_signature: PreparedImage | None
    client_signature_sha256: str | None
    """SHA-256 (hex) of the client signature image as stored, printed to bind it to the document."""
    redacted: bool
    """Images were removed on purpose: draw "photo retirée" boxes."""


def photo_grid(report: InterventionReport, pictures: ReportPictures) -> list[Flowable]:
    """One grid, "before" photos first, then "after", then the others; each with its caption."""
    flowables: list[Flowable] = [SectionTitle("Photos")]
    if not report.photos:
        return [*flowables, paragraph("Aucune photo jointe.", "label")]
    order = sorted(
        range(len(report.photos)), key=lambda index: (_KIND_ORDER[report.photos[index].kind], index)
    )
    cells: list[list[Flowable]] = []
    for number, index in enumerate(order, start=1):
        photo = report.photos[index]
        box = ImageBox(pictures.photos[index], _PHOTO_WIDTH, _PHOTO_HEIGHT, placeholder=_REMOVED_PHOTO)
        cell: list[Flowable] = [
            box,
            Spacer(0, 2),
            bold(f"Photo {number} · {PHOTO_KINDS[photo.kind]}", "caption"),
        ]
        if photo.caption:
            cell.append(paragraph(photo.caption, "caption"))
        cells.append(cell)
    rows: list[list[object]] = [
        list(cells[start : start + _PHOTO_COLUMNS]) for start in range(0, len(cells), _PHOTO_COLUMNS)
    ]
    rows[-1] += [""] * (_PHOTO_COLUMNS - len(rows[-1]))
    grid = Table(rows, colWidths=[_PHOTO_WIDTH + _PHOTO_GAP] * _PHOTO_COLUMNS, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                CELL_FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), _PHOTO_GAP),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return [*flowables, grid]


def _signature_column(
    title: str,
    signature: Signature | None,
    image: PreparedImage | None,
    *,
    redacted: bool,
    digest: str | None,
) -> list[Flowable]:
    column: list[Flowable] = [bold(title, "label")]
    if signature is None:
        return [*column, ImageBox(None, *_SIGNATURE_SIZE, placeholder="non signé")]
    column.append(
        ImageBox(image, *_SIGNATURE_SIZE, placeholder=_REMOVED_SIGNATURE if redacted else "non signé")
    )
    column += [
        bold(signature.signer_name),
        paragraph(f"Signé le {french_datetime(signature.signed_at)}", "cell"),
    ]
    if digest is not None:
        column += [paragraph("Empreinte SHA-256 de la signature :", "caption"), paragraph(digest, "caption")]
    return column


def signature_block(report: InterventionReport, pictures: ReportPictures) -> Flowable:
    client = _signature_column(
        "Le client",
        report.client_signature,
        pictures.client_signature,
        redacted=pictures.redacted,
        digest=pictures.client_signature_sha256,
    )
    technician = _signature_column(
        "Le technicien",
        report.technician_signature,
        pictures.technician_signature,
        redacted=pictures.redacted,
        digest=None,
    )
    half = CONTENT_WIDTH / 2
    columns = Table([[client, technician]], colWidths=[half, half], hAlign="LEFT")
    columns.setStyle(
        TableStyle([CELL_FONT, ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    block = Table([[SectionTitle("Signatures")], [columns]], colWidths=[CONTENT_WIDTH], hAlign="LEFT")
    block.setStyle(
        TableStyle([CELL_FONT, ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )
    return block
