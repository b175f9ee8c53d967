"""Creating the seal identity: the company's own small CA, or a purchased PKCS#12 seal.

:func:`create_company_ca` makes a fresh CA (``<company> — Autorité de certification
quitus``) and a seal certificate it issues. The CA private key signs that one
certificate and is then discarded, so nothing in the key folder can mint another
identity; renewing the seal means a new CA that clients trust anew (see ``docs/pdf.md``).
:func:`import_pkcs12` stores a seal bought from a certification authority instead.
Both write ``ca.pem``, ``seal.pem`` and ``seal.key`` (mode 0600) and never overwrite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from reports.pdf.errors import SealError
from reports.pdf.identity import SealKey, SealPaths, check_identity, ordered_chain

__all__ = ["create_company_ca", "import_pkcs12"]

_NAME_LIMIT = 64  # RFC 5280 upper bound of commonName and organizationName (UTF-8 bytes for cryptography)
_CA_SUFFIX = " — Autorité de certification quitus"


def create_company_ca(
    directory: Path,
    company_name: str,
    *,
    valid_days: int = 5 * 365,
    key_type: Literal["rsa", "ec"] = "rsa",
    passphrase: bytes | None = None,
    not_before: dt.datetime | None = None,
) -> SealPaths:
    """Create the company CA and its seal certificate in ``directory``.

    The CA certificate is named ``<company> — Autorité de certification quitus``; the
    seal certificate names the company (organization and common name, cut to the 64
    characters X.509 allows). Both are valid from ``not_before`` (now by default): the
    seal for ``valid_days`` days, the CA 30 days longer. Keys are RSA 3072 (``"rsa"``,
    the most widely verifiable) or ECDSA P-256 (``"ec"``). The seal key is written
    unencrypted unless ``passphrase`` is given (the folder itself is the protected key
    folder). Existing files are never overwritten.

    Raises:
        SealError: ``seal_exists`` when the folder already holds one of the files;
            ``ValueError`` for an empty company name or ``valid_days`` below 1.
    """
    if not company_name.strip():
        raise ValueError("company_name must not be empty")
    if valid_days < 1:
        raise ValueError(f"valid_days must be 1 or more, got {valid_days}")
    paths = SealPaths.in_directory(directory)
    _refuse_existing(paths)
    start = (not_before or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    ca_key, seal_key = _new_key(key_type), _new_key(key_type)
    organization = _cut(company_name.strip(), _NAME_LIMIT)
    ca_name = _name(
        _cut(company_name.strip(), _NAME_LIMIT - len(_CA_SUFFIX.encode())) + _CA_SUFFIX, organization
    )
    ca_certificate = (
        _builder(ca_name, ca_name, ca_key.public_key(), start, start + dt.timedelta(days=valid_days + 30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    seal_certificate = (
        _builder(
            _name(organization, organization),
            ca_name,
            seal_key.public_key(),
            start,
            start + dt.timedelta(days=valid_days),
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(seal_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_identity(paths, seal_key, seal_certificate, (ca_certificate,), passphrase)
    return paths


def import_pkcs12(
    directory: Path,
    p12_bytes: bytes,
    passphrase: bytes | str | None,
    *,
    key_passphrase: bytes | None = None,
) -> SealPaths:
    """Store a seal bought from a certification authority (a PKCS#12 / .p12 / .pfx file).

    The file must hold the private key, the seal certificate and its CA chain (export
    it "with all certificates in the certification path"). ``key_passphrase`` encrypts
    the stored ``seal.key``; without it the key is stored unencrypted in the key folder.

    Raises:
        SealError: ``seal_pkcs12_invalid`` (not a PKCS#12 file, wrong passphrase, no key,
            no CA chain), ``seal_key_mismatch``, ``seal_expired``, ``seal_not_yet_valid``
            or ``seal_exists``.
    """
    paths = SealPaths.in_directory(directory)
    _refuse_existing(paths)
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(p12_bytes, secret)
    except (ValueError, TypeError) as exc:
        raise SealError(
            "seal_pkcs12_invalid",
            "the file is not a PKCS#12 (.p12/.pfx) file or the passphrase is wrong; "
            "check the passphrase given by the certification authority",
        ) from exc
    if key is None or certificate is None:
        raise SealError(
            "seal_pkcs12_invalid",
            "the PKCS#12 file holds no private key or no certificate; export the seal with its private key",
        )
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SealError("seal_pkcs12_invalid", "the seal key must be an RSA or EC key")
    chain = tuple(cert for cert in extra if cert != certificate)
    if not chain:
        raise SealError(
            "seal_pkcs12_invalid",
            "the PKCS#12 file holds no CA certificate; export it with all the "
            "certificates in the certification path",
        )
    identity = check_identity(certificate, key, ordered_chain(certificate, chain), paths.directory)
    identity.check_valid_at(dt.datetime.now(dt.UTC))
    _write_identity(paths, identity.private_key, identity.certificate, identity.chain, key_passphrase)
    return paths


def _new_key(key_type: Literal["rsa", "ec"]) -> SealKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"key_type must be 'rsa' or 'ec', not {key_type!r}")


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` UTF-8 bytes (what cryptography checks), cut with an ellipsis."""
    if len(text.encode()) <= limit:
        return text
    while len((text + "…").encode()) > limit:
        text = text[:-1].rstrip()
    return text + "…"


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: Any,
    start: dt.datetime,
    end: dt.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _refuse_existing(paths: SealPaths) -> None:
    existing = [
        path.name for path in (paths.ca_certificate, paths.seal_certificate, paths.seal_key) if path.exists()
    ]
    if existing:
        raise SealError(
            "seal_exists",
            f"{paths.directory} already holds a seal identity ({', '.join(existing)}); it is never "
            "overwritten: move it away first or choose another key folder",
        )


def _write_identity(
    paths: SealPaths,
    key: SealKey,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...],
    passphrase: bytes | None,
) -> None:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    files = (
        (paths.seal_key, key_pem, 0o600),
        (paths.seal_certificate, certificate.public_bytes(serialization.Encoding.PEM), 0o644),
        (paths.ca_certificate, b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain), 0o644),
    )
    paths.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _all_or_nothing() as written:
        for path, content, mode in files:
            _write_new(path, content, mode)
            written.append(path)


@contextlib.contextmanager
def _all_or_nothing() -> Iterator[list[Path]]:
    """Remove the files written so far when writing the identity fails half-way."""
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _write_new(path: Path, content: bytes, mode: int) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as exc:
        raise SealError(
            "seal_exists", f"{path} appeared while the seal was being written; it was left untouched"
        ) from exc
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    path.chmod(mode)  # O_CREAT's mode is masked by the umask
