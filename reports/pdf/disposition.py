"""The certificate of disposition as a sealed French PDF.

:func:`render_disposition_certificate` lays out a certificate (the canonical JSON built by
:mod:`retention.certificates`) as an A4 page in French — *Certificat de destruction* or
*Certificat d'anonymisation* — with the JSON's SHA-256 printed and the JSON itself
attached, byte for byte, as the embedded file ``disposition.json``. :class:`DispositionSealer`
adds the company's PAdES seal, the one reports are sealed with (:func:`reports.pdf.seal_pdf`).
The certificate holds no personal data, so neither does the PDF. The report is named by its
number (``RI-2026-000123``, what people read and file by; an erased report keeps it), its
internal id below it; a certificate made before numbers were recorded in it shows the id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.generic import NameObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from reports.pdf.errors import PdfRenderError
from reports.pdf.fonts import BOLD, REGULAR, register_fonts
from reports.pdf.identity import SEAL_FILE, SealIdentity, load_seal
from reports.pdf.layout import SEAL_BOX
from reports.pdf.seal import seal_pdf

__all__ = ["ATTACHMENT_NAME", "DispositionSealer", "render_disposition_certificate", "title_of"]

ATTACHMENT_NAME = "disposition.json"
_PURPOSES = {
    "retention": "Fin de la durée de conservation (traitement planifié)",
    "review_approved": "Approbation d'une revue de sort final",
    "erasure_request": "Demande d'effacement (RGPD, article 17)",
}
_MARGIN = 48


def title_of(certificate: Mapping[str, Any]) -> str:
    """``Certificat d'anonymisation`` for an anonymization, else ``Certificat de destruction``."""
    return (
        "Certificat d'anonymisation"
        if certificate.get("action") == "anonymized"
        else "Certificat de destruction"
    )


def render_disposition_certificate(certificate: Mapping[str, Any], document: bytes) -> bytes:
    """The unsealed PDF of ``certificate``, with ``document`` (its canonical JSON) attached.

    Raises:
        PdfRenderError: ``certificate_mismatch`` when ``document`` is not ``certificate``'s
            JSON, or ``fonts_missing``.
    """
    if certificate.get("report_id") is None or str(certificate["report_id"]).encode() not in document:
        raise PdfRenderError("certificate_mismatch", "the attached JSON is not this certificate's")
    register_fonts()
    styles = _styles()
    digest = hashlib.sha256(document).hexdigest()
    story: list[Any] = [
        Paragraph(escape(str(certificate.get("company") or "")), styles["company"]),
        Paragraph(escape(title_of(certificate)), styles["title"]),
        Paragraph(
            "Ce certificat atteste du sort final du rapport d'intervention ci-dessous. Il ne contient "
            "aucune donnée personnelle.",
            styles["body"],
        ),
        Spacer(1, 8),
        _table(_rows(certificate), styles),
        Spacer(1, 10),
        Paragraph(
            "<b>Empreinte SHA-256 du certificat</b> (fichier joint disposition.json) :", styles["body"]
        ),
        Paragraph(f"{digest[:32]}<br/>{digest[32:]}", styles["mono"]),
        Paragraph(
            "Vérification : la même empreinte figure (certificate_sha256) dans l'entrée signée du journal "
            "d'audit qui enregistre la destruction ; le sceau électronique de ce document se vérifie avec "
            "pdfsig ou Adobe Reader (docs/retention.md, « Certificates of disposition »).",
            styles["small"],
        ),
    ]
    output = io.BytesIO()
    template = SimpleDocTemplate(
        output,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=SEAL_BOX[3] + 12,  # the seal's stamp goes below, on the last page
        title=f"{title_of(certificate)} {certificate.get('number') or certificate['report_id']}",
        author=str(certificate.get("company") or "quitus"),
        creator="quitus",
        invariant=1,
    )
    template.build(story)
    return _attach(output.getvalue(), document)


def _rows(c: Mapping[str, Any]) -> list[tuple[str, str]]:
    policy = c.get("policy") or {}
    basis = policy.get("legal_basis") or {}
    when = c.get("disposed_at") or {}
    number = c.get("number")
    rows = (
        [("Rapport n°", str(number)), ("Identifiant interne", str(c["report_id"]))]
        if number
        else [("Rapport", str(c["report_id"]))]
    )
    rows += [
        ("Action effectuée", _action(c)),
        ("Finalité", _PURPOSES.get(str(c.get("purpose")), str(c.get("purpose")))),
        ("Motif (code)", str(c.get("reason"))),
    ]
    if policy:
        rows += [
            ("Politique", f"{policy['id']} (version {policy['version']}) — {policy.get('title', '')}"),
            ("Base légale", str(basis.get("text", ""))),
            ("Références", " ; ".join(basis.get("references", []))),
            ("Obligation légale", "oui" if basis.get("obligation") else "non"),
        ]
    others = c.get("other_policies") or []
    if others:
        rows.append(
            (
                "Autres politiques applicables",
                " ; ".join(f"{p['id']} (version {p['version']})" for p in others),
            )
        )
    rows += [
        ("Échéance", str(c.get("due") or "—")),
        ("Décidé à la date du", str(c.get("decided_on"))),
        ("Date et heure (UTC)", str(when.get("utc"))),
        ("Date et heure (Europe/Paris)", str(when.get("europe_paris"))),
    ]
    if c.get("approved_by"):
        rows.append(("Approuvé par", str(c["approved_by"])))
    if c.get("requested_by"):
        rows.append(("Demandé par", str(c["requested_by"])))
    rows.append(("Exécuté par", str(c.get("executed_by"))))
    entries = c.get("ledger_entries") or []
    rows.append(("Entrées du journal", ", ".join(f"n° {e['seq']} {e['step']}" for e in entries) or "—"))
    recorded = c.get("recorded_in") or {}
    rows.append(
        (
            "Enregistré dans",
            f"l'entrée « {recorded.get('step')} » du journal, détail {recorded.get('detail')}",
        )
    )
    return rows


def _action(c: Mapping[str, Any]) -> str:
    if c.get("action") != "anonymized":
        return "Destruction : clé de chiffrement du rapport détruite, fichiers chiffrés supprimés"
    kept = (c.get("kept") or {}).get("statistical_record") or {}
    return (
        "Anonymisation : données personnelles détruites avec la clé du rapport ; seul un "
        f"enregistrement statistique k-anonyme (k = {kept.get('k')}) est conservé, sans lien avec le "
        f"rapport, s'il rejoint au moins k enregistrements identiques : {', '.join(kept.get('fields', []))}"
    )


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=12.5)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.grey),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
        "label": ParagraphStyle("label", parent=base, fontName=BOLD, fontSize=8.5, leading=11),
        "company": ParagraphStyle("company", parent=base, fontName=BOLD, fontSize=11),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=18, leading=24, spaceBefore=6),
        "mono": ParagraphStyle("mono", parent=base, fontName=REGULAR, fontSize=9, leading=12),
    }


def _table(rows: list[tuple[str, str]], styles: dict[str, ParagraphStyle]) -> Table:
    data = [[Paragraph(escape(k), styles["label"]), Paragraph(escape(v), styles["cell"])] for k, v in rows]
    table = Table(data, colWidths=[140, A4[0] - 2 * _MARGIN - 140])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _attach(pdf: bytes, document: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    data = embed.EmbeddedFileObject.from_file_data(
        writer,
        document,
        mime_type="application/json",
        params=embed.EmbeddedFileParams(creation_date=dt.datetime.now(dt.UTC)),
    )
    spec = embed.FileSpec(
        file_spec_string=ATTACHMENT_NAME,
        file_name=ATTACHMENT_NAME,
        embedded_data=data,
        description="Certificat de disposition (JSON canonique, quitus-disposition-certificate/1)",
        af_relationship=NameObject("/Source"),
    )
    embed.embed_file(writer, spec)
    output = io.BytesIO()
    writer.write(output)  # type: ignore[no-untyped-call]
    return output.getvalue()


class DispositionSealer:
    """Renders and seals certificates of disposition with the company's seal.

    The seal is loaded on first use, so that an expired seal stops the PDFs (they wait,
    reported) and never a disposal; the company's name is read from ``seal.pem``."""

    def __init__(self, load: Callable[[], SealIdentity], *, company: str, tsa_url: str | None = None) -> None:
        self._load = load
        self._company = company
        self.tsa_url = tsa_url

    @classmethod
    def from_directory(cls, seal_dir: Path, *, tsa_url: str | None = None) -> DispositionSealer:
        """The seal in its key folder (``ca.pem``, ``seal.pem``, ``seal.key``)."""
        try:
            certificate = x509.load_pem_x509_certificate((seal_dir / SEAL_FILE).read_bytes())
        except (OSError, ValueError) as exc:
            raise PdfRenderError(
                "seal_missing",
                f"no readable seal certificate in {seal_dir}: run `quitus init` or import a seal",
            ) from exc
        names = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME) or (
            certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        )
        company = str(names[0].value) if names else certificate.subject.rfc4514_string()
        return cls(lambda: load_seal(seal_dir), company=company, tsa_url=tsa_url)

    @classmethod
    def of(cls, seal: SealIdentity, *, tsa_url: str | None = None) -> DispositionSealer:
        return cls(lambda: seal, company=seal.company_name, tsa_url=tsa_url)

    @property
    def company(self) -> str:
        return self._company

    @cached_property
    def _seal(self) -> SealIdentity:
        return self._load()

    def seal_certificate(self, certificate: Mapping[str, Any], document: bytes) -> bytes:
        """The sealed PDF (raises :class:`~reports.pdf.errors.SealError` when it cannot be sealed)."""
        pdf = render_disposition_certificate(certificate, document)
        return seal_pdf(pdf, self._seal, tsa_url=self.tsa_url, reason=title_of(certificate))
