"""Rendering an intervention report to PDF (reportlab, A4, French).

:func:`render_report` is pure: the same report, template, images and options give the
same bytes, byte for byte (reportlab's invariant mode, a creation date taken from the
report's departure time, a file identifier derived from the report id and the
variant). Sealing is a separate step (:mod:`reports.pdf.seal`).

Two variants:

``full``
    Everything, photos and drawn signatures included. The client's signature is bound
    to the document by the SHA-256 of its image bytes, printed with the signing time.
``redacted``
    Every field the schema marks as personal data is replaced by a typed placeholder
    (see :mod:`reports.pdf.redaction`); no photo or signature is embedded.

The document metadata (title, subject, author, keywords) never holds personal data:
the title is ``Rapport d'intervention <report id>``, the author the company name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from reports.pdf.errors import PdfRenderError
from reports.pdf.images import PreparedImage, prepare_image
from reports.pdf.layout import DocumentInfo, build_pdf, spaced_siret
from reports.pdf.pictures import ReportPictures
from reports.pdf.redaction import redact_report
from reports.pdf.sections import report_flowables
from reports.schema import PARIS, Attachment, Company, InterventionReport
from reports.templates import Template

__all__ = ["REPORT_ID_PATTERN", "Variant", "render_report"]

Variant = Literal["full", "redacted"]

REPORT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
"""What a report id may look like (it is printed on every page and in the metadata)."""


def render_report(
    report: InterventionReport,
    template: Template,
    *,
    report_id: str,
    images: Mapping[str, bytes],
    company: Company,
    variant: Variant = "full",
    redact_text: Callable[[str], str] | None = None,
    logo: bytes | None = None,
    equipment_history: Sequence[str] = (),
) -> bytes:
    """The report as an A4 PDF, in French; the PDF bytes.

    Args:
        report: the validated report. Photos and signatures are ``Attachment(blob_id=...)``
            looked up in ``images``; ``content_base64`` attachments are decoded directly
            (so a sample payload renders as it is).
        template: the report's template (labels, units and allowed ranges).
        report_id: the report number printed on every page, e.g. ``RI-2025-000123``.
        images: blob id → image bytes (JPEG or PNG, sanitized at capture). Not read for
            the redacted variant.
        company: the company whose identity heads every page (name, legal form, SIRET, address,
            phone, attestation de capacité).
        variant: ``"full"`` or ``"redacted"`` (see the module docstring).
        redact_text: for the redacted variant, turns a free text into its redacted form
            (PII detection); without it, free text is replaced by ``[TEXTE LIBRE RETIRÉ]``.
        logo: the company's logo (PNG, checked by :func:`storage.company_logo.check_logo`),
            printed at the left of the header.
        equipment_history: the unit's earlier interventions, in French (no personal data:
            :func:`reports.equipment_history.history_lines`), printed under the equipment.

    Raises:
        PdfRenderError: ``report_id_invalid``, ``template_mismatch``, ``image_missing``,
            ``image_unresolved``, ``image_unreadable`` or ``fonts_missing``.
    """
    if not REPORT_ID_PATTERN.fullmatch(report_id):
        raise PdfRenderError(
            "report_id_invalid",
            "the report id must be 1 to 64 letters, digits or . _ : / - (e.g. RI-2025-000123)",
        )
    if report.template_key != template.key:
        raise PdfRenderError(
            "template_mismatch",
            f"report {report_id} is a {'.'.join(report.template_key)} report but template "
            f"{template.id} was given; pass the template of the report",
        )
    if variant == "redacted":
        shown = redact_report(report, redact_text)
        pictures = ReportPictures(
            photos=[None] * len(report.photos),
            client_signature=None,
            technician_signature=None,
            client_signature_sha256=None,
            redacted=True,
        )
    elif variant == "full":
        shown = report
        pictures = _pictures(report, images)
    else:
        raise ValueError(f"variant must be 'full' or 'redacted', not {variant!r}")
    info = DocumentInfo(
        report_id=report_id,
        company_name=company.name,
        company_siret=company.siret,
        title=f"Rapport d'intervention {report_id}",
        subject=template.title + (" (version anonymisée)" if variant == "redacted" else ""),
        keywords=("rapport d'intervention", template.equipment_category, template.intervention_type),
        created=report.departure.astimezone(PARIS),
        document_id_seed=f"quitus|{report_id}|{variant}|{report.submission_id}",
        company_lines=company_lines(company),
        company_logo=logo,
    )
    return build_pdf(report_flowables(shown, template, pictures, equipment_history), info)


def _pictures(report: InterventionReport, images: Mapping[str, bytes]) -> ReportPictures:
    photos = [
        prepare_image(
            _attachment_bytes(photo.image, images, f"photos[{index}].image"),
            path=f"photos[{index}].image",
            kind="photo",
        )
        for index, photo in enumerate(report.photos)
    ]
    client: PreparedImage | None = None
    digest: str | None = None
    if report.client_signature is not None:
        raw = _attachment_bytes(report.client_signature.image, images, "client_signature.image")
        digest = hashlib.sha256(raw).hexdigest()
        client = prepare_image(raw, path="client_signature.image", kind="signature")
    technician: PreparedImage | None = None
    if report.technician_signature is not None:
        raw = _attachment_bytes(report.technician_signature.image, images, "technician_signature.image")
        technician = prepare_image(raw, path="technician_signature.image", kind="signature")
    return ReportPictures(
        photos=photos,
        client_signature=client,
        technician_signature=technician,
        client_signature_sha256=digest,
        redacted=False,
    )


def _attachment_bytes(attachment: Attachment, images: Mapping[str, bytes], path: str) -> bytes:
    if attachment.blob_id is not None:
        try:
            return images[attachment.blob_id]
        except KeyError:
            raise PdfRenderError(
                "image_missing",
                f"{path}: image blob {attachment.blob_id} was not given in 'images'; "
                "load every photo and signature blob of the report before rendering",
            ) from None
    if attachment.content_base64 is not None:
        try:
            return base64.b64decode(attachment.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PdfRenderError(
                "image_unreadable", f"{path}: content_base64 is not valid base64; capture the image again"
            ) from exc
    raise PdfRenderError(
        "image_unresolved",
        f"{path}: the image is a file reference; capture the report first "
        "(capture stores images as blobs) and render the captured report",
    )


def company_lines(company: Company) -> list[str]:
    """The header's lines under the company name (empty when only a SIRET or nothing is known:
    the header then shows the SIRET alone, as before)."""
    first = " — ".join(
        part
        for part in (company.legal_form, f"SIRET {spaced_siret(company.siret)}" if company.siret else None)
        if part
    )
    second = " — ".join(
        part for part in (company.address, f"Tél. {company.phone}" if company.phone else None) if part
    )
    third = f"Attestation de capacité n° {company.attestation}" if company.attestation else ""
    lines = [line for line in (first, second, third) if line]
    return lines if (second or third or company.legal_form) else []
