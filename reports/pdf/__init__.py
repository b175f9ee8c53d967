"""Report PDFs: rendering (reportlab), PAdES sealing and verification (pyHanko).

Three pure steps, bytes in and bytes out::

    pdf = render_report(report, template, report_id="RI-2025-000123", images=blobs, company=company)
    sealed = seal_pdf(pdf, load_seal(keys_dir / "seal"), tsa_url=settings.tsa_url)
    result = verify_sealed_pdf(sealed, [ca_pem])      # result.ok, result.problems

``create_company_ca`` (or ``import_pkcs12``) prepares the seal identity once, in the
key folder. See ``docs/pdf.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reports.pdf.company_ca import create_company_ca, import_pkcs12
    from reports.pdf.errors import PdfError, PdfRenderError, SealError, VerificationSetupError
    from reports.pdf.identity import SealIdentity, SealPaths, load_seal
    from reports.pdf.layout import SEAL_BOX, VERIFICATION_HINT
    from reports.pdf.redaction import FREE_TEXT_PLACEHOLDER, placeholder_for, redact_report
    from reports.pdf.render import REPORT_ID_PATTERN, Variant, render_report
    from reports.pdf.seal import DEFAULT_FIELD_NAME, DEFAULT_REASON, seal_pdf
    from reports.pdf.verify import PdfVerification, SealLevel, verify_sealed_pdf

# What each public name is imported from. The submodules are loaded on first use: rendering
# pulls in reportlab and sealing pyHanko (about a second together), which a command that only
# lists reports or reads the company identity never needs.
_EXPORTS: dict[str, str] = {
    "create_company_ca": "reports.pdf.company_ca",
    "import_pkcs12": "reports.pdf.company_ca",
    "PdfError": "reports.pdf.errors",
    "PdfRenderError": "reports.pdf.errors",
    "SealError": "reports.pdf.errors",
    "VerificationSetupError": "reports.pdf.errors",
    "SealIdentity": "reports.pdf.identity",
    "SealPaths": "reports.pdf.identity",
    "load_seal": "reports.pdf.identity",
    "SEAL_BOX": "reports.pdf.layout",
    "VERIFICATION_HINT": "reports.pdf.layout",
    "FREE_TEXT_PLACEHOLDER": "reports.pdf.redaction",
    "placeholder_for": "reports.pdf.redaction",
    "redact_report": "reports.pdf.redaction",
    "REPORT_ID_PATTERN": "reports.pdf.render",
    "Variant": "reports.pdf.render",
    "render_report": "reports.pdf.render",
    "DEFAULT_FIELD_NAME": "reports.pdf.seal",
    "DEFAULT_REASON": "reports.pdf.seal",
    "seal_pdf": "reports.pdf.seal",
    "PdfVerification": "reports.pdf.verify",
    "SealLevel": "reports.pdf.verify",
    "verify_sealed_pdf": "reports.pdf.verify",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
