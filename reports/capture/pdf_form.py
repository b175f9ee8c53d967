"""Fillable PDF forms: a blank A4 form per template, and reading a filled one back.

A technician without the app fills a report on a tablet, in any PDF reader that
supports forms: :func:`blank_form` draws the form in French for one template, with
dropdowns for statuses and choices, the unit and allowed range next to each
measurement, and two signature boxes; :func:`read_form` (from
:mod:`reports.capture.pdf_form_read`) turns the filled PDF into the JSON shape of a
report. Field names follow :mod:`reports.capture.pdf_form_fields`: they are the
report's JSON paths.
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from reports.capture.pdf_form_fields import (
    BOXES_FIELD,
    CHECKLIST_STATUSES,
    FORM_ID_FIELD,
    FORM_VERSION,
    OBSERVATIONS,
    OUTCOME_ROWS,
    PARTS_ROWS,
    SECTIONS,
    SIGNATURE_FIELDS,
    SIGNER_ROWS,
    SUBMISSION_ID,
    TEMPLATE_FIELD,
    UNITS_FIELD,
    UNSET_CHOICE,
    VERSION_FIELD,
    FieldSpec,
    SignatureBox,
)
from reports.capture.pdf_form_read import read_form
from reports.errors import FormError
from reports.templates import MeasurementSpec, Template, ThresholdSpec

__all__ = ["blank_form", "read_form"]

_FONT, _BOLD = "QuitusSans", "QuitusSans-Bold"
_FONTS_DIR = Path(reportlab.__file__).parent / "fonts"
_MARGIN, _GAP, _FIELD_HEIGHT, _LINE_HEIGHT, _LABEL_SIZE = 36.0, 8.0, 16.0, 12.0, 7.5
_SIGNATURE_BOX_HEIGHT = 90.0
_GRAY, _TINT, _BLACK = colors.Color(0.55, 0.55, 0.55), colors.Color(0.94, 0.96, 1), colors.black


def _register_fonts() -> None:
    # Vera ships with reportlab and covers French text plus Ω, ², °, µ used by units.
    if _FONT in pdfmetrics.getRegisteredFontNames():
        return
    try:
        pdfmetrics.registerFont(TTFont(_FONT, str(_FONTS_DIR / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(_BOLD, str(_FONTS_DIR / "VeraBd.ttf")))
    except (OSError, TTFError) as exc:
        raise FormError(
            f"the Vera fonts shipped with reportlab are missing from {_FONTS_DIR}; "
            "reinstall reportlab (`pip install --force-reinstall reportlab`)"
        ) from exc


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}".replace(".", ",")


class _FormCanvas:
    """Draws the form top to bottom, opening a page when the next block does not fit."""

    def __init__(self, canvas: Canvas, template: Template) -> None:
        self.canvas = canvas
        self.form = canvas.acroForm
        self.template = template
        self.width, self.height = A4
        self.inner = self.width - 2 * _MARGIN
        self.page = 0
        self.y = self.height - _MARGIN
        self._footer()

    def _footer(self) -> None:
        self.canvas.setFont(_FONT, 7)
        self.canvas.setFillGray(0.4)
        self.canvas.drawString(
            _MARGIN, _MARGIN / 2, f"quitus · formulaire {self.template.id} · page {self.page + 1}"
        )

    def need(self, height: float) -> None:
        if self.y - height < _MARGIN:
            self.canvas.showPage()
            self.page += 1
            self.y = self.height - _MARGIN
            self._footer()

    def text(
        self, text: str, *, size: float = 8.5, bold: bool = False, gray: float = 0.0, indent: float = 0
    ) -> None:
        lines = simpleSplit(text, _BOLD if bold else _FONT, size, self.inner - indent)
        self.need(len(lines) * size * 1.3)
        self.canvas.setFont(_BOLD if bold else _FONT, size)
        self.canvas.setFillGray(gray)
        for line in lines:
            self.y -= size * 1.3
            self.canvas.drawString(_MARGIN + indent, self.y + size * 0.3, line)

    def section(self, title: str) -> None:
        self.need(22 + _LINE_HEIGHT + _FIELD_HEIGHT)
        self.y -= 8
        self.canvas.setFillColorRGB(0.15, 0.3, 0.5)
        self.canvas.rect(_MARGIN, self.y - 14, self.inner, 14, stroke=0, fill=1)
        self.canvas.setFillGray(1)
        self.canvas.setFont(_BOLD, 9)
        self.canvas.drawString(_MARGIN + 4, self.y - 10.5, title)
        self.y -= 18

    def row(self, fields: Iterable[FieldSpec], *, values: Mapping[str, str] | None = None) -> None:
        fields = tuple(fields)
        free = self.inner - _GAP * (len(fields) - 1)
        height = max(_field_height(f) for f in fields)
        self.need(_LINE_HEIGHT + height + 4)
        x = _MARGIN
        for spec in fields:
            width = free * spec.span / sum(f.span for f in fields)
            self.canvas.setFont(_FONT, _LABEL_SIZE)
            self.canvas.setFillGray(0.3)
            self.canvas.drawString(x, self.y - _LABEL_SIZE - 1, spec.label)
            self.widget(
                spec, x, self.y - _LINE_HEIGHT - _field_height(spec), width, (values or {}).get(spec.path, "")
            )
            x += width + _GAP
        self.y -= _LINE_HEIGHT + height + 4

    def widget(self, spec: FieldSpec, x: float, y: float, width: float, value: str = "") -> None:
        common: dict[str, Any] = {
            "name": spec.path,
            "tooltip": spec.label,
            "x": x,
            "y": y,
            "width": width,
            "height": _field_height(spec),
            "fontSize": 9,
            "borderWidth": 0.6,
            "borderColor": _GRAY,
            "fillColor": _TINT,
            "textColor": _BLACK,
        }
        if spec.kind == "choice":
            options = [UNSET_CHOICE, *((label, export) for export, label in spec.options)]
            self.form.choice(value=value or UNSET_CHOICE, options=options, **common)
        else:
            flags = "multiline" if spec.kind == "multiline" else ""
            self.form.textfield(value=value, maxlen=0, fieldFlags=flags, **common)

    def hidden(self, name: str, value: str) -> None:
        self.form.textfield(
            name=name,
            value=value,
            x=0,
            y=0,
            width=1,
            height=1,
            maxlen=0,
            annotationFlags="hidden",
            fieldFlags="readOnly",
            borderWidth=0,
        )


def _field_height(spec: FieldSpec) -> float:
    return _FIELD_HEIGHT if spec.lines == 1 else 4 + 11 * spec.lines


def blank_form(template: Template, *, company_name: str | None = None) -> bytes:
    """An empty A4 form in French for ``template``, with a fresh form id: reusable.

    The technician fills the same blank again and again (a tablet PDF reader saves each
    filled copy as a new file): the ``submission_id`` field is left empty and each copy's
    submission id is derived at ingest from the form id and what the copy holds
    (:func:`~reports.capture.pdf_form_read.copy_submission_id`). Two different copies are
    two reports; the same file sent twice is one.

    ``company_name`` prefills the company's name. Every field is a plain AcroForm
    text field or dropdown, named by its JSON path (see the module docstring).
    """
    _register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=_FONT)
    canvas.setTitle(f"Rapport d'intervention — {template.title}")
    canvas.setCreator("quitus")
    page = _FormCanvas(canvas, template)
    page.text(f"Rapport d'intervention — {template.title}", size=14, bold=True)
    if template.references:
        page.text("Références : " + " ; ".join(template.references), size=7.5, gray=0.35)
    page.text("Dates au format JJ/MM/AAAA, heures HH:MM. Les champs vides sont ignorés.", size=7.5, gray=0.35)
    page.y -= 4
    page.row([SUBMISSION_ID])
    for title, rows in SECTIONS:
        page.section(title)
        for row in rows:
            page.row(row, values={"company.name": company_name or ""})
    _draw_template_parts(page, template)
    page.section("Pièces et fournitures utilisées")
    for row in PARTS_ROWS:
        page.row(row)
    page.section("Observations et issue")
    page.row([OBSERVATIONS])
    for row in OUTCOME_ROWS:
        page.row(row)
    _draw_photo_instructions(page, template)
    boxes = _draw_signatures(page)
    page.hidden(TEMPLATE_FIELD, template.id)
    page.hidden(FORM_ID_FIELD, f"form-{secrets.token_hex(8)}")
    page.hidden(VERSION_FIELD, FORM_VERSION)
    page.hidden(UNITS_FIELD, json.dumps({m.id: m.unit for m in template.measurements}))
    page.hidden(
        BOXES_FIELD, json.dumps({who: {"page": b.page, "rect": list(b.rect)} for who, b in boxes.items()})
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_template_parts(page: _FormCanvas, template: Template) -> None:
    if template.checklist:
        page.section("Points de contrôle")
        for item in template.checklist:
            page.need(2 * _LINE_HEIGHT + _FIELD_HEIGHT + 6)
            page.text(item.label + ("" if item.required else " (facultatif)"), size=8.5)
            page.row(
                [
                    FieldSpec(f"checklist.{item.id}.status", "État", "choice", 0.25, CHECKLIST_STATUSES),
                    FieldSpec(f"checklist.{item.id}.comment", "Commentaire", span=0.75),
                ]
            )
    if template.measurements:
        page.section("Mesures")
        for measure in template.measurements:
            _draw_measurement(page, measure)
            for threshold in measure.thresholds:
                page.text(_threshold_hint(template, measure, threshold), size=7.5, gray=0.35, indent=12)
    if template.selections:
        page.section("Constatations")
        for selection in template.selections:
            options = tuple((choice, choice) for choice in selection.choices)
            page.row([FieldSpec(f"selections.{selection.id}", selection.label, "choice", options=options)])


def _threshold_hint(template: Template, measure: MeasurementSpec, threshold: ThresholdSpec) -> str:
    """What the technician must do beyond a threshold, printed under the measurement."""
    sign = ">" if threshold.above is not None else "<"
    needs = " ; ".join(
        f"« {item.label if item else r.item} » : Fait" + (", avec commentaire" if r.comment else "")
        for r in threshold.requires
        for item in (template.checklist_item(r.item),)
    )
    return f"Si {sign} {_number(threshold.limit)} {measure.unit} — {threshold.label} : {needs}."


def _draw_measurement(page: _FormCanvas, measure: MeasurementSpec) -> None:
    """Label (wrapped), allowed range, the field and its unit on one line."""
    lines = simpleSplit(measure.label + ("" if measure.required else " (facultatif)"), _FONT, 8.5, 300)
    page.need(_FIELD_HEIGHT + 6 + (len(lines) - 1) * 10.5)
    page.y -= _FIELD_HEIGHT + 6
    canvas, baseline = page.canvas, page.y + 5
    canvas.setFont(_FONT, 8.5)
    canvas.setFillGray(0)
    for number, line in enumerate(lines):
        canvas.drawString(_MARGIN, baseline - number * 10.5, line)
    canvas.drawString(_MARGIN + 480, baseline, measure.unit)
    low, high = _number(measure.min), _number(measure.max)
    bounds = f"plage {low} – {high}" if low and high else f"≥ {low}" if low else f"≤ {high}" if high else ""
    canvas.setFont(_FONT, 7.5)
    canvas.setFillGray(0.35)
    canvas.drawString(_MARGIN + 305, baseline, bounds)
    page.widget(
        FieldSpec(f"measurements.{measure.id}", f"{measure.label} ({measure.unit})"),
        _MARGIN + 395,
        page.y,
        80,
    )
    page.y -= (len(lines) - 1) * 10.5


def _draw_photo_instructions(page: _FormCanvas, template: Template) -> None:
    page.section("Photos")
    page.text(
        "Joindre les photos en pièces jointes nommées avant-*.jpg / apres-*.jpg / autre-*.jpg "
        "(par exemple avant-1.jpg, apres-1.jpg).",
        size=8.5,
    )
    names = {"before": "avant", "after": "apres", "other": "autre"}
    for need in template.photos:
        page.text(
            f"• au moins {need.min_count} photo(s) {names[need.kind]}-*.jpg : {need.label}",
            size=8.5,
            indent=8,
        )


def _draw_signatures(page: _FormCanvas) -> dict[str, SignatureBox]:
    page.section("Signatures")
    page.need(_LINE_HEIGHT + _SIGNATURE_BOX_HEIGHT + 2 * (_LINE_HEIGHT + _FIELD_HEIGHT + 4))
    width = (page.inner - 2 * _GAP) / 2
    top = page.y
    boxes: dict[str, SignatureBox] = {}
    titles = {"client_signature": "Signature du client", "technician_signature": "Signature du technicien"}
    for column, who in enumerate(SIGNATURE_FIELDS):
        x = _MARGIN + column * (width + 2 * _GAP)
        page.canvas.setFont(_BOLD, 8.5)
        page.canvas.setFillGray(0)
        page.canvas.drawString(x, top - 10, titles[who])
        bottom = top - _LINE_HEIGHT - 2 - _SIGNATURE_BOX_HEIGHT
        page.canvas.setStrokeGray(0.4)
        page.canvas.rect(x, bottom, width, _SIGNATURE_BOX_HEIGHT, stroke=1, fill=0)
        boxes[who] = SignatureBox(page.page, (x, bottom, x + width, bottom + _SIGNATURE_BOX_HEIGHT))
        for offset, spec in enumerate(SIGNER_ROWS[who]):
            field_top = bottom - 4 - offset * (_LINE_HEIGHT + _FIELD_HEIGHT + 2)
            page.canvas.setFont(_FONT, _LABEL_SIZE)
            page.canvas.setFillGray(0.3)
            page.canvas.drawString(x, field_top - _LABEL_SIZE - 1, spec.label)
            page.widget(spec, x, field_top - _LINE_HEIGHT - _FIELD_HEIGHT, width)
    page.y = top - _LINE_HEIGHT - _SIGNATURE_BOX_HEIGHT - 2 * (_LINE_HEIGHT + _FIELD_HEIGHT + 4)
    return boxes
