"""Report PDFs: rendering (reportlab), PAdES sealing and verification (pyHanko).

Three pure steps, bytes in and bytes out::

    pdf = render_report(report, template, report_id="RI-2025-000123", images=blobs, company=company)
    sealed = seal_pdf(pdf, load_seal(keys_dir / "seal"), tsa_url=settings.tsa_url)
    result = verify_sealed_pdf(sealed, [ca_pem])      # result.ok, result.problems

``create_company_ca`` (or ``import_pkcs12``) prepares the seal identity once, in the
key folder. See ``docs/pdf.md``.
"""

from reports.pdf.company_ca import create_company_ca, import_pkcs12
from reports.pdf.errors import PdfError, PdfRenderError, SealError, VerificationSetupError
from reports.pdf.identity import SealIdentity, SealPaths, load_seal
from reports.pdf.layout import SEAL_BOX, VERIFICATION_HINT
from reports.pdf.redaction import FREE_TEXT_PLACEHOLDER, placeholder_for, redact_report
from reports.pdf.render import REPORT_ID_PATTERN, Variant, render_report
from reports.pdf.seal import DEFAULT_FIELD_NAME, DEFAULT_REASON, seal_pdf
from reports.pdf.verify import PdfVerification, SealLevel, verify_sealed_pdf

__all__ = [
    "DEFAULT_FIELD_NAME",
    "DEFAULT_REASON",
    "FREE_TEXT_PLACEHOLDER",
    "REPORT_ID_PATTERN",
    "SEAL_BOX",
    "VERIFICATION_HINT",
    "PdfError",
    "PdfRenderError",
    "PdfVerification",
    "SealError",
    "SealIdentity",
    "SealLevel",
    "SealPaths",
    "Variant",
    "VerificationSetupError",
    "create_company_ca",
    "import_pkcs12",
    "load_seal",
    "placeholder_for",
    "redact_report",
    "render_report",
    "seal_pdf",
    "verify_sealed_pdf",
]
