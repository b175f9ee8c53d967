"""Fillable PDF forms: a blank form per template, and reading a filled one back.

A technician who has no app fills a report on a tablet, in any PDF reader that
supports forms. :func:`blank_form` draws an A4 form in French for one template;
:func:`read_form` turns the filled PDF into the JSON shape of
:class:`~reports.schema.InterventionReport`, ready for ``model_validate``: the schema
and the template validation, not this module, judge what was typed.

Field names are the report's JSON paths, so a validation error names the field to
correct: ``client.address.city``, ``request.date``, ``checklist.<item>.status``,
``checklist.<item>.comment``, ``measurements.<id>``, ``selections.<id>``,
``parts.<row>.reference``, ``client_signature.signer_name``… The form describes itself
in read-only hidden fields (``quitus.*``): the template id, the form version, the
measurement units and where the signature boxes are, so reading depends neither on
the template catalogue nor on layout constants.

Photos travel as file attachments named ``avant-*``, ``apres-*`` or ``autre-*``; a
signature is what the reader app draws in a signature box, an Ink annotation, which
is rasterized to a PNG here.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import reportlab
from PIL import Image, ImageDraw
from pypdf import PasswordType, PdfReader
from pypdf.errors import FileNotDecryptedError, PyPdfError
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from reports.errors import CaptureError
from reports.templates import Template

__all__ = [
    "CHECKLIST_STATUSES",
    "FORM_VERSION",
    "PART_ROWS",
    "SIGNATURE_FIELDS",
    "FormInfo",
    "SignatureBox",
    "blank_form",
    "form_info",
    "read_form",
]

FORM_VERSION = "1"
"""Version of the field-name convention; :func:`read_form` refuses any other."""
PART_ROWS = 6
"""Rows of the parts table (``parts.0.*`` to ``parts.5.*``)."""
SIGNATURE_FIELDS = ("client_signature", "technician_signature")
CHECKLIST_STATUSES = (
    ("fait", "Fait"),
    ("non_fait", "Non fait"),
    ("non_applicable", "Non applicable"),
    ("anomalie", "Anomalie"),
)
"""(export value, label shown) of a checklist status dropdown."""

_TEMPLATE = "quitus.template"
_VERSION = "quitus.form_version"
_UNITS = "quitus.units"
_BOXES = "quitus.signature_boxes"
_NOT_A_FORM = "this PDF is not a quitus form; generate one with `quitus forms blank TEMPLATE -o form.pdf`"
# A dropdown left untouched holds this option; reportlab cannot create one with an empty value.
_UNSET = " "
# pypdf raises builtin exceptions, not only its own, on malformed files.
_PYPDF_FAILURES = (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError)

_Kind = Literal["text", "multiline", "choice", "date", "datetime", "year", "decimal"]


@dataclass(frozen=True)
class _Field:
    path: str
    """Field name, the report's JSON path."""
    label: str
    kind: _Kind = "text"
    span: float = 1.0
    """Share of the row's width."""
    options: tuple[tuple[str, str], ...] = ()
    """(export value, label) of a dropdown."""
    lines: int = 1


_Row = tuple[_Field, ...]
_DATE_HINT, _DATETIME_HINT = "JJ/MM/AAAA", "JJ/MM/AAAA HH:MM"
_KINDS = (("particulier", "Particulier"), ("professionnel", "Professionnel"))
_CHANNELS = (
    ("telephone", "Téléphone"),
    ("email", "E-mail"),
    ("portail", "Portail client"),
    ("sur_site", "Sur site"),
    ("contrat", "Contrat d'entretien"),
)
_OUTCOMES = (("completed", "Terminée"), ("unfinished", "Inachevée"))
_PART_UNITS = (("u", "u"), ("m", "m"), ("m2", "m²"), ("kg", "kg"), ("g", "g"), ("L", "L"), ("h", "h"))


def _address(prefix: str) -> list[_Row]:
    return [
        (_Field(f"{prefix}.street", "Adresse (numéro et rue)"),),
        (_Field(f"{prefix}.postal_code", "Code postal", span=0.25), _Field(f"{prefix}.city", "Ville", span=0.75)),
    ]


_SECTIONS: tuple[tuple[str, list[_Row]], ...] = (
    ("Entreprise", [(_Field("company.name", "Raison sociale", span=0.65),
                     _Field("company.siret", "SIRET (14 chiffres)", span=0.35))]),
    ("Client", [
        (_Field("client.kind", "Type de client", "choice", 0.3, _KINDS),
         _Field("client.name", "Nom du client ou du contact", span=0.7)),
        (_Field("client.company_name", "Raison sociale (client professionnel)"),),
        *_address("client.address"),
        (_Field("client.phone", "Téléphone", span=0.4), _Field("client.email", "E-mail", span=0.6)),
    ]),
    ("Site d'intervention (si différent de l'adresse du client)", [
        (_Field("site.name", "Nom du site (résidence, bâtiment…)"),),
        *_address("site.address"),
        (_Field("site.access_notes", "Accès (codes, clés, interlocuteur)", "multiline", lines=2),),
    ]),
    ("Demande", [
        (_Field("request.date", f"Date de la demande ({_DATE_HINT})", "date", 0.35),
         _Field("request.channel", "Canal", "choice", 0.65, _CHANNELS)),
        (_Field("request.description", "Description de la demande", "multiline", lines=3),),
    ]),
    ("Équipement", [
        (_Field("equipment.brand", "Marque", span=0.35), _Field("equipment.model", "Modèle", span=0.45),
         _Field("equipment.installed_year", "Année d'installation", "year", 0.2)),
        (_Field("equipment.serial_number", "Numéro de série", span=0.5),),
    ]),
    ("Technicien", [
        (_Field("technician.id", "Matricule", span=0.25), _Field("technician.name", "Nom", span=0.45),
         _Field("technician.certification", "N° d'attestation / certification", span=0.3)),
        (_Field("arrival", f"Arrivée sur site ({_DATETIME_HINT})", "datetime", 0.5),
         _Field("departure", f"Départ du site ({_DATETIME_HINT})", "datetime", 0.5)),
    ]),
)
_PARTS_ROWS = [
    (_Field(f"parts.{row}.reference", "Référence", span=0.25), _Field(f"parts.{row}.label", "Désignation", span=0.5),
     _Field(f"parts.{row}.quantity", "Quantité", "decimal", 0.13),
     _Field(f"parts.{row}.unit", "Unité", "choice", 0.12, _PART_UNITS))
    for row in range(PART_ROWS)
]
_OUTCOME_ROWS = [
    (_Field("outcome.status", "Issue de l'intervention", "choice", 0.4, _OUTCOMES),),
    (_Field("outcome.reason", "Si inachevée : motif", "multiline", lines=2),),
    (_Field("outcome.reschedule.preferred_date", f"Date souhaitée pour le retour ({_DATE_HINT})", "date", 0.4),),
    (_Field("outcome.reschedule.notes", "Ce que la prochaine visite demande", "multiline", lines=2),),
]
_SIGNER_ROWS = {
    who: (_Field(f"{who}.signer_name", "Nom du signataire", span=0.5),
          _Field(f"{who}.signed_at", f"Signé le ({_DATETIME_HINT})", "datetime", 0.5))
    for who in SIGNATURE_FIELDS
}
_STATIC_FIELDS: dict[str, _Field] = {
    f.path: f
    for rows in (*(rows for _, rows in _SECTIONS), _PARTS_ROWS, _OUTCOME_ROWS, list(_SIGNER_ROWS.values()))
    for row in rows
    for f in row
} | {"submission_id": _Field("submission_id", "N° de formulaire"),
     "observations": _Field("observations", "Observations", "multiline", lines=4)}


# ---------------------------------------------------------------------------------------------- blank form

_FONT, _BOLD = "QuitusSans", "QuitusSans-Bold"
_FONTS_DIR = Path(reportlab.__file__).parent / "fonts"
_MARGIN, _GAP, _FIELD_HEIGHT, _LINE_HEIGHT, _LABEL_SIZE = 36.0, 8.0, 16.0, 12.0, 7.5
_SIGNATURE_BOX_HEIGHT = 90.0
_GRAY, _TINT, _BLACK = colors.Color(0.55, 0.55, 0.55), colors.Color(0.94, 0.96, 1), colors.black


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature is drawn: a rectangle on one page, in PDF points."""

    page: int
    """Index of the page, from 0."""
    rect: tuple[float, float, float, float]
    """(left, bottom, right, top) in default user space."""

    def overlaps(self, other: Sequence[float]) -> bool:
        """Whether the rectangle ``(x0, y0, x1, y1)``, in any corner order, meets this box."""
        x0, x1 = sorted((float(other[0]), float(other[2])))
        y0, y1 = sorted((float(other[1]), float(other[3])))
        left, bottom, right, top = self.rect
        return x0 <= right and x1 >= left and y0 <= top and y1 >= bottom


@dataclass(frozen=True)
class FormInfo:
    """What a form says about itself in its hidden ``quitus.*`` fields."""

    template_id: str
    """``<equipment_category>.<intervention_type>``."""
    units: Mapping[str, str]
    """Unit printed next to each measurement, by measurement id."""
    signature_boxes: Mapping[str, SignatureBox]
    """``client_signature`` and ``technician_signature`` boxes."""


def _register_fonts() -> None:
    # Vera ships with reportlab and covers French text plus Ω, ², °, µ used by units.
    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_FONT, str(_FONTS_DIR / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(_BOLD, str(_FONTS_DIR / "VeraBd.ttf")))


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
        self.canvas.drawString(_MARGIN, _MARGIN / 2, f"quitus · formulaire {self.template.id} · page {self.page + 1}")

    def need(self, height: float) -> None:
        if self.y - height < _MARGIN:
            self.canvas.showPage()
            self.page += 1
            self.y = self.height - _MARGIN
            self._footer()

    def text(self, text: str, *, size: float = 8.5, bold: bool = False, gray: float = 0.0, indent: float = 0) -> None:
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

    def row(self, fields: Iterable[_Field], *, values: Mapping[str, str] | None = None) -> None:
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
            self.widget(spec, x, self.y - _LINE_HEIGHT - _field_height(spec), width, (values or {}).get(spec.path, ""))
            x += width + _GAP
        self.y -= _LINE_HEIGHT + height + 4

    def widget(self, spec: _Field, x: float, y: float, width: float, value: str = "") -> None:
        common: dict[str, Any] = {
            "name": spec.path, "tooltip": spec.label, "x": x, "y": y, "width": width,
            "height": _field_height(spec), "fontSize": 9, "borderWidth": 0.6,
            "borderColor": _GRAY, "fillColor": _TINT, "textColor": _BLACK,
        }
        if spec.kind == "choice":
            options = [_UNSET, *((label, export) for export, label in spec.options)]
            self.form.choice(value=value or _UNSET, options=options, **common)
        else:
            flags = "multiline doNotScroll" if spec.kind == "multiline" else ""
            self.form.textfield(value=value, maxlen=0, fieldFlags=flags, **common)

    def hidden(self, name: str, value: str) -> None:
        self.form.textfield(name=name, value=value, x=0, y=0, width=1, height=1, maxlen=0,
                            annotationFlags="hidden", fieldFlags="readOnly", borderWidth=0)




def _field_height(spec: _Field) -> float:
    return _FIELD_HEIGHT if spec.lines == 1 else 4 + 11 * spec.lines


def blank_form(template: Template, *, company_name: str | None = None) -> bytes:
    """An empty A4 form in French for ``template``, with a fresh ``submission_id``.

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
    page.row([_STATIC_FIELDS["submission_id"]], values={"submission_id": f"form-{secrets.token_hex(8)}"})
    for title, rows in _SECTIONS:
        page.section(title)
        for row in rows:
            page.row(row, values={"company.name": company_name or ""})
    _draw_template_parts(page, template)
    page.section("Pièces et fournitures utilisées")
    for row in _PARTS_ROWS:
        page.row(row)
    page.section("Observations et issue")
    page.row([_STATIC_FIELDS["observations"]])
    for row in _OUTCOME_ROWS:
        page.row(row)
    _draw_photo_instructions(page, template)
    boxes = _draw_signatures(page)
    page.hidden(_TEMPLATE, template.id)
    page.hidden(_VERSION, FORM_VERSION)
    page.hidden(_UNITS, json.dumps({m.id: m.unit for m in template.measurements}))
    page.hidden(_BOXES, json.dumps({who: {"page": b.page, "rect": list(b.rect)} for who, b in boxes.items()}))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_template_parts(page: _FormCanvas, template: Template) -> None:
    if template.checklist:
        page.section("Points de contrôle")
        for item in template.checklist:
            page.need(2 * _LINE_HEIGHT + _FIELD_HEIGHT + 6)
            page.text(item.label + ("" if item.required else " (facultatif)"), size=8.5)
            page.row([_Field(f"checklist.{item.id}.status", "État", "choice", 0.25, CHECKLIST_STATUSES),
                      _Field(f"checklist.{item.id}.comment", "Commentaire", span=0.75)])
    if template.measurements:
        page.section("Mesures")
        for measure in template.measurements:
            page.need(_FIELD_HEIGHT + 8)
            page.y -= _FIELD_HEIGHT + 6
            page.canvas.setFont(_FONT, 8.5)
            page.canvas.setFillGray(0)
            label = measure.label + ("" if measure.required else " (facultatif)")
            page.canvas.drawString(_MARGIN, page.y + 5, simpleSplit(label, _FONT, 8.5, 300)[0])
            page.canvas.setFont(_FONT, 7.5)
            page.canvas.setFillGray(0.35)
            page.canvas.drawString(_MARGIN + 305, page.y + 5, f"plage {_number(measure.min)} – {_number(measure.max)}")
            page.widget(_Field(f"measurements.{measure.id}", measure.label), _MARGIN + 395, page.y, 80)
            page.canvas.setFont(_FONT, 9)
            page.canvas.setFillGray(0)
            page.canvas.drawString(_MARGIN + 480, page.y + 5, measure.unit)
    if template.selections:
        page.section("Constatations")
        for selection in template.selections:
            options = tuple((choice, choice) for choice in selection.choices)
            page.row([_Field(f"selections.{selection.id}", selection.label, "choice", options=options)])


def _draw_photo_instructions(page: _FormCanvas, template: Template) -> None:
    page.section("Photos")
    page.text("Joindre les photos en pièces jointes nommées avant-*.jpg / apres-*.jpg / autre-*.jpg "
              "(par exemple avant-1.jpg, apres-1.jpg).", size=8.5)
    names = {"before": "avant", "after": "apres", "other": "autre"}
    for need in template.photos:
        page.text(f"• au moins {need.min_count} photo(s) {names[need.kind]}-*.jpg : {need.label}", size=8.5, indent=8)


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
        for offset, spec in enumerate(_SIGNER_ROWS[who]):
            field_top = bottom - 4 - offset * (_LINE_HEIGHT + _FIELD_HEIGHT + 2)
            page.canvas.setFont(_FONT, _LABEL_SIZE)
            page.canvas.setFillGray(0.3)
            page.canvas.drawString(x, field_top - _LABEL_SIZE - 1, spec.label)
            page.widget(spec, x, field_top - _LINE_HEIGHT - _FIELD_HEIGHT, width)
    page.y = top - _LINE_HEIGHT - _SIGNATURE_BOX_HEIGHT - 2 * (_LINE_HEIGHT + _FIELD_HEIGHT + 4)
    return boxes


# ------------------------------------------------------------------------------------------------- reading

_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_TIME = re.compile(r"(?:\s+|\s*[Tà]\s*)(\d{1,2})\s*[:hH]\s*(\d{2})")
_PHOTO_NAME = re.compile(r"^(avant|apres|après|autre|before|after|other)[-_ ]", re.IGNORECASE)
_PHOTO_KINDS = {"avant": "before", "apres": "after", "après": "after", "autre": "other"}
_INK_SCALE = 4.0
"""Pixels per PDF point when rasterizing a signature."""


def read_form(data: bytes) -> dict[str, Any]:
    """The filled form ``data`` as an ``InterventionReport``-shaped dict.

    Empty fields are left out; French dates (JJ/MM/AAAA, JJ/MM/AAAA HH:MM) become ISO
    8601, decimal commas become points. What cannot be read is kept as typed, so the
    schema validation reports it under the field's path. Raises :class:`CaptureError`
    (``pdf_corrupt``, ``pdf_encrypted``, ``not_a_form``, ``form_version_unsupported``).
    """
    reader = _open(data)
    try:
        fields = reader.get_fields() or {}
        info = form_info(reader)
        report = _report_from_fields(fields, info)
        photos = [
            {"kind": _photo_kind(name), "image": {"content_base64": base64.b64encode(content).decode("ascii")}}
            for name, contents in reader.attachments.items()
            for content in contents
        ]
        strokes = _ink_strokes(reader, info.signature_boxes)
    except FileNotDecryptedError as exc:
        raise CaptureError("pdf_encrypted", _ENCRYPTED) from exc
    except _PYPDF_FAILURES as exc:
        raise CaptureError("pdf_corrupt", _CORRUPT) from exc
    if photos:
        report["photos"] = photos
    for who, box in info.signature_boxes.items():
        if strokes.get(who):
            png = _rasterize(strokes[who], box)
            report.setdefault(who, {})["image"] = {"content_base64": base64.b64encode(png).decode("ascii")}
    return report


_CORRUPT = "the file is not a readable PDF; export the form again from the tablet and resubmit it"
_ENCRYPTED = "the PDF is password-protected; save an unprotected copy of the filled form and resubmit it"


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise CaptureError("pdf_encrypted", _ENCRYPTED)
    except FileNotDecryptedError as exc:
        raise CaptureError("pdf_encrypted", _ENCRYPTED) from exc
    except _PYPDF_FAILURES as exc:
        raise CaptureError("pdf_corrupt", _CORRUPT) from exc
    return reader


def form_info(reader: PdfReader) -> FormInfo:
    """What the form says about itself; raises ``not_a_form`` or ``form_version_unsupported``."""
    fields = reader.get_fields() or {}
    template_id = _value(fields.get(_TEMPLATE))
    if not template_id:
        raise CaptureError("not_a_form", _NOT_A_FORM)
    version = _value(fields.get(_VERSION))
    if version != FORM_VERSION:
        raise CaptureError(
            "form_version_unsupported",
            f"this form has version {version[:10]!r} and this quitus reads version {FORM_VERSION}; "
            "fill a form generated by this installation (`quitus forms blank TEMPLATE -o form.pdf`)",
        )
    try:
        units = json.loads(_value(fields.get(_UNITS)) or "{}")
        boxes = {
            who: SignatureBox(int(box["page"]), tuple(float(v) for v in box["rect"]))  # type: ignore[arg-type]
            for who, box in json.loads(_value(fields.get(_BOXES)) or "{}").items()
            if who in SIGNATURE_FIELDS
        }
        category, intervention_type = template_id.split(".")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CaptureError(
            "not_a_form", "the hidden quitus fields of this form are damaged; fill a new blank form"
        ) from exc
    if not isinstance(units, dict) or not category or not intervention_type:
        raise CaptureError("not_a_form", "the hidden quitus fields of this form are damaged; fill a new blank form")
    return FormInfo(template_id, {str(k): str(v) for k, v in units.items()}, boxes)


def _value(field: Mapping[str, Any] | None) -> str:
    """A field's value as stripped text; a dropdown label is mapped to its export value."""
    if field is None:
        return ""
    raw = field.get("/V")
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw or "")
    for option in field.get("/Opt") or ():
        if isinstance(option, list) and len(option) == 2 and text == str(option[1]):
            return str(option[0]).strip()
    return text.strip()


def _report_from_fields(fields: Mapping[str, Any], info: FormInfo) -> dict[str, Any]:
    category, intervention_type = info.template_id.split(".")
    report: dict[str, Any] = {"equipment": {"category": category}, "intervention_type": intervention_type}
    checklist: dict[str, dict[str, str]] = {}
    parts: dict[str, dict[str, str]] = {}
    for name, field in fields.items():
        value = _value(field)
        head, _, rest = name.partition(".")
        if not value or head == "quitus":
            continue
        if head == "checklist" and rest.count(".") == 1:
            item_id, key = rest.split(".")
            checklist.setdefault(item_id, {"id": item_id})[key] = value
        elif head == "measurements" and rest:
            unit = info.units.get(rest)
            measurement = {"id": rest, "value": _decimal(value, unit)} | ({"unit": unit} if unit else {})
            report.setdefault("measurements", []).append(measurement)
        elif head == "selections" and rest:
            report.setdefault("selections", {})[rest] = value
        elif head == "parts" and name in _STATIC_FIELDS:
            row, key = rest.split(".")
            parts.setdefault(row, {})[key] = _decimal(value) if key == "quantity" else value
        elif name in _STATIC_FIELDS:
            _set(report, name, _convert(value, _STATIC_FIELDS[name].kind))
    if checklist:
        report["checklist"] = list(checklist.values())
    if parts:
        report["parts"] = [parts[row] for row in sorted(parts, key=int)]
    outcome = report.get("outcome")
    if outcome is not None and outcome.get("status") == "unfinished":
        outcome.setdefault("reschedule", {})
    return report


def _set(report: dict[str, Any], path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    for parent in parents:
        report = report.setdefault(parent, {})
    report[leaf] = value


def _convert(value: str, kind: _Kind) -> object:
    if kind in ("date", "datetime"):
        return _iso(value, with_time=kind == "datetime")
    if kind == "year" and value.isdigit():
        return int(value)
    return value


def _iso(value: str, *, with_time: bool) -> str:
    """ISO 8601 for a French date (and time); ``value`` itself when it is not one."""
    date = _DATE.match(value)
    time = _TIME.fullmatch(value, date.end()) if date else None
    if date is None or (time is None if with_time else date.end() != len(value)):
        return value
    day, month, year = (int(g) for g in date.groups())
    try:
        if time is None:
            return dt.date(year, month, day).isoformat()
        return dt.datetime(year, month, day, int(time[1]), int(time[2])).isoformat()
    except ValueError:
        return value


def _decimal(value: str, unit: str | None = None) -> str:
    """``"1 234,5 bar"`` → ``"1234.5"``; anything else unchanged."""
    text = value.removesuffix(unit).strip() if unit else value
    text = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
    return text if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", text) else value


def _photo_kind(name: str) -> str:
    match = _PHOTO_NAME.match(name)
    word = match[1].lower() if match else "other"
    return _PHOTO_KINDS.get(word, word)


def _ink_strokes(reader: PdfReader, boxes: Mapping[str, SignatureBox]) -> dict[str, list[list[tuple[float, float]]]]:
    """Strokes of the Ink annotations that meet each signature box."""
    found: dict[str, list[list[tuple[float, float]]]] = {}
    for who, box in boxes.items():
        if box.page >= len(reader.pages):
            continue
        for annotation in reader.pages[box.page].get("/Annots") or ():
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Ink" or not box.overlaps(annotation.get("/Rect", (0, 0, 0, 0))):
                continue
            for stroke in annotation.get("/InkList") or ():
                numbers = [float(n) for n in stroke]
                found.setdefault(who, []).append(list(zip(numbers[::2], numbers[1::2], strict=False)))
    return found


def _rasterize(strokes: Iterable[Sequence[tuple[float, float]]], box: SignatureBox) -> bytes:
    """Black strokes on white, the size of the box at ``_INK_SCALE`` pixels per point."""
    left, bottom, right, top = box.rect
    size = (round((right - left) * _INK_SCALE), round((top - bottom) * _INK_SCALE))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    width = max(2, round(1.2 * _INK_SCALE))
    for stroke in strokes:
        points = [((x - left) * _INK_SCALE, (top - y) * _INK_SCALE) for x, y in stroke]
        if len(points) == 1:
            (x, y), r = points[0], width / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
        elif points:
            draw.line(points, fill=0, width=width, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
