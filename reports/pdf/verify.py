"""Verifying a sealed report: is the seal intact, trusted, and is the document untouched?

:func:`verify_sealed_pdf` never raises on a bad document: garbage, an unsigned PDF, a
broken seal or an unknown signer all give a :class:`PdfVerification` whose
``problems`` say, in French, what is wrong. Only unusable trust roots (the verifier's
own configuration) raise :class:`~reports.pdf.errors.VerificationSetupError`.

The level reported follows what the file holds: ``B-B`` (signature), ``B-T`` (plus a
signature timestamp), ``B-LT`` (plus revocation data in the document security store),
``B-LTA`` (plus a document timestamp after it). It is a structural reading, not a full
ETSI EN 319 102-1 conformance check.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.misc import PdfError as PyHankoPdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import UnacceptableSignerError
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

from reports.pdf.errors import VerificationSetupError

__all__ = ["PdfVerification", "SealLevel", "verify_sealed_pdf"]

SealLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]

_KEY_USAGE = KeyUsageConstraints(
    key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False
)
# Document information every PDF writer refreshes when it appends an update (pyHanko does
# when it adds validation data): not a change of the sealed document's description.
_UPDATED_BY_WRITERS = ("/ModDate", "/Producer")
_VOLATILE_XMP = re.compile(rb'(xmp:ModifyDate|xmp:MetadataDate|pdf:Producer)(="[^"]*"|>[^<]*<)')
# Incremental updates that only add validation data or archive timestamps.
_MAINTENANCE = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)


@dataclass(frozen=True)
class PdfVerification:
    """What verifying a sealed PDF found."""

    intact: bool
    """The signature is cryptographically valid and covers the whole signed revision."""

    trusted: bool
    """The signer's certificate chains to one of the given trust roots and was valid."""

    modified_after_signing: bool
    """Incremental updates after the seal change the document (adding validation data
    or archive timestamps does not count)."""

    signer: str | None = None
    """Subject of the seal certificate, e.g. ``CN=Thermi'Clim Services,O=Thermi'Clim Services,C=FR``."""

    signed_at: dt.datetime | None = None
    """When the seal was applied: the timestamp's time when there is a trusted one,
    otherwise the time the signer's own clock claimed."""

    timestamped: bool = False
    """``signed_at`` comes from a valid, trusted timestamp (``B-T`` or above)."""

    validated_at: dt.datetime | None = None
    """When the certificates were checked: the verification time, or the timestamp's time
    when the seal certificate has expired since but a trusted timestamp proves the seal
    was made while it was valid."""

    level: SealLevel | None = None
    """PAdES baseline level found in the file; ``None`` when there is no usable signature."""

    problems: list[str] = field(default_factory=list)
    """Every problem found, in French; empty when the seal is good."""

    @property
    def ok(self) -> bool:
        """Intact, trusted, unmodified, and nothing else wrong."""
        return self.intact and self.trusted and not self.modified_after_signing and not self.problems


def verify_sealed_pdf(
    data: bytes, trust_roots: Sequence[bytes], *, at: dt.datetime | None = None
) -> PdfVerification:
    """Verify the (first) seal signature of ``data`` against ``trust_roots``.

    Args:
        data: the PDF file's bytes.
        trust_roots: certificates to trust, each PEM (one or more certificates) or DER;
            normally the company CA's ``ca.pem``.
        at: validation time (now by default).

    Raises:
        VerificationSetupError: a trust root is not a certificate, or none was given.
    """
    roots = _load_roots(trust_roots)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_regular_signatures
    except (PyHankoPdfError, ValueError, KeyError, TypeError, IndexError, OSError):
        return _failed("Le fichier n'est pas un PDF lisible (fichier tronqué ou endommagé).")
    if not signatures:
        return _failed("Le PDF ne porte aucune signature : il n'a pas été scellé.")
    embedded = signatures[0]
    problems: list[str] = []
    if len(signatures) > 1:
        problems.append(
            f"Le PDF porte {len(signatures)} signatures ; seule la première (le sceau) est vérifiée."
        )
    moment = at or dt.datetime.now(dt.UTC)
    try:
        status = _validate(embedded, reader, roots, moment)
        timestamp = status.timestamp_validity
        if not status.trusted and timestamp is not None and timestamp.intact and timestamp.valid:
            # Past-signature validation: the seal certificate may have expired since, but the
            # timestamp proves the signature existed while it was valid.
            at_timestamp = _validate(embedded, reader, roots, timestamp.timestamp)
            if at_timestamp.trusted and _timestamp_trusted(at_timestamp):
                status, moment = at_timestamp, timestamp.timestamp
    except (SignatureValidationError, UnacceptableSignerError, PyHankoPdfError, ValueError, KeyError) as exc:
        return _failed(
            f"La signature ne peut pas être vérifiée : elle est malformée ou altérée ({type(exc).__name__})."
        )
    intact = bool(
        status.intact
        and status.valid
        and status.coverage is not None
        and status.coverage >= SignatureCoverageLevel.ENTIRE_REVISION
    )
    if not intact:
        problems.insert(
            0,
            "Sceau brisé : le contenu signé a été modifié après le scellement, "
            "ou la signature ne correspond pas au document.",
        )
    modified = status.coverage != SignatureCoverageLevel.ENTIRE_FILE and (
        status.modification_level not in _MAINTENANCE or _metadata_changed(reader, embedded.signed_revision)
    )
    if modified:
        problems.append(
            "Le document a été modifié après le scellement (mise à jour ajoutée après la signature) : "
            "seule la version scellée fait foi."
        )
    timestamp = status.timestamp_validity
    timestamped = _timestamp_trusted(status)
    if timestamp is not None and not timestamped:
        problems.append("L'horodatage de la signature n'est pas valide ou son autorité n'est pas reconnue.")
    trusted = bool(status.trusted) and intact
    if not trusted and intact:
        problems.append(_trust_problem(status))
    signed_at = timestamp.timestamp if timestamped and timestamp is not None else status.signer_reported_dt
    return PdfVerification(
        intact=intact,
        trusted=trusted,
        modified_after_signing=modified,
        signer=_subject(status.signing_cert),
        signed_at=signed_at,
        timestamped=timestamped,
        validated_at=moment,
        level=_level(reader, timestamp is not None),
        problems=problems,
    )


def _validate(embedded: Any, reader: PdfFileReader, roots: list[Any], moment: dt.datetime) -> Any:
    context = ValidationContext(
        trust_roots=roots,
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
        **_dss_material(reader),
    )
    return validate_pdf_signature(embedded, context, key_usage_settings=_KEY_USAGE)


def _timestamp_trusted(status: Any) -> bool:
    timestamp = status.timestamp_validity
    return bool(timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted)


def _metadata_changed(reader: PdfFileReader, signed_revision: int) -> bool:
    """Whether the document information or XMP metadata changed after the signed revision.

    pyHanko's modification analysis accepts metadata updates as harmless; for a sealed
    report a new title or author after the seal is a modification all the same.
    """
    then = reader.get_historical_resolver(signed_revision)
    latest = reader.get_historical_resolver(reader.xrefs.total_revisions - 1)
    return _metadata(then) != _metadata(latest)


def _metadata(resolver: Any) -> tuple[dict[str, str], bytes | None]:
    """(document information, XMP bytes) as they were in one revision."""

    def resolve(value: Any) -> Any:
        return resolver(value.reference) if hasattr(value, "reference") else value

    info = resolver.trailer_view.raw_get("/Info") if "/Info" in resolver.trailer_view else None
    entries = {} if info is None else {str(key): str(resolve(value)) for key, value in resolve(info).items()}
    for key in _UPDATED_BY_WRITERS:
        entries.pop(key, None)
    root = resolve(resolver.trailer_view.raw_get("/Root"))
    xmp = root.raw_get("/Metadata") if "/Metadata" in root else None
    return entries, None if xmp is None else _VOLATILE_XMP.sub(b"", bytes(resolve(xmp).data))


def _failed(problem: str) -> PdfVerification:
    return PdfVerification(intact=False, trusted=False, modified_after_signing=False, problems=[problem])


def _load_roots(trust_roots: Sequence[bytes]) -> list[Any]:
    if not trust_roots:
        raise VerificationSetupError(
            "no_trust_root", "give at least one trust root: the company CA certificate (ca.pem)"
        )
    roots: list[Any] = []
    for position, blob in enumerate(trust_roots, start=1):
        try:
            if b"-----BEGIN" in blob:
                certificates = x509.load_pem_x509_certificates(blob)
            else:
                certificates = [x509.load_der_x509_certificate(blob)]
        except ValueError as exc:
            raise VerificationSetupError(
                "trust_root_invalid",
                f"trust root #{position} is not a PEM or DER certificate; give the company CA file ca.pem",
            ) from exc
        for certificate in certificates:
            roots += load_certs_from_pemder_data(certificate.public_bytes(serialization.Encoding.DER))
    return roots


def _dss_material(reader: PdfFileReader) -> dict[str, Any]:
    """Certificates and revocation data from the document security store, for validation."""
    dss = reader.root.get("/DSS")
    if dss is None:
        return {}
    dss = dss.get_object()
    material: dict[str, Any] = {}
    for key, name in (("/Certs", "other_certs"), ("/CRLs", "crls"), ("/OCSPs", "ocsps")):
        streams = dss.get(key)
        if streams is None:
            continue
        blobs = [stream.get_object().data for stream in streams]
        material[name] = (
            [cert for blob in blobs for cert in load_certs_from_pemder_data(blob)]
            if name == "other_certs"
            else blobs
        )
    return material


def _level(reader: PdfFileReader, has_signature_timestamp: bool) -> SealLevel:
    if not has_signature_timestamp:
        return "B-B"
    dss = reader.root.get("/DSS")
    revocation = dss is not None and any(
        len(dss.get_object().get(key, [])) > 0 for key in ("/CRLs", "/OCSPs")
    )
    if not revocation:
        return "B-T"
    return "B-LTA" if reader.embedded_timestamp_signatures else "B-LT"


def _subject(certificate: Any) -> str | None:
    try:
        loaded = x509.load_der_x509_certificate(certificate.dump())
    except (ValueError, AttributeError):
        return None
    return loaded.subject.rfc4514_string()


def _trust_problem(status: Any) -> str:
    if status.revoked:
        return "Le certificat du sceau a été révoqué."
    indication = status.trust_problem_indic
    name = getattr(indication, "name", "") or ""
    if "NO_CERTIFICATE_CHAIN_FOUND" in name or status.validation_path is None:
        return (
            "Le certificat du sceau ne remonte à aucune autorité de confiance fournie : "
            "faites confiance au certificat de l'autorité de l'entreprise (ca.pem)."
        )
    if "EXPIRED" in name or "OUT_OF_BOUNDS" in name or "NOT_YET_VALID" in name:
        return (
            "Le certificat du sceau n'était pas valide à la date de vérification "
            "(expiré ou pas encore valide)."
        )
    return f"Le certificat du sceau n'est pas reconnu comme fiable ({name or 'raison inconnue'})."
