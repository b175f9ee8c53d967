"""Sealing a rendered report: a PAdES signature with the company's electronic seal.

:func:`seal_pdf` appends one incremental update to the PDF holding a PAdES baseline
signature (``ETSI.CAdES.detached``, SHA-256) and a visible stamp at the bottom of the
last page. Levels:

``B-B``   the default: the seal signature with the signer's certificate chain.
``B-T``   when ``tsa_url`` is given: a trusted timestamp (RFC 3161) on the signature,
          which proves when it was made and keeps it verifiable after the seal
          certificate expires.
``B-LT``  when ``long_term=True`` as well: the certificates and revocation data (CRL
          or OCSP, fetched at sealing time) are stored in the document security store.
          It needs certificates that publish revocation information: the company CA
          made by :func:`create_company_ca` publishes none (see ``docs/pdf.md``).

The function is pure apart from the clock (and the TSA/revocation servers when asked):
bytes in, bytes out, nothing written anywhere, and nothing returned unless sealing
succeeded. Identity management lives in :mod:`reports.pdf.company_ca` and
:mod:`reports.pdf.identity`, re-exported here.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from asn1crypto import tsp, x509  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import AuthorityInformationAccess, ExtensionNotFound
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError as PyHankoPdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.attributes import CMSAttributeProvider, SigningCertificateV2Provider
from pyhanko.sign.general import SigningError, as_signing_certificate_v2
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from reports.pdf.company_ca import create_company_ca, import_pkcs12
from reports.pdf.errors import SealError
from reports.pdf.identity import SealIdentity, SealPaths, load_seal
from reports.pdf.layout import SEAL_BOX
from reports.pdf.stamp import StampContent, draw_stamp

__all__ = [
    "DEFAULT_FIELD_NAME",
    "DEFAULT_REASON",
    "SealIdentity",
    "SealPaths",
    "create_company_ca",
    "import_pkcs12",
    "load_seal",
    "seal_pdf",
]

DEFAULT_REASON = "Scellement du rapport d'intervention"
DEFAULT_FIELD_NAME = "Scellement"
_SIGNED_DIGEST = "sha256"
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def seal_pdf(
    pdf: bytes,
    seal: SealIdentity,
    *,
    tsa_url: str | None = None,
    reason: str = DEFAULT_REASON,
    location: str | None = None,
    field_name: str = DEFAULT_FIELD_NAME,
    long_term: bool = False,
    tsa_trust_roots: Sequence[bytes] = (),
    tsa_timeout: float = 10.0,
) -> bytes:
    """``pdf`` with a PAdES seal signature appended; the sealed PDF bytes.

    Args:
        pdf: the PDF to seal (normally :func:`reports.pdf.render_report`'s output).
        seal: the company seal (:func:`load_seal`).
        tsa_url: an RFC 3161 timestamp server (``QUITUS_TSA_URL``); gives ``B-T``.
        reason: the reason recorded in the signature.
        location: where the seal was applied (e.g. a city); not recorded by default.
        field_name: name of the signature field (created on the last page when absent).
        long_term: embed certificates and revocation data (``B-LT``); needs ``tsa_url``
            and certificates that publish CRL or OCSP addresses. Revocation data is
            fetched over the network while sealing.
        tsa_trust_roots: for ``long_term``, the root certificate(s) (PEM or DER) of the
            timestamp authority, when it is not the seal's own CA.
        tsa_timeout: seconds to wait for the timestamp server.

    Raises:
        SealError: ``seal_expired`` / ``seal_not_yet_valid`` (the seal cannot be used now),
            ``pdf_unreadable`` (not a PDF, or encrypted), ``signing_failed`` (e.g. the field
            is already signed),
            ``tsa_failed`` or ``revocation_unavailable``.
    """
    now = dt.datetime.now(dt.UTC)
    seal.check_valid_at(now)
    if long_term:
        _check_long_term_possible(seal, tsa_url)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except (PyHankoPdfError, ValueError, OSError) as exc:
        raise SealError(
            "pdf_unreadable", "the document to seal is not a readable PDF; render the report again"
        ) from exc
    if writer.prev.encrypted:
        raise SealError("pdf_unreadable", "the document to seal is encrypted; seal the unencrypted report")
    signer = _SealSigner(seal)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        md_algorithm=_SIGNED_DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=long_term,
        validation_context=_validation_context(seal, tsa_trust_roots) if long_term else None,
        signer_key_usage={"non_repudiation"},
    )
    stamp = draw_stamp(seal.company_name, _issuer_name(seal), now)
    pdf_signer = signers.PdfSigner(
        metadata,
        signer,
        timestamper=HTTPTimeStamper(tsa_url, timeout=tsa_timeout) if tsa_url else None,
        stamp_style=StaticStampStyle(background=StampContent(stamp), border_width=0, background_opacity=1.0),
        new_field_spec=fields.SigFieldSpec(field_name, on_page=-1, box=SEAL_BOX),
    )
    try:
        output = pdf_signer.sign_pdf(
            writer, output=io.BytesIO(), bytes_reserved=None if tsa_url else _reserved_size(seal)
        )
    except TimestampRequestError as exc:
        raise SealError(
            "tsa_failed",
            f"the timestamp server {tsa_url} did not answer with a timestamp; check "
            "QUITUS_TSA_URL and the network, or seal without a timestamp (B-B)",
        ) from exc
    except (PathBuildingError, PathValidationError) as exc:
        raise SealError(
            "revocation_unavailable",
            "the seal certificate could not be validated with revocation data for B-LT "
            f"({type(exc).__name__}); check the network, or seal with long_term=False (B-T)",
        ) from exc
    except SigningError as exc:
        raise SealError(
            "signing_failed",
            f"pyHanko refused to seal the document ({exc}); if the field {field_name!r} is "
            "already signed, seal the original rendered report instead",
        ) from exc
    except (PyHankoPdfError, ValueError, OSError) as exc:
        raise SealError(
            "signing_failed",
            f"sealing failed ({type(exc).__name__}: {exc}); check the seal key folder "
            "(ca.pem, seal.pem, seal.key) and render the report again",
        ) from exc
    return bytes(output.getvalue())


class _SealSigner(signers.Signer):
    """Signs with the seal key already loaded by :func:`load_seal`.

    pyHanko's ``SimpleSigner`` parses its key again for every signature, and parsing
    checks an RSA key's primes: two thirds of the time of a seal. The size estimate
    pyHanko makes first (a dry run) gets zero bytes of the right length instead of a
    second real signature. The signing-certificate-v2 attribute, the same for every
    seal, is built once: asn1crypto takes longer to build it than the rest of a seal.
    """

    def __init__(self, seal: SealIdentity) -> None:
        certificate, chain = seal.pyhanko_certificates
        super().__init__(
            signing_cert=certificate,
            cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
        )
        self._key = seal.private_key

    def _signed_attr_providers(self, *args: Any, **kwargs: Any) -> Iterator[CMSAttributeProvider]:
        for provider in super()._signed_attr_providers(*args, **kwargs):
            if type(provider) is SigningCertificateV2Provider:
                yield _BuiltSigningCertificate(provider.signing_cert)
            else:
                yield provider

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        key = self._key
        if dry_run:
            # The longest signature the key can give: RSA is fixed, DER-encoded ECDSA varies.
            size = (
                key.key_size // 8 if isinstance(key, rsa.RSAPrivateKey) else 2 * (key.key_size // 8 + 3) + 2
            )
            return bytes(size)
        digest = _HASHES[digest_algorithm]()
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), digest)
        return key.sign(data, ec.ECDSA(digest))


class _BuiltSigningCertificate(SigningCertificateV2Provider):
    """The signing-certificate-v2 attribute of a certificate, built once per process."""

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        # Parsed from its DER each time: asn1crypto then writes it out as it read it.
        return tsp.SigningCertificateV2.load(_signing_certificate_v2(self.signing_cert.dump()))


@lru_cache(maxsize=8)
def _signing_certificate_v2(certificate_der: bytes) -> bytes:
    return bytes(as_signing_certificate_v2(x509.Certificate.load(certificate_der)).dump())


def _reserved_size(seal: SealIdentity) -> int:
    """Room for the signature container when there is no timestamp to wait for.

    Without a timestamp the container's size is known in advance: the certificates,
    the signature and about a kilobyte of signed attributes. Giving it saves pyHanko a
    dry-run signature made only to measure it.
    """
    certificates = sum(
        len(cert.public_bytes(serialization.Encoding.DER)) for cert in (seal.certificate, *seal.chain)
    )
    # pyHanko counts the hexadecimal digits written in the file: two per byte.
    return 2 * (certificates + seal.private_key.key_size // 8 + 2048)


def _validation_context(seal: SealIdentity, tsa_trust_roots: Sequence[bytes]) -> ValidationContext:
    roots = [seal.pyhanko_certificates[1][-1]]
    try:
        for blob in tsa_trust_roots:
            roots += load_certs_from_pemder_data(blob)
    except ValueError as exc:
        raise SealError(
            "revocation_unavailable",
            "a TSA trust root is not a PEM or DER certificate; give the TSA's root CA",
        ) from exc
    return ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail")


def _issuer_name(seal: SealIdentity) -> str:
    issuer = seal.chain[0]
    names = [attribute.value for attribute in issuer.subject if attribute.oid.dotted_string == "2.5.4.3"]
    return str(names[0]) if names else issuer.subject.rfc4514_string()


def _check_long_term_possible(seal: SealIdentity, tsa_url: str | None) -> None:
    if not tsa_url:
        raise SealError(
            "revocation_unavailable",
            "B-LT (long_term=True) builds on a timestamp: give tsa_url (QUITUS_TSA_URL) as well",
        )
    if not _publishes_revocation(seal):
        raise SealError(
            "revocation_unavailable",
            "the seal certificate publishes no CRL or OCSP address, so no revocation data "
            "can be embedded (B-LT); seal with long_term=False (B-T), or use a seal from a "
            "certification authority that publishes revocation data",
        )


def _publishes_revocation(seal: SealIdentity) -> bool:
    extensions = seal.certificate.extensions
    try:
        extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS)
    except ExtensionNotFound:
        pass
    else:
        return True
    try:
        access = extensions.get_extension_for_class(AuthorityInformationAccess).value
    except ExtensionNotFound:
        return False
    return any(item.access_method == AuthorityInformationAccessOID.OCSP for item in access)
