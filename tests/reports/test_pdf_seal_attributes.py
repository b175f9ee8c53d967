"""The seal's signed attributes: the signing-certificate-v2 attribute built once per process
(reports.pdf.seal) is the one pyHanko builds for the seal certificate, in every seal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import as_signing_certificate_v2

from reports.pdf import create_company_ca, load_seal, render_report, seal_pdf, verify_sealed_pdf
from reports.samples import generate_samples
from reports.schema import InterventionReport
from reports.templates import TemplateCatalog


def _signed_attributes(pdf: bytes) -> dict[str, bytes]:
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    signed_data = signature.signed_data
    assert isinstance(signed_data, cms.SignedData)
    [signer] = signed_data["signer_infos"]
    return {attr["type"].native: attr["values"][0].dump() for attr in signer["signed_attrs"]}


@pytest.mark.parametrize("key_type", ["rsa", "ec"])
def test_every_seal_names_the_seal_certificate_as_pyhanko_would(tmp_path: Path, key_type: str) -> None:
    catalog = TemplateCatalog.load()
    [sample] = generate_samples(catalog, 1, seed=4, invalid_share=0)
    report = InterventionReport.model_validate(sample.payload)
    template = catalog.for_report(*report.template_key)
    assert template is not None
    pdf = render_report(report, template, report_id="RI-2026-000001", images={}, company=report.company)
    create_company_ca(tmp_path / "seal", "Thermi'Clim Services", key_type=key_type)
    seal = load_seal(tmp_path / "seal")
    certificate, _chain = seal.pyhanko_certificates
    expected = as_signing_certificate_v2(certificate).dump()

    for _ in range(2):  # the first seal builds the attribute, the second reuses it
        sealed = seal_pdf(pdf, seal)
        assert _signed_attributes(sealed)["signing_certificate_v2"] == expected
        assert verify_sealed_pdf(sealed, [seal.trust_root_pem]).ok
