"""Sealing and verifying report PDFs: what a client, an auditor and poppler's pdfsig see.

Timestamps (B-T) and revocation data (B-LT) come from a small local server standing in
for a timestamp authority and a CRL publisher: the tests need no network.
"""

from __future__ import annotations

import datetime as dt
import http.server
import io
import shutil
import stat
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils.generic import pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.timestamps import DummyTimeStamper
from pypdf import PdfReader

from reports.pdf import (
    SEAL_BOX,
    SealError,
    SealIdentity,
    VerificationSetupError,
    create_company_ca,
    import_pkcs12,
    load_seal,
    render_report,
    seal_pdf,
    verify_sealed_pdf,
)
from reports.samples import generate_samples
from reports.schema import Company, InterventionReport
from reports.templates import TemplateCatalog

COMPANY = "Thermi'Clim Services"
NOW = dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    catalog = TemplateCatalog.load()
    sample = next(s for s in generate_samples(catalog, 8, seed=2031) if s.expected == "valid")
    report = InterventionReport.model_validate(sample.payload)
    return render_report(
        report,
        catalog.by_id(sample.template_id),
        report_id="RI-2025-000007",
        images={},
        company=Company(name=COMPANY, siret="91417776100170"),
    )


@pytest.fixture(scope="module", params=["rsa", "ec"])
def seal_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp(f"keys-{request.param}") / "seal"
    create_company_ca(directory, COMPANY, key_type=request.param)
    return directory


@pytest.fixture(scope="module")
def seal(seal_dir: Path) -> SealIdentity:
    return load_seal(seal_dir)


@pytest.fixture(scope="module")
def ca_pem(seal_dir: Path) -> bytes:
    return (seal_dir / "ca.pem").read_bytes()


@pytest.fixture(scope="module")
def sealed(report_pdf: bytes, seal: SealIdentity) -> bytes:
    return seal_pdf(report_pdf, seal)


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: apt-get install {package} (listed in `make system-deps`)")
    return path


@pytest.fixture(scope="module")
def nss_db(ca_pem: bytes, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An NSS database trusting the company CA for signed documents (S/MIME trust bit)."""
    certutil = require_tool("certutil", "libnss3-tools")
    directory = tmp_path_factory.mktemp("nss")
    (directory / "ca.pem").write_bytes(ca_pem)
    database = f"sql:{directory}"
    subprocess.run([certutil, "-N", "--empty-password", "-d", database], check=True, capture_output=True)
    subprocess.run(
        [certutil, "-A", "-n", "quitus-ca", "-t", ",C,", "-i", str(directory / "ca.pem"), "-d", database],
        check=True,
        capture_output=True,
    )
    return database


def pdfsig(pdf: bytes, nss_db: str, tmp_path: Path) -> str:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(pdf)
    command = [require_tool("pdfsig", "poppler-utils"), "-nssdir", nss_db, str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout


def flip_byte(pdf: bytes, marker: bytes) -> bytes:
    """``pdf`` with one byte of ``marker`` changed (same length: offsets stay right)."""
    at = pdf.index(marker) + len(marker) - 1
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


# --------------------------------------------------------------------------- the company CA


def test_company_ca_files_and_certificates(seal_dir: Path, seal: SealIdentity) -> None:
    assert stat.S_IMODE((seal_dir / "seal.key").stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate((seal_dir / "ca.pem").read_bytes())
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        f"{COMPANY} — Autorité de certification quitus"
    )
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    certificate = seal.certificate
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == COMPANY
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert seal.company_name == COMPANY
    assert seal.not_before <= dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1) < seal.not_after


def test_company_ca_never_overwrites(seal_dir: Path) -> None:
    before = {path.name: path.read_bytes() for path in seal_dir.iterdir()}
    with pytest.raises(SealError) as error:
        create_company_ca(seal_dir, "Autre société")
    assert error.value.code == "seal_exists"
    assert {path.name: path.read_bytes() for path in seal_dir.iterdir()} == before


def test_long_company_name_is_cut_to_what_x509_allows(tmp_path: Path) -> None:
    name = "Société Nouvelle de Maintenance Thermique et Climatique du Grand Sud-Ouest"
    create_company_ca(tmp_path / "seal", name, key_type="ec")
    seal = load_seal(tmp_path / "seal")
    assert seal.company_name.startswith("Société Nouvelle de Maintenance")
    assert len(seal.company_name.encode()) <= 64


def test_encrypted_seal_key_needs_its_passphrase(tmp_path: Path) -> None:
    create_company_ca(tmp_path / "seal", COMPANY, key_type="ec", passphrase=b"correct horse")
    assert b"ENCRYPTED" in (tmp_path / "seal" / "seal.key").read_bytes()
    with pytest.raises(SealError, match="passphrase") as error:
        load_seal(tmp_path / "seal")
    assert error.value.code == "seal_corrupt"
    with pytest.raises(SealError, match="passphrase"):
        load_seal(tmp_path / "seal", passphrase=b"wrong")
    assert load_seal(tmp_path / "seal", passphrase=b"correct horse").company_name == COMPANY


# --------------------------------------------------------------------------- load_seal errors


def test_missing_seal_says_run_quitus_init(tmp_path: Path) -> None:
    with pytest.raises(SealError, match="quitus init") as error:
        load_seal(tmp_path / "nowhere")
    assert error.value.code == "seal_missing"


def test_corrupted_certificate_is_named(tmp_path: Path) -> None:
    create_company_ca(tmp_path / "seal", COMPANY, key_type="ec")
    (tmp_path / "seal" / "seal.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
    )
    with pytest.raises(SealError, match=r"seal\.pem") as error:
        load_seal(tmp_path / "seal")
    assert error.value.code == "seal_corrupt"


def test_key_of_another_seal_is_a_mismatch(tmp_path: Path) -> None:
    create_company_ca(tmp_path / "a", COMPANY, key_type="ec")
    create_company_ca(tmp_path / "b", COMPANY, key_type="ec")
    (tmp_path / "a" / "seal.key").unlink()
    shutil.copy(tmp_path / "b" / "seal.key", tmp_path / "a" / "seal.key")
    with pytest.raises(SealError) as error:
        load_seal(tmp_path / "a")
    assert error.value.code == "seal_key_mismatch"


def test_expired_seal_names_its_dates(tmp_path: Path) -> None:
    start = NOW - dt.timedelta(days=400)
    create_company_ca(tmp_path / "seal", COMPANY, key_type="ec", valid_days=30, not_before=start)
    with pytest.raises(SealError) as error:
        load_seal(tmp_path / "seal")
    assert error.value.code == "seal_expired"
    expiry = (start.replace(microsecond=0) + dt.timedelta(days=30)).strftime("%Y-%m-%d")
    assert expiry in str(error.value)
    assert start.strftime("%Y-%m-%d") in str(error.value)


def test_expired_seal_cannot_seal(tmp_path: Path, report_pdf: bytes) -> None:
    """A seal loaded while still valid is refused once it has expired."""
    start = NOW - dt.timedelta(days=400)
    create_company_ca(tmp_path / "seal", COMPANY, key_type="ec", valid_days=30, not_before=start)
    seal = load_seal(tmp_path / "seal", at=start + dt.timedelta(days=1))
    with pytest.raises(SealError) as error:
        seal_pdf(report_pdf, seal)
    assert error.value.code == "seal_expired"


def test_seal_not_yet_valid(tmp_path: Path) -> None:
    create_company_ca(tmp_path / "seal", COMPANY, key_type="ec", not_before=NOW + dt.timedelta(days=3))
    with pytest.raises(SealError, match="not valid yet") as error:
        load_seal(tmp_path / "seal")
    assert error.value.code == "seal_not_yet_valid"


# --------------------------------------------------------------------------- sealing and verifying


def test_sealed_report_verifies_and_is_trusted(sealed: bytes, ca_pem: bytes) -> None:
    result = verify_sealed_pdf(sealed, [ca_pem])
    assert result.ok, result.problems
    assert result.intact and result.trusted and not result.modified_after_signing
    assert result.level == "B-B"
    assert result.signer is not None and f"O={COMPANY}" in result.signer
    assert result.signed_at is not None
    assert abs(result.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)
    assert not result.timestamped


def test_sealing_appends_to_the_rendered_report(report_pdf: bytes, sealed: bytes) -> None:
    """The rendered bytes are kept as they are: the seal is one incremental update."""
    assert sealed.startswith(report_pdf)
    reader = PdfReader(io.BytesIO(sealed))
    last_page = reader.pages[-1]
    widgets = [annotation.get_object() for annotation in last_page.get("/Annots", [])]
    seal_widget = next(widget for widget in widgets if widget.get("/FT") == "/Sig")
    assert seal_widget["/T"] == "Scellement"
    assert [round(float(value)) for value in seal_widget["/Rect"]] == list(SEAL_BOX)
    assert "/AP" in seal_widget


def test_pdfsig_reports_valid_and_trusted(sealed: bytes, nss_db: str, tmp_path: Path) -> None:
    output = pdfsig(sealed, nss_db, tmp_path)
    assert "Signature Validation: Signature is Valid." in output, output
    assert "Certificate Validation: Certificate is Trusted." in output, output
    assert "Signature Type: ETSI.CAdES.detached" in output
    assert "Total document signed" in output


@pytest.mark.parametrize(
    "marker", [b"/Title (Rapport d'intervention", b"/Subtype /Image"], ids=["info", "image"]
)
def test_flipped_byte_breaks_the_seal(
    sealed: bytes, ca_pem: bytes, nss_db: str, marker: bytes, tmp_path: Path
) -> None:
    tampered = flip_byte(sealed, marker)
    result = verify_sealed_pdf(tampered, [ca_pem])
    assert not result.intact
    assert not result.ok
    assert any("Sceau brisé" in problem for problem in result.problems)
    output = pdfsig(tampered, nss_db, tmp_path)
    assert "Signature is Valid" not in output, output
    assert "Digest Mismatch" in output or "Signature is Invalid" in output, output


def test_untrusted_root_is_reported(sealed: bytes, tmp_path: Path) -> None:
    create_company_ca(tmp_path / "other", "Concurrent SARL", key_type="ec")
    result = verify_sealed_pdf(sealed, [(tmp_path / "other" / "ca.pem").read_bytes()])
    assert result.intact
    assert not result.trusted
    assert not result.ok
    assert any("autorité" in problem for problem in result.problems)


def test_der_trust_root_is_accepted(sealed: bytes, ca_pem: bytes) -> None:
    der = x509.load_pem_x509_certificate(ca_pem).public_bytes(serialization.Encoding.DER)
    assert verify_sealed_pdf(sealed, [der]).ok


def test_update_after_sealing_is_reported(sealed: bytes, ca_pem: bytes) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    info = writer.trailer["/Info"].get_object()
    info["/Title"] = pdf_string("Rapport modifié")
    writer.update_container(info)
    output = io.BytesIO()
    writer.write(output)
    result = verify_sealed_pdf(output.getvalue(), [ca_pem])
    assert result.intact
    assert result.modified_after_signing
    assert not result.ok


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "pas un PDF lisible"),
        (b"%PDF-1.7\ngarbage\n%%EOF", "pas un PDF lisible"),
        (b"\x00" * 64, "pas un PDF lisible"),
    ],
)
def test_garbage_gives_a_problem_not_a_crash(data: bytes, problem: str, ca_pem: bytes) -> None:
    result = verify_sealed_pdf(data, [ca_pem])
    assert not result.ok
    assert any(problem in text for text in result.problems)


def test_unsigned_pdf_is_reported(report_pdf: bytes, ca_pem: bytes) -> None:
    result = verify_sealed_pdf(report_pdf, [ca_pem])
    assert not result.ok
    assert result.level is None
    assert any("aucune signature" in problem for problem in result.problems)


def test_unusable_trust_roots_raise(sealed: bytes) -> None:
    with pytest.raises(VerificationSetupError):
        verify_sealed_pdf(sealed, [])
    with pytest.raises(VerificationSetupError, match="trust root #1"):
        verify_sealed_pdf(sealed, [b"not a certificate"])


def test_sealing_garbage_is_refused(seal: SealIdentity) -> None:
    with pytest.raises(SealError) as error:
        seal_pdf(b"this is not a PDF", seal)
    assert error.value.code == "pdf_unreadable"


def test_sealing_twice_in_the_same_field_is_refused(sealed: bytes, seal: SealIdentity) -> None:
    with pytest.raises(SealError) as error:
        seal_pdf(sealed, seal)
    assert error.value.code == "signing_failed"


def test_long_term_without_revocation_data_is_refused(report_pdf: bytes, seal: SealIdentity) -> None:
    with pytest.raises(SealError) as error:
        seal_pdf(report_pdf, seal, tsa_url="http://127.0.0.1:9/tsa", long_term=True)
    assert error.value.code == "revocation_unavailable"
    assert "B-T" in str(error.value)


# --------------------------------------------------------------------------- timestamps and B-LT


@dataclass
class LocalPki:
    """A CA publishing a CRL, a TSA, and the seal they issued, served on 127.0.0.1."""

    url: str
    root_pem: bytes
    p12: bytes
    tsa_time: dt.datetime


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    crl_url: str | None = None,
    timestamping: bool = False,
) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject),
            x509.NameAttribute(NameOID.COMMON_NAME, subject),
        ]
    )
    issuer_name, issuer_key = issuer or (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca and not timestamping,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def local_pki() -> Iterator[LocalPki]:
    root_key, seal_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    tsa_key = rsa.generate_private_key(
        public_exponent=65537, key_size=2048
    )  # pyHanko's test TSA signs with RSA
    root = _certificate("Autorité de test", root_key, None, ca=True)
    handler_state: dict[str, bytes | DummyTimeStamper] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply(200, "application/pkix-crl", handler_state["crl"])  # type: ignore[arg-type]

        def do_POST(self) -> None:
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            stamper = handler_state["tsa"]
            assert isinstance(stamper, DummyTimeStamper)
            self._reply(200, "application/timestamp-reply", stamper.request_tsa_response(request).dump())

        def _reply(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    crl_url = f"{url}/root.crl"
    tsa = _certificate(
        "Horodatage de test", tsa_key, (root.subject, root_key), crl_url=crl_url, timestamping=True
    )
    seal_certificate = _certificate(COMPANY, seal_key, (root.subject, root_key), crl_url=crl_url)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(NOW - dt.timedelta(hours=1))
        .next_update(NOW + dt.timedelta(days=7))
        .sign(root_key, hashes.SHA256())
    )
    tsa_time = (NOW - dt.timedelta(minutes=5)).replace(microsecond=0)
    handler_state["crl"] = crl.public_bytes(serialization.Encoding.DER)
    handler_state["tsa"] = DummyTimeStamper(
        tsa_cert=translate_pyca_cryptography_cert_to_asn1(tsa),
        tsa_key=translate_pyca_cryptography_key_to_asn1(tsa_key),
        certs_to_embed=[translate_pyca_cryptography_cert_to_asn1(root)],
        fixed_dt=tsa_time,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    p12 = pkcs12.serialize_key_and_certificates(
        b"seal", seal_key, seal_certificate, [root], serialization.BestAvailableEncryption(b"p12 secret")
    )
    yield LocalPki(url, root.public_bytes(serialization.Encoding.PEM), p12, tsa_time)
    server.shutdown()
    server.server_close()


def test_timestamped_seal_is_b_t(report_pdf: bytes, local_pki: LocalPki, tmp_path: Path) -> None:
    import_pkcs12(tmp_path / "seal", local_pki.p12, "p12 secret")
    sealed = seal_pdf(report_pdf, load_seal(tmp_path / "seal"), tsa_url=f"{local_pki.url}/tsa")
    result = verify_sealed_pdf(sealed, [local_pki.root_pem])
    assert result.ok, result.problems
    assert result.level == "B-T"
    assert result.timestamped
    assert result.signed_at == local_pki.tsa_time


def test_timestamp_keeps_an_expired_seal_verifiable(
    report_pdf: bytes, local_pki: LocalPki, tmp_path: Path
) -> None:
    import_pkcs12(tmp_path / "seal", local_pki.p12, "p12 secret")
    sealed = seal_pdf(report_pdf, load_seal(tmp_path / "seal"), tsa_url=f"{local_pki.url}/tsa")
    years_later = dt.datetime.now(dt.UTC) + dt.timedelta(days=800)  # every certificate has expired
    result = verify_sealed_pdf(sealed, [local_pki.root_pem], at=years_later)
    assert result.ok, result.problems
    assert result.validated_at == local_pki.tsa_time


def test_expired_seal_without_timestamp_is_not_trusted(sealed: bytes, ca_pem: bytes) -> None:
    result = verify_sealed_pdf(sealed, [ca_pem], at=dt.datetime.now(dt.UTC) + dt.timedelta(days=4000))
    assert result.intact
    assert not result.trusted
    assert any("expiré" in problem for problem in result.problems)


def test_long_term_seal_is_b_lt(report_pdf: bytes, local_pki: LocalPki, tmp_path: Path) -> None:
    import_pkcs12(tmp_path / "seal", local_pki.p12, b"p12 secret")
    sealed = seal_pdf(
        report_pdf, load_seal(tmp_path / "seal"), tsa_url=f"{local_pki.url}/tsa", long_term=True
    )
    result = verify_sealed_pdf(sealed, [local_pki.root_pem])
    assert result.ok, result.problems
    assert result.level == "B-LT"
    assert not result.modified_after_signing


def test_unreachable_timestamp_server(report_pdf: bytes, seal: SealIdentity) -> None:
    with pytest.raises(SealError) as error:
        seal_pdf(report_pdf, seal, tsa_url="http://127.0.0.1:9/tsa", tsa_timeout=2)
    assert error.value.code == "tsa_failed"
    assert "QUITUS_TSA_URL" in str(error.value)


def test_pkcs12_errors_are_explained(local_pki: LocalPki, tmp_path: Path) -> None:
    with pytest.raises(SealError, match="passphrase") as error:
        import_pkcs12(tmp_path / "seal", local_pki.p12, "wrong")
    assert error.value.code == "seal_pkcs12_invalid"
    key = ec.generate_private_key(ec.SECP256R1())
    alone = _certificate(COMPANY, key, None)
    lonely = pkcs12.serialize_key_and_certificates(b"seal", key, alone, None, serialization.NoEncryption())
    with pytest.raises(SealError, match="certification path"):
        import_pkcs12(tmp_path / "seal", lonely, None)
    assert not (tmp_path / "seal" / "seal.key").exists()
