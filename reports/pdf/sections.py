"""The sections of the rendered report, top to bottom, as reportlab flowables.

Short values (at most 200 characters by the schema) go in tables; long free text
(descriptions, notes, observations, up to 100,000 characters) goes in paragraphs that
split across pages, so a 30-page observation paginates like a letter. Every value is
escaped before it reaches reportlab's paragraph markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from reports.pdf.images import PreparedImage
from reports.pdf.layout import (
    BAD,
    CONTENT_WIDTH,
    GOOD,
    MUTED,
    RULE,
    TINT,
    ClosingBlock,
    ImageBox,
    SectionTitle,
    styles,
)
from reports.schema import PARIS, Address, InterventionReport, PartUsed, Signature
from reports.templates import MeasurementSpec, Template

__all__ = ["ReportPictures", "report_flowables"]

CHANNELS = {
    "telephone": "Téléphone",
    "email": "E-mail",
    "portail": "Portail client",
    "sur_site": "Sur site",
    "contrat": "Contrat d'entretien",
}
CHECKLIST_STATUSES = {
    "fait": ("Fait", GOOD),
    "non_fait": ("Non fait", MUTED),
    "non_applicable": ("N/A", MUTED),
    "anomalie": ("Anomalie", BAD),
}
CLIENT_KINDS = {"particulier": "Particulier", "professionnel": "Professionnel"}
EQUIPMENT_CATEGORIES = {
    "chaudiere_gaz": "Chaudière gaz",
    "climatisation": "Climatisation",
    "pompe_a_chaleur": "Pompe à chaleur",
    "tableau_electrique": "Tableau électrique",
}
PHOTO_KINDS = {"before": "Avant intervention", "after": "Après intervention", "other": "Autres photos"}
PART_UNITS = {"m2": "m²"}

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


def report_flowables(report: InterventionReport, template: Template, pictures: ReportPictures) -> list[Flowable]:
    """Every section of the report, in reading order, ending with the signatures."""
    flowables: list[Flowable] = [*_title(report, template)]
    flowables += _client_and_site(report)
    flowables += _request(report)
    flowables += _equipment(report)
    flowables += _intervention(report, template)
    flowables += _checklist(report, template)
    flowables += _measurements(report, template)
    flowables += _selections(report, template)
    flowables += _parts(report.parts, "Pièces et fournitures", "Aucune pièce ni fourniture utilisée.")
    flowables += _photos(report, pictures)
    flowables += [SectionTitle("Observations"), *_long_text(report.observations, "Aucune observation.")]
    flowables += _outcome(report)
    flowables.append(ClosingBlock(_signatures(report, pictures)))
    return flowables


# --------------------------------------------------------------------------- formatting


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(text), getattr(styles(), style))


def _bold(text: str, style: str = "cell_bold") -> Paragraph:
    return _p(text, style)


def _colored(text: str, color: colors.Color, style: str = "cell_bold") -> Paragraph:
    base = getattr(styles(), style)
    return Paragraph(escape(text), base.clone(f"{base.name}-colored", textColor=color))


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _datetime(moment: dt.datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def _duration(start: dt.datetime, end: dt.datetime) -> str:
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


def _address_lines(address: Address | None) -> list[str]:
    if address is None:
        return []
    lines = [address.street, f"{address.postal_code} {address.city}"]
    if address.country != "FR":
        lines.append(address.country)
    return lines


def _long_text(text: str | None, when_empty: str) -> list[Flowable]:
    """Free text as paragraphs (one per line of the text), or a muted line when empty."""
    if not text:
        return [_p(when_empty, "label")]
    body = styles().body
    return [Paragraph(escape(line), body) for line in text.splitlines() if line.strip()] or [
        _p(when_empty, "label")
    ]


def _table(
    rows: list[list[object]],
    widths: Sequence[float],
    *,
    header: bool = True,
    extra: Iterable[tuple[object, ...]] = (),
) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0, splitInRow=1, hAlign="LEFT")
    commands: list[tuple[object, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header:
        commands += [("BACKGROUND", (0, 0), (-1, 0), TINT), ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE)]
    table.setStyle(TableStyle([*commands, *extra]))
    return table


def _pairs(pairs: Sequence[tuple[str, str | None]], columns: int = 2) -> Table:
    """Label/value pairs laid out in ``columns`` columns; pairs without a value are left out."""
    shown = [(label, value) for label, value in pairs if value]
    label_width = 100.0 if columns == 2 else 90.0
    value_width = CONTENT_WIDTH / columns - label_width
    rows: list[list[object]] = []
    for start in range(0, len(shown), columns):
        row: list[object] = []
        for label, value in shown[start : start + columns]:
            row += [_p(label, "label"), _p(value or "", "cell")]
        row += [""] * (2 * columns - len(row))
        rows.append(row)
    return _table(rows or [[""] * (2 * columns)], [label_width, value_width] * columns, header=False)


# --------------------------------------------------------------------------- sections


def _title(report: InterventionReport, template: Template) -> list[Flowable]:
    flowables: list[Flowable] = [
        _p(template.title, "title"),
        _p(
            f"Intervention du {_date(report.intervention_date)} — "
            f"{report.equipment.brand} {report.equipment.model}",
            "subtitle",
        ),
    ]
    if template.references:
        flowables.append(_p("Références : " + " ; ".join(template.references), "small"))
    return flowables


def _client_and_site(report: InterventionReport) -> list[Flowable]:
    client = report.client
    left: list[Flowable] = [_bold("Client", "label"), _bold(client.name)]
    if client.company_name:
        left.append(_p(client.company_name, "cell"))
    left.append(_p(CLIENT_KINDS[client.kind], "label"))
    left += [_p(line, "cell") for line in _address_lines(client.address)]
    if client.phone:
        left.append(_p(f"Tél. : {client.phone}", "cell"))
    if client.email:
        left.append(_p(f"E-mail : {client.email}", "cell"))
    site = report.site
    right: list[Flowable] = [_bold("Lieu d'intervention", "label")]
    if site is not None and (site.name or site.address):
        if site.name:
            right.append(_bold(site.name))
        right += [_p(line, "cell") for line in _address_lines(site.address)]
        if site.address is None:
            right += [_p(line, "cell") for line in _address_lines(client.address)]
    else:
        right += [_p("À l'adresse du client", "label")]
        right += [_p(line, "cell") for line in _address_lines(client.address)]
    half = CONTENT_WIDTH / 2
    block = Table([[left, right]], colWidths=[half, half], hAlign="LEFT")
    block.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    flowables: list[Flowable] = [SectionTitle("Client et lieu d'intervention"), block]
    if site is not None and site.access_notes:
        flowables += [Spacer(0, 4), _p("Accès au site", "label"), *_long_text(site.access_notes, "")]
    return flowables


def _request(report: InterventionReport) -> list[Flowable]:
    request = report.request
    return [
        SectionTitle("Demande du client"),
        _pairs([("Date de la demande", _date(request.date)), ("Canal", CHANNELS[request.channel])]),
        Spacer(0, 4),
        _p("Description", "label"),
        *_long_text(request.description, "Aucune description."),
    ]


def _equipment(report: InterventionReport) -> list[Flowable]:
    equipment = report.equipment
    category = EQUIPMENT_CATEGORIES.get(equipment.category, equipment.category.replace("_", " ").capitalize())
    return [
        SectionTitle("Équipement"),
        _pairs(
            [
                ("Catégorie", category),
                ("Marque", equipment.brand),
                ("Modèle", equipment.model),
                ("N° de série", equipment.serial_number or "non relevé"),
                ("Année d'installation", str(equipment.installed_year) if equipment.installed_year else None),
            ]
        ),
    ]


def _intervention(report: InterventionReport, template: Template) -> list[Flowable]:
    technician = report.technician
    return [
        SectionTitle("Intervention"),
        _pairs(
            [
                ("Type d'intervention", template.title),
                ("Technicien", f"{technician.name} (matricule {technician.id})"),
                ("Certification", technician.certification),
                ("Arrivée", _datetime(report.arrival)),
                ("Départ", _datetime(report.departure)),
                ("Durée sur site", _duration(report.arrival, report.departure)),
            ]
        ),
    ]


def _checklist(report: InterventionReport, template: Template) -> list[Flowable]:
    flowables: list[Flowable] = [SectionTitle("Points de contrôle")]
    if not report.checklist:
        return [*flowables, _p("Aucun point de contrôle renseigné.", "label")]
    rows: list[list[object]] = [[_bold("Point de contrôle"), _bold("Statut"), _bold("Commentaire")]]
    extra: list[tuple[object, ...]] = []
    for index, item in enumerate(report.checklist, start=1):
        spec = template.checklist_item(item.id)
        status, color = CHECKLIST_STATUSES[item.status]
        rows.append([_p(spec.label if spec else item.id, "cell"), _colored(status, color), _comment(item.comment)])
        if item.status == "anomalie":
            extra.append(("BACKGROUND", (0, index), (-1, index), colors.Color(0.99, 0.94, 0.94)))
    widths = [CONTENT_WIDTH * 0.46, CONTENT_WIDTH * 0.12, CONTENT_WIDTH * 0.42]
    return [*flowables, _table(rows, widths, extra=extra)]


def _comment(text: str | None) -> list[Flowable] | str:
    if not text:
        return ""
    cell = styles().cell
    return [Paragraph(escape(line), cell) for line in text.splitlines() if line.strip()]


def _range(spec: MeasurementSpec) -> str:
    unit = f" {spec.unit}"
    if spec.min is not None and spec.max is not None:
        return f"{_number(spec.min)} à {_number(spec.max)}{unit}"
    if spec.min is not None:
        return f"≥ {_number(spec.min)}{unit}"
    if spec.max is not None:
        return f"≤ {_number(spec.max)}{unit}"
    return "—"


def _measurements(report: InterventionReport, template: Template) -> list[Flowable]:
    flowables: list[Flowable] = [SectionTitle("Mesures")]
    if not report.measurements:
        return [*flowables, _p("Aucune mesure relevée.", "label")]
    rows: list[list[object]] = [
        [_bold("Mesure"), _bold("Valeur"), _bold("Unité"), _bold("Plage admise"), _bold("Contrôle")]
    ]
    for measurement in report.measurements:
        spec = template.measurement(measurement.id)
        verdict, color = "—", MUTED
        if spec is not None and spec.unit != measurement.unit:
            verdict, color = f"✗ unité attendue : {spec.unit}", BAD
        elif spec is not None and (spec.min is not None or spec.max is not None):
            inside = (spec.min is None or measurement.value >= spec.min) and (
                spec.max is None or measurement.value <= spec.max
            )
            verdict, color = ("✓ dans la plage", GOOD) if inside else ("✗ hors plage", BAD)
        rows.append(
            [
                _p(spec.label if spec else measurement.id, "cell"),
                _bold(_number(measurement.value)),
                _p(measurement.unit, "cell"),
                _p(_range(spec) if spec else "—", "cell"),
                _colored(verdict, color, "cell"),
            ]
        )
    widths = [CONTENT_WIDTH * share for share in (0.4, 0.12, 0.09, 0.2, 0.19)]
    return [*flowables, _table(rows, widths)]


def _selections(report: InterventionReport, template: Template) -> list[Flowable]:
    if not report.selections:
        return []
    pairs: list[tuple[str, str | None]] = []
    for selection_id, value in report.selections.items():
        spec = template.selection(selection_id)
        pairs.append((spec.label if spec else selection_id, value))
    return [SectionTitle("Relevés et constats"), _pairs(pairs)]


def _quantity(part: PartUsed) -> str:
    return f"{_number(part.quantity)} {PART_UNITS.get(part.unit, part.unit)}"


def _parts(parts: Sequence[PartUsed], title: str, when_empty: str) -> list[Flowable]:
    flowables: list[Flowable] = [SectionTitle(title)]
    if not parts:
        return [*flowables, _p(when_empty, "label")]
    rows: list[list[object]] = [[_bold("Référence"), _bold("Désignation"), _bold("Quantité")]]
    rows += [[_p(part.reference, "cell"), _p(part.label, "cell"), _p(_quantity(part), "cell")] for part in parts]
    return [*flowables, _table(rows, [CONTENT_WIDTH * 0.25, CONTENT_WIDTH * 0.57, CONTENT_WIDTH * 0.18])]


def _photos(report: InterventionReport, pictures: ReportPictures) -> list[Flowable]:
    flowables: list[Flowable] = [SectionTitle("Photos")]
    if not report.photos:
        return [*flowables, _p("Aucune photo jointe.", "label")]
    number = 0
    for kind, heading in PHOTO_KINDS.items():
        cells: list[list[Flowable]] = []
        for index, photo in enumerate(report.photos):
            if photo.kind != kind:
                continue
            number += 1
            caption = f"Photo {number}" + (f" — {photo.caption}" if photo.caption else "")
            box = ImageBox(pictures.photos[index], _PHOTO_WIDTH, _PHOTO_HEIGHT, placeholder=_REMOVED_PHOTO)
            cells.append([box, Spacer(0, 2), _p(caption, "caption")])
        if not cells:
            continue
        rows: list[list[object]] = [
            list(cells[start : start + _PHOTO_COLUMNS]) for start in range(0, len(cells), _PHOTO_COLUMNS)
        ]
        rows[-1] += [""] * (_PHOTO_COLUMNS - len(rows[-1]))
        grid = Table(rows, colWidths=[_PHOTO_WIDTH + _PHOTO_GAP] * _PHOTO_COLUMNS, hAlign="LEFT")
        grid.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), _PHOTO_GAP),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        heading_paragraph = _bold(heading, "label")
        heading_paragraph.keepWithNext = 1
        flowables += [heading_paragraph, Spacer(0, 3), grid]
    return flowables


def _outcome(report: InterventionReport) -> list[Flowable]:
    outcome = report.outcome
    flowables: list[Flowable] = [SectionTitle("Issue de l'intervention")]
    if outcome.status == "completed":
        return [*flowables, _bold("Intervention terminée", "body")]
    flowables += [_bold("Intervention non terminée", "body"), Spacer(0, 3), _p("Motif", "label")]
    flowables += _long_text(outcome.reason, "Motif non précisé.")
    reschedule = outcome.reschedule
    if reschedule is not None:
        flowables.append(SectionTitle("Demande de nouvelle intervention"))
        when = _date(reschedule.preferred_date) if reschedule.preferred_date else "à convenir avec le client"
        flowables += [_pairs([("Date souhaitée", when)]), Spacer(0, 3), _p("Ce que la prochaine visite demande", "label")]
        flowables += _long_text(reschedule.notes, "Non précisé.")
        if reschedule.parts_to_order:
            flowables += _parts(reschedule.parts_to_order, "Pièces à commander", "")
    return flowables


def _signature_column(
    title: str, signature: Signature | None, image: PreparedImage | None, *, redacted: bool, digest: str | None
) -> list[Flowable]:
    column: list[Flowable] = [_bold(title, "label")]
    if signature is None:
        return [*column, ImageBox(None, *_SIGNATURE_SIZE, placeholder="non signé")]
    column.append(ImageBox(image, *_SIGNATURE_SIZE, placeholder=_REMOVED_SIGNATURE if redacted else "non signé"))
    column += [_bold(signature.signer_name), _p(f"Signé le {_datetime(signature.signed_at)}", "cell")]
    if digest is not None:
        column += [_p("Empreinte SHA-256 de la signature :", "caption"), _p(digest, "caption")]
    return column


def _signatures(report: InterventionReport, pictures: ReportPictures) -> Flowable:
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
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    block = Table([[SectionTitle("Signatures")], [columns]], colWidths=[CONTENT_WIDTH], hAlign="LEFT")
    block.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return block
