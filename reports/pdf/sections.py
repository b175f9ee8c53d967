"""The sections of the rendered report, top to bottom, as reportlab flowables.

Short values (at most 200 characters by the schema) go in tables; long free text
(descriptions, notes, observations, up to 100,000 characters) goes in paragraphs that
split across pages, so a 30-page observation paginates like a letter. Every value is
escaped before it reaches reportlab's paragraph markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from reports.pdf.formatting import (
    CELL_FONT,
    bold,
    colored,
    duration,
    french_date,
    french_datetime,
    french_number,
    long_text,
    pairs,
    paragraph,
    table,
)
from reports.pdf.layout import BAD, CONTENT_WIDTH, GOOD, MUTED, ClosingBlock, SectionTitle, styles
from reports.pdf.pictures import ReportPictures, photo_grid, signature_block
from reports.readings import ReadingJudgement, ReadingVerdict, judge_readings, verdict_lines
from reports.schema import Address, InterventionReport, PartUsed
from reports.templates import MeasurementSpec, Template

__all__ = ["report_flowables"]

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
PART_UNITS = {"m2": "m²"}


def report_flowables(
    report: InterventionReport,
    template: Template,
    pictures: ReportPictures,
    equipment_history: Sequence[str] = (),
) -> list[Flowable]:
    """Every section of the report, in reading order, ending with the signatures."""
    flowables: list[Flowable] = [*_title(report, template, redacted=pictures.redacted)]
    flowables += _client_and_site(report)
    flowables += _request(report)
    flowables += _equipment(report, equipment_history)
    flowables += _intervention(report, template)
    flowables += _checklist(report, template)
    flowables += _measurements(report, template)
    flowables += _selections(report, template)
    flowables += _parts(report.parts, "Pièces et fournitures", "Aucune pièce ni fourniture utilisée.")
    flowables += photo_grid(report, pictures)
    flowables += [SectionTitle("Observations"), *long_text(report.observations, "Aucune observation.")]
    flowables += _outcome(report)
    flowables.append(ClosingBlock(signature_block(report, pictures)))
    return flowables


def _address_lines(address: Address | None) -> list[str]:
    if address is None:
        return []
    lines = [address.street, f"{address.postal_code} {address.city}"]
    if address.country != "FR":
        lines.append(address.country)
    return lines


def _title(report: InterventionReport, template: Template, *, redacted: bool) -> list[Flowable]:
    flowables: list[Flowable] = [
        paragraph(template.title, "title"),
        paragraph(
            f"Intervention du {french_date(report.intervention_date)} — "
            f"{report.equipment.brand} {report.equipment.model}",
            "subtitle",
        ),
    ]
    if report.continues:
        flowables.append(paragraph(f"Suite de l'intervention {report.continues}", "subtitle"))
    if template.references:
        flowables.append(paragraph("Références : " + " ; ".join(template.references), "small"))
    if redacted:
        flowables += [
            Spacer(0, 3),
            colored(
                "Version anonymisée : les données personnelles sont remplacées par des libellés entre "
                "crochets ; photos et signatures sont retirées.",
                BAD,
                "small",
            ),
        ]
    return flowables


def _client_and_site(report: InterventionReport) -> list[Flowable]:
    client = report.client
    left: list[Flowable] = [bold("Client", "label"), bold(client.name)]
    if client.company_name:
        left.append(paragraph(client.company_name, "cell"))
    left.append(paragraph(CLIENT_KINDS[client.kind], "label"))
    left += [paragraph(line, "cell") for line in _address_lines(client.address)]
    if client.phone:
        left.append(paragraph(f"Tél. : {client.phone}", "cell"))
    if client.email:
        left.append(paragraph(f"E-mail : {client.email}", "cell"))
    site = report.site
    right: list[Flowable] = [bold("Lieu d'intervention", "label")]
    if site is not None and (site.name or site.address):
        if site.name:
            right.append(bold(site.name))
        right += [paragraph(line, "cell") for line in _address_lines(site.address)]
        if site.address is None:
            right += [paragraph(line, "cell") for line in _address_lines(client.address)]
    else:
        right += [paragraph("À l'adresse du client", "label")]
        right += [paragraph(line, "cell") for line in _address_lines(client.address)]
    half = CONTENT_WIDTH / 2
    block = Table([[left, right]], colWidths=[half, half], hAlign="LEFT")
    block.setStyle(
        TableStyle(
            [
                CELL_FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    flowables: list[Flowable] = [SectionTitle("Client et lieu d'intervention"), block]
    if site is not None and site.access_notes:
        flowables += [Spacer(0, 4), paragraph("Accès au site", "label"), *long_text(site.access_notes, "")]
    return flowables


def _request(report: InterventionReport) -> list[Flowable]:
    request = report.request
    return [
        SectionTitle("Demande du client"),
        pairs([("Date de la demande", french_date(request.date)), ("Canal", CHANNELS[request.channel])]),
        Spacer(0, 4),
        paragraph("Description", "label"),
        *long_text(request.description, "Aucune description."),
    ]


def _equipment(report: InterventionReport, history: Sequence[str] = ()) -> list[Flowable]:
    equipment = report.equipment
    category = EQUIPMENT_CATEGORIES.get(equipment.category, equipment.category.replace("_", " ").capitalize())
    earlier = [paragraph(line, "small") for line in history]
    return [
        SectionTitle("Équipement"),
        pairs(
            [
                ("Catégorie", category),
                ("Marque", equipment.brand),
                ("Modèle", equipment.model),
                ("N° de série", equipment.serial_number or "non relevé"),
                ("Année d'installation", str(equipment.installed_year) if equipment.installed_year else None),
            ]
        ),
        *earlier,
    ]


def _intervention(report: InterventionReport, template: Template) -> list[Flowable]:
    technician = report.technician
    return [
        SectionTitle("Intervention"),
        pairs(
            [
                ("Type d'intervention", template.title),
                ("Technicien", f"{technician.name} (matricule {technician.id})"),
                ("Certification", technician.certification),
                (
                    "Équipe" if len(report.team) > 1 else "Avec",
                    ", ".join(f"{member.name} (matricule {member.id})" for member in report.team) or None,
                ),
                ("Arrivée", french_datetime(report.arrival)),
                ("Départ", french_datetime(report.departure)),
                ("Durée sur site", duration(report.arrival, report.departure)),
            ]
        ),
    ]


def _checklist(report: InterventionReport, template: Template) -> list[Flowable]:
    flowables: list[Flowable] = [SectionTitle("Points de contrôle")]
    if not report.checklist:
        return [*flowables, paragraph("Aucun point de contrôle renseigné.", "label")]
    rows: list[list[object]] = [[bold("Point de contrôle"), bold("Statut"), bold("Commentaire")]]
    extra: list[tuple[object, ...]] = []
    for index, item in enumerate(report.checklist, start=1):
        spec = template.checklist_item(item.id)
        status, color = CHECKLIST_STATUSES[item.status]
        rows.append(
            [
                paragraph(spec.label if spec else item.id, "cell"),
                colored(status, color),
                _comment(item.comment),
            ]
        )
        if item.status == "anomalie":
            extra.append(("BACKGROUND", (0, index), (-1, index), colors.Color(0.99, 0.94, 0.94)))
    widths = [CONTENT_WIDTH * 0.46, CONTENT_WIDTH * 0.12, CONTENT_WIDTH * 0.42]
    return [*flowables, table(rows, widths, extra=extra)]


def _comment(text: str | None) -> list[Flowable] | str:
    if not text:
        return ""
    cell = styles().cell
    return [Paragraph(escape(line), cell) for line in text.splitlines() if line.strip()]


def _range(spec: MeasurementSpec) -> str:
    unit = f" {spec.unit}"
    if spec.min is not None and spec.max is not None:
        return f"{french_number(spec.min)} à {french_number(spec.max)}{unit}"
    if spec.min is not None:
        return f"≥ {french_number(spec.min)}{unit}"
    if spec.max is not None:
        return f"≤ {french_number(spec.max)}{unit}"
    return "—"


def _measurements(report: InterventionReport, template: Template) -> list[Flowable]:
    flowables: list[Flowable] = [SectionTitle("Mesures")]
    if not report.measurements:
        return [*flowables, paragraph("Aucune mesure relevée.", "label")]
    rows: list[list[object]] = [
        [bold("Mesure"), bold("Valeur"), bold("Unité"), bold("Plage admise"), bold("Contrôle")]
    ]
    for judgement in judge_readings(report, template):
        measurement, spec = judgement.measurement, judgement.spec
        rows.append(
            [
                paragraph(spec.label if spec else measurement.id, "cell"),
                bold(french_number(measurement.value)),
                paragraph(measurement.unit, "cell"),
                paragraph(_range(spec) if spec else "—", "cell"),
                _verdict(judgement),
            ]
        )
    widths = [CONTENT_WIDTH * share for share in (0.4, 0.12, 0.09, 0.2, 0.19)]
    return [*flowables, table(rows, widths)]


def _verdict(judgement: ReadingJudgement) -> list[Flowable]:
    """The *Contrôle* cell: what :func:`judge_reading` says, in red when it calls for attention."""
    return [
        colored(text, BAD if alarm else GOOD if judgement.verdict is ReadingVerdict.WITHIN else MUTED, "cell")
        for text, alarm in verdict_lines(judgement, number=french_number)
    ]


def _selections(report: InterventionReport, template: Template) -> list[Flowable]:
    if not report.selections:
        return []
    answers: list[tuple[str, str | None]] = []
    for selection_id, value in report.selections.items():
        spec = template.selection(selection_id)
        answers.append((spec.label if spec else selection_id, value))
    return [SectionTitle("Relevés et constats"), pairs(answers)]


def _quantity(part: PartUsed) -> str:
    return f"{french_number(part.quantity)} {PART_UNITS.get(part.unit, part.unit)}"


def _parts(parts: Sequence[PartUsed], title: str, when_empty: str) -> list[Flowable]:
    flowables: list[Flowable] = [SectionTitle(title)]
    if not parts:
        return [*flowables, paragraph(when_empty, "label")]
    rows: list[list[object]] = [[bold("Référence"), bold("Désignation"), bold("Quantité")]]
    rows += [
        [paragraph(part.reference, "cell"), paragraph(part.label, "cell"), paragraph(_quantity(part), "cell")]
        for part in parts
    ]
    return [*flowables, table(rows, [CONTENT_WIDTH * 0.25, CONTENT_WIDTH * 0.57, CONTENT_WIDTH * 0.18])]


def _outcome(report: InterventionReport) -> list[Flowable]:
    outcome = report.outcome
    flowables: list[Flowable] = [SectionTitle("Issue de l'intervention")]
    if outcome.status == "completed":
        return [*flowables, bold("Intervention terminée", "body")]
    flowables += [bold("Intervention non terminée", "body"), Spacer(0, 3), paragraph("Motif", "label")]
    flowables += long_text(outcome.reason, "Motif non précisé.")
    reschedule = outcome.reschedule
    if reschedule is not None:
        flowables.append(SectionTitle("Demande de nouvelle intervention"))
        when = "à convenir avec le client"
        if reschedule.preferred_date:
            when = french_date(reschedule.preferred_date)
        flowables += [
            pairs([("Date souhaitée", when)]),
            Spacer(0, 3),
            paragraph("Ce que la prochaine visite demande", "label"),
        ]
        flowables += long_text(reschedule.notes, "Non précisé.")
        if reschedule.parts_to_order:
            flowables += _parts(reschedule.parts_to_order, "Pièces à commander", "")
    return flowables
