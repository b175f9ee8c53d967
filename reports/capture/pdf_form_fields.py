"""The field-name convention shared by the blank form, its reader and the filler.

Field names are the report's JSON paths, so a validation error names the field to
correct:

* fixed fields — ``submission_id``, ``company.name``, ``client.address.city``,
  ``request.date``, ``arrival``, ``observations``, ``outcome.reschedule.notes``,
  ``client_signature.signer_name``… (:data:`STATIC_FIELDS`);
* template fields — ``checklist.<item>.status`` (dropdown of
  :data:`CHECKLIST_STATUSES`), ``checklist.<item>.comment``, ``measurements.<id>``,
  ``selections.<id>``;
* the parts table — ``parts.<row>.reference|label|quantity|unit``, rows from 0;
* hidden, read-only — ``quitus.template`` (template id), ``quitus.form_version``,
  ``quitus.units`` (JSON: unit by measurement id) and ``quitus.signature_boxes``
  (JSON: page and rectangle of each signature box), ``quitus.form_id`` (the blank's own
  id), so the form describes itself.

A dropdown's export value is the JSON value (``fait``, ``telephone``…) and its label
is French. Changing a name here breaks the forms already handed out: bump
:data:`FORM_VERSION` instead.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reports.errors import CaptureError

__all__ = [
    "BOXES_FIELD",
    "CHECKLIST_STATUSES",
    "FORM_ID_FIELD",
    "FORM_VERSION",
    "OBSERVATIONS",
    "OUTCOME_ROWS",
    "PARTS_ROWS",
    "PART_ROWS",
    "SECTIONS",
    "SIGNATURE_FIELDS",
    "SIGNER_ROWS",
    "STATIC_FIELDS",
    "SUBMISSION_ID",
    "TEMPLATE_FIELD",
    "UNITS_FIELD",
    "UNSET_CHOICE",
    "VERSION_FIELD",
    "FieldKind",
    "FieldSpec",
    "FormInfo",
    "SignatureBox",
    "field_text",
    "form_info",
]

FORM_VERSION = "1"
"""Version of this convention; a form of another version is refused."""
TEMPLATE_FIELD, VERSION_FIELD = "quitus.template", "quitus.form_version"
UNITS_FIELD, BOXES_FIELD = "quitus.units", "quitus.signature_boxes"
FORM_ID_FIELD = "quitus.form_id"
"""The blank form's own id (``form-<hex>``): every filled copy of it derives its submission id from it."""
UNSET_CHOICE = " "
"""What an untouched dropdown holds (reportlab cannot create one with an empty value)."""
PART_ROWS = 6
SIGNATURE_FIELDS = ("client_signature", "technician_signature")
CHECKLIST_STATUSES = (
    ("fait", "Fait"),
    ("non_fait", "Non fait"),
    ("non_applicable", "Non applicable"),
    ("anomalie", "Anomalie"),
)
"""(export value, French label) of the checklist status dropdown."""

FieldKind = Literal["text", "multiline", "choice", "date", "datetime", "year", "decimal"]
_NOT_A_FORM = "this PDF is not a quitus form; generate one with `quitus forms blank TEMPLATE -o form.pdf`"
_DAMAGED = "the hidden quitus fields of this form are damaged; fill a new blank form"
_LARGEST_BOX = 2000.0
"""Largest plausible side of a signature box, in points (A4 is 842 high)."""


@dataclass(frozen=True)
class FieldSpec:
    """One form field and how it is shown."""

    path: str
    """Field name: the report's JSON path."""
    label: str
    """French label printed above the field (and its tooltip)."""
    kind: FieldKind = "text"
    """How the value is typed and read back (dates are French, decimals take a comma)."""
    span: float = 1.0
    """Share of its row's width."""
    options: tuple[tuple[str, str], ...] = ()
    """(export value, label) of a dropdown."""
    lines: int = 1
    """Height in lines of a multiline field."""


_Row = tuple[FieldSpec, ...]
_DATE, _DATETIME = "JJ/MM/AAAA", "JJ/MM/AAAA HH:MM"
_CLIENT_KINDS = (("particulier", "Particulier"), ("professionnel", "Professionnel"))
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
        (FieldSpec(f"{prefix}.street", "Adresse (numéro et rue)"),),
        (
            FieldSpec(f"{prefix}.postal_code", "Code postal", span=0.25),
            FieldSpec(f"{prefix}.city", "Ville", span=0.75),
        ),
    ]


# fmt: off
SUBMISSION_ID = FieldSpec(
    "submission_id", "N° de soumission — laisser vide ; pour corriger un rapport refusé, reporter son n°"
)
SECTIONS: tuple[tuple[str, list[_Row]], ...] = (
    ("Entreprise", [
        (FieldSpec("company.name", "Raison sociale", span=0.65),
         FieldSpec("company.siret", "SIRET (14 chiffres)", span=0.35)),
    ]),
    ("Client", [
        (FieldSpec("client.kind", "Type de client", "choice", 0.3, _CLIENT_KINDS),
         FieldSpec("client.name", "Nom du client ou du contact", span=0.7)),
        (FieldSpec("client.company_name", "Raison sociale (client professionnel)"),),
        *_address("client.address"),
        (FieldSpec("client.phone", "Téléphone", span=0.4), FieldSpec("client.email", "E-mail", span=0.6)),
    ]),
    ("Site d'intervention (si différent de l'adresse du client)", [
        (FieldSpec("site.name", "Nom du site (résidence, bâtiment…)"),),
        *_address("site.address"),
        (FieldSpec("site.access_notes", "Accès (codes, clés, interlocuteur)", "multiline", lines=2),),
    ]),
    ("Demande", [
        (FieldSpec("request.date", f"Date de la demande ({_DATE})", "date", 0.35),
         FieldSpec("request.channel", "Canal", "choice", 0.65, _CHANNELS)),
        (FieldSpec("request.description", "Description de la demande", "multiline", lines=3),),
    ]),
    ("Équipement", [
        (FieldSpec("equipment.brand", "Marque", span=0.35), FieldSpec("equipment.model", "Modèle", span=0.45),
         FieldSpec("equipment.installed_year", "Année d'installation", "year", 0.2)),
        (FieldSpec("equipment.serial_number", "Numéro de série", span=0.5),),
    ]),
    ("Technicien", [
        (FieldSpec("technician.id", "Matricule", span=0.25), FieldSpec("technician.name", "Nom", span=0.45),
         FieldSpec("technician.certification", "N° d'attestation / certification", span=0.3)),
        (FieldSpec("arrival", f"Arrivée sur site ({_DATETIME})", "datetime", 0.5),
         FieldSpec("departure", f"Départ du site ({_DATETIME})", "datetime", 0.5)),
    ]),
)
"""(French title, rows of fields) of the fixed sections before the template's own."""
PARTS_ROWS = [
    (FieldSpec(f"parts.{row}.reference", "Référence", span=0.25),
     FieldSpec(f"parts.{row}.label", "Désignation", span=0.5),
     FieldSpec(f"parts.{row}.quantity", "Quantité", "decimal", 0.13),
     FieldSpec(f"parts.{row}.unit", "Unité", "choice", 0.12, _PART_UNITS))
    for row in range(PART_ROWS)
]
OBSERVATIONS = FieldSpec("observations", "Observations", "multiline", lines=4)
OUTCOME_ROWS = [
    (FieldSpec("outcome.status", "Issue de l'intervention", "choice", 0.4, _OUTCOMES),),
    (FieldSpec("outcome.reason", "Si inachevée : motif", "multiline", lines=2),),
    (FieldSpec("outcome.reschedule.preferred_date", f"Date souhaitée du retour ({_DATE})", "date", 0.4),),
    (FieldSpec("outcome.reschedule.notes", "Ce que la prochaine visite demande", "multiline", lines=2),),
]
SIGNER_ROWS = {
    who: (FieldSpec(f"{who}.signer_name", "Nom du signataire"),
          FieldSpec(f"{who}.signed_at", f"Signé le ({_DATETIME})", "datetime"))
    for who in SIGNATURE_FIELDS
}
# fmt: on
_FIXED_ROWS: list[_Row] = [
    *(row for _, rows in SECTIONS for row in rows),
    *PARTS_ROWS,
    *OUTCOME_ROWS,
    *SIGNER_ROWS.values(),
    (SUBMISSION_ID, OBSERVATIONS),
]
STATIC_FIELDS: Mapping[str, FieldSpec] = {spec.path: spec for row in _FIXED_ROWS for spec in row}
"""Every field that does not depend on the template, by name."""


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature is drawn: a rectangle on one page, in PDF points."""

    page: int
    """Index of the page, from 0."""
    rect: tuple[float, float, float, float]
    """(left, bottom, right, top) in the page's default user space."""

    def meets(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether a rectangle given by two opposite corners meets this box."""
        left, bottom, right, top = self.rect
        return min(x0, x1) <= right and max(x0, x1) >= left and min(y0, y1) <= top and max(y0, y1) >= bottom


@dataclass(frozen=True)
class FormInfo:
    """What a form says about itself in its hidden ``quitus.*`` fields."""

    template_id: str
    """``<equipment_category>.<intervention_type>``."""
    units: Mapping[str, str]
    """Unit printed next to each measurement, by measurement id."""
    signature_boxes: Mapping[str, SignatureBox]
    """The ``client_signature`` and ``technician_signature`` boxes."""
    form_id: str = ""
    """The blank form's id; empty for a form generated before blank forms were reusable
    (its ``submission_id`` field was prefilled instead)."""

    @property
    def template_key(self) -> tuple[str, str]:
        """(equipment category, intervention type)."""
        category, _, intervention_type = self.template_id.partition(".")
        return category, intervention_type


def field_text(field: Mapping[str, Any] | None) -> str:
    """A field's value as stripped text; a dropdown label is mapped to its export value."""
    if field is None:
        return ""
    raw = field.get("/V")
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw or "")
    for option in field.get("/Opt") or ():
        # Some apps store the label shown rather than the export value.
        if isinstance(option, list) and len(option) == 2 and text == str(option[1]):
            return str(option[0]).strip()
    return text.strip()


def form_info(fields: Mapping[str, Any]) -> FormInfo:
    """Read the hidden fields of ``fields`` (pypdf ``reader.get_fields()``).

    Raises :class:`CaptureError` ``not_a_form`` (no ``quitus.template`` field, or
    damaged hidden fields) or ``form_version_unsupported``.
    """
    template_id = field_text(fields.get(TEMPLATE_FIELD))
    form_id = field_text(fields.get(FORM_ID_FIELD))
    if not template_id:
        raise CaptureError("not_a_form", _NOT_A_FORM)
    version = field_text(fields.get(VERSION_FIELD))
    if version != FORM_VERSION:
        raise CaptureError(
            "form_version_unsupported",
            f"this form has version {version[:10]!r} but this quitus reads version {FORM_VERSION}; "
            "fill a form generated by this installation (`quitus forms blank TEMPLATE -o form.pdf`)",
        )
    try:
        units = json.loads(field_text(fields.get(UNITS_FIELD)) or "{}")
        boxes = {
            who: _box(box)
            for who, box in json.loads(field_text(fields.get(BOXES_FIELD)) or "{}").items()
            if who in SIGNATURE_FIELDS
        }
        info = FormInfo(template_id, {str(k): str(v) for k, v in units.items()}, boxes, form_id)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CaptureError("not_a_form", _DAMAGED) from exc
    if form_id and not _FORM_ID.fullmatch(form_id):
        raise CaptureError("not_a_form", _DAMAGED)
    if not all(info.template_key):
        raise CaptureError("not_a_form", _DAMAGED)
    return info


_FORM_ID = re.compile(r"form-[0-9a-f]{16}")


def _box(entry: Mapping[str, Any]) -> SignatureBox:
    left, bottom, right, top = (float(v) for v in entry["rect"])
    width, height = right - left, top - bottom
    # The box sizes the signature image: refuse absurd ones rather than allocate them.
    if not all(math.isfinite(v) for v in (left, bottom, width, height)):
        raise ValueError("signature box is not finite")
    if not (0 < width <= _LARGEST_BOX and 0 < height <= _LARGEST_BOX):
        raise ValueError("signature box has an implausible size")
    return SignatureBox(int(entry["page"]), (left, bottom, right, top))
