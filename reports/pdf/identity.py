"""The company's seal identity as stored in its key folder, loaded and checked.

A sealed report is signed with an electronic **seal** — the signature of a legal
person, the company — never with a person's certificate: the certificates hold the
company name only, no personal data.

Key folder layout (the folder is the protected key folder, e.g. ``$QUITUS_HOME/keys/seal``)::

    ca.pem      the company CA certificate(s): what clients and auditors trust
    seal.pem    the seal certificate, issued by the CA (keyUsage digitalSignature, nonRepudiation)
    seal.key    the seal private key, PKCS#8 PEM, mode 0600 (encrypted when a passphrase is given)

:mod:`reports.pdf.company_ca` creates the folder (:func:`create_company_ca`) or
imports a purchased seal (:func:`import_pkcs12`); :func:`load_seal` reads it back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from reports.pdf.errors import SealError

__all__ = [
    "CA_FILE",
    "KEY_FILE",
    "SEAL_FILE",
    "SealIdentity",
    "SealKey",
    "SealPaths",
    "check_identity",
    "load_seal",
    "ordered_chain",
]

CA_FILE, SEAL_FILE, KEY_FILE = "ca.pem", "seal.pem", "seal.key"

SealKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class SealPaths:
    """The three files of a seal identity in its key folder."""

    directory: Path
    ca_certificate: Path
    """``ca.pem``: the certificate(s) to trust; give it to clients and auditors."""
    seal_certificate: Path
    """``seal.pem``: the seal certificate."""
    seal_key: Path
    """``seal.key``: the seal private key (mode 0600)."""

    @classmethod
    def in_directory(cls, directory: Path) -> SealPaths:
        return cls(directory, directory / CA_FILE, directory / SEAL_FILE, directory / KEY_FILE)


@dataclass(frozen=True)
class SealIdentity:
    """A loaded, checked seal: certificate, private key and CA chain."""

    certificate: x509.Certificate
    """The seal certificate."""
    private_key: SealKey = field(repr=False)
    """The seal private key (RSA or EC)."""
    chain: tuple[x509.Certificate, ...]
    """The CA certificates from ``ca.pem``, issuer of the seal first, root last."""

    @property
    def company_name(self) -> str:
        """The organization named in the seal certificate (its common name when there is none)."""
        return _name_attribute(self.certificate, NameOID.ORGANIZATION_NAME) or _name_attribute(
            self.certificate, NameOID.COMMON_NAME
        )

    @property
    def not_before(self) -> dt.datetime:
        """Start of the seal certificate's validity (UTC)."""
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> dt.datetime:
        """End of the seal certificate's validity (UTC): renew the seal before this date."""
        return self.certificate.not_valid_after_utc

    @property
    def trust_root_pem(self) -> bytes:
        """The root certificate (PEM) a verifier must trust."""
        return self.chain[-1].public_bytes(serialization.Encoding.PEM)

    def check_valid_at(self, moment: dt.datetime) -> None:
        """Raise :class:`SealError` unless the seal certificate and its CAs are valid at ``moment``.

        Raises:
            SealError: ``seal_expired`` or ``seal_not_yet_valid``, naming the dates.
        """
        _check_validity(self.certificate, "seal certificate", moment)
        for certificate in self.chain:
            _check_validity(certificate, "CA certificate", moment)

    @cached_property
    def pyhanko_certificates(self) -> tuple[Any, list[Any]]:
        """(seal certificate, CA chain) as the asn1crypto objects pyHanko works with."""
        from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1  # noqa: PLC0415

        return (
            translate_pyca_cryptography_cert_to_asn1(self.certificate),
            [translate_pyca_cryptography_cert_to_asn1(cert) for cert in self.chain],
        )


def load_seal(
    directory: Path, *, passphrase: bytes | None = None, at: dt.datetime | None = None
) -> SealIdentity:
    """Read and check the seal identity stored in ``directory``.

    The seal certificate must be valid at ``at`` (now by default), match the key, and be
    issued by the CA in ``ca.pem``.

    Raises:
        SealError: ``seal_missing``, ``seal_corrupt``, ``seal_key_mismatch``,
            ``seal_expired`` or ``seal_not_yet_valid``, each saying what to do.
    """
    paths = SealPaths.in_directory(directory)
    missing = [
        path.name
        for path in (paths.ca_certificate, paths.seal_certificate, paths.seal_key)
        if not path.is_file()
    ]
    if missing:
        raise SealError(
            "seal_missing",
            f"no seal identity in {directory} (missing {', '.join(missing)}); run `quitus init` "
            "to create the company CA and seal, or import the company's PKCS#12 seal",
        )
    chain = _read_certificates(paths.ca_certificate)
    certificates = _read_certificates(paths.seal_certificate)
    key = _read_key(paths.seal_key, passphrase)
    identity = check_identity(certificates[0], key, ordered_chain(certificates[0], chain), directory)
    identity.check_valid_at(at or dt.datetime.now(dt.UTC))
    return identity


def check_identity(
    certificate: x509.Certificate, key: SealKey, chain: tuple[x509.Certificate, ...], where: Path
) -> SealIdentity:
    if _public_der(certificate.public_key()) != _public_der(key.public_key()):
        raise SealError(
            "seal_key_mismatch",
            f"{where / KEY_FILE} is not the key of the certificate in {where / SEAL_FILE}; "
            "restore the matching pair from backup or create a new seal in an empty folder",
        )
    try:
        certificate.verify_directly_issued_by(chain[0])
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise SealError(
            "seal_corrupt",
            f"the certificate in {where / SEAL_FILE} was not issued by the CA in {where / CA_FILE}; "
            "restore both files from the same backup",
        ) from exc
    return SealIdentity(certificate, key, chain)


def _check_validity(certificate: x509.Certificate, what: str, moment: dt.datetime) -> None:
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    dates = f"valid from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    if moment < start:
        raise SealError(
            "seal_not_yet_valid",
            f"the {what} is not valid yet ({dates}); check the system clock, or wait until "
            f"{start:%Y-%m-%d %H:%M} UTC",
        )
    if moment > end:
        raise SealError(
            "seal_expired",
            f"the {what} expired on {end:%Y-%m-%d} ({dates}); create a new seal (`quitus init` "
            "in a new key folder, or import a renewed PKCS#12) and give clients the new CA certificate",
        )


def _name_attribute(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _public_der(public_key: Any) -> bytes:
    return bytes(
        public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def ordered_chain(
    leaf: x509.Certificate, certificates: tuple[x509.Certificate, ...]
) -> tuple[x509.Certificate, ...]:
    """The CA certificates from the leaf's issuer up to the root; unrelated ones last."""
    ordered: list[x509.Certificate] = []
    remaining = list(certificates)
    current = leaf
    while True:
        issuer = next((cert for cert in remaining if cert.subject == current.issuer), None)
        if issuer is None:
            break
        ordered.append(issuer)
        remaining.remove(issuer)
        if issuer.subject == issuer.issuer:
            break
        current = issuer
    return tuple(ordered + remaining) if ordered else certificates


def _read_certificates(path: Path) -> tuple[x509.Certificate, ...]:
    try:
        certificates = tuple(x509.load_pem_x509_certificates(path.read_bytes()))
    except (OSError, ValueError) as exc:
        raise SealError(
            "seal_corrupt",
            f"{path} is not a readable PEM certificate file; restore it from backup "
            "or create a new seal in an empty key folder",
        ) from exc
    return certificates


def _read_key(path: Path, passphrase: bytes | None) -> SealKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except TypeError as exc:
        needs = (
            "is encrypted: give its passphrase"
            if passphrase is None
            else "is not encrypted: give no passphrase"
        )
        raise SealError("seal_corrupt", f"{path} {needs}") from exc
    except (OSError, ValueError) as exc:
        raise SealError(
            "seal_corrupt",
            f"{path} is not a readable PEM private key, or the passphrase is wrong; "
            "check the passphrase or restore the key from backup",
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SealError("seal_corrupt", f"{path} holds neither an RSA nor an EC private key")
    return key
