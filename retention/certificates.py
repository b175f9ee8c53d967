"""Certificates of disposition: what each disposal leaves, standing alone, for an auditor.

One certificate per disposal, built by the disposal gate (:mod:`retention.gate`) *before*
the erasure's transaction and stored *in* it; its SHA-256 goes into the disposal's own
ledger entry (``dispose`` or ``shred``, detail ``certificate_sha256``), so an edited
certificate no longer matches a signed entry. It is canonical JSON (sorted keys, UTF-8,
no spaces), format :data:`FORMAT`, and holds no personal data: ids, the report's number,
codes, dates, policy texts, ledger sequence numbers, the actors' user ids and the company's
name. A report number (``RI-2026-000123``) is a document's reference, not personal data: an
erased report keeps it (its tombstone), and its certificate names it.

Then, outside that transaction (sealing is slow), :func:`issue_certificates` — the one
function every disposing path calls — turns each certificate still without one into a
sealed French PDF (``Certificat de destruction`` / ``Certificat d'anonymisation``), stored
with it, and records a ``certify`` entry with ``certificate_sha256`` and
``certificate_pdf_sha256``. It is idempotent: a crash between a disposal and its PDF is
finished by the next call. It issues once: a report whose ``certify`` entry exists but whose
PDF is gone (deleted by hand) is refused, to be restored from a backup. Rendering and
sealing are :mod:`reports`' (retention must not render or sign): the caller passes a
:class:`CertificateSealer` (``reports.pdf.disposition.DispositionSealer``).

:func:`disposition_documents` gives a report's two files to a proof bundle;
:func:`disposed_register` is the register of disposed items, read from the ledger.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from policies.decision import PolicyMatch
from policies.loading import LoadedPolicy
from reports.errors import ReportsError
from retention.effective import EffectiveDecision
from retention.errors import CertificateError
from retention.holds import ActiveHolds, Hold
from retention.statistics import GENERALIZATION, QuasiIdentifiers
from storage.certificate_store import CertificateStore, NewCertificate, StoredCertificate
from storage.hold_store import HoldStore
from storage.ledger.events import decode_entry
from storage.ledger.steps import DISPOSAL_STEPS, LedgerStep
from storage.report_store import ReportStore
from storage.retention_vocabulary import DisposalPurpose
from storage.states import ReportState

__all__ = [
    "FORMAT",
    "JSON_NAME",
    "PDF_NAME",
    "REGISTER_COLUMNS",
    "CertificateError",
    "CertificateSealer",
    "DisposedItem",
    "IssueOutcome",
    "build_certificates",
    "canonical_json",
    "disposed_register",
    "disposition_documents",
    "issue_certificates",
    "stored_certificate",
]

FORMAT = "quitus-disposition-certificate/1"
JSON_NAME = "disposition.json"
PDF_NAME = "certificat-disposition.pdf"
PARIS = ZoneInfo("Europe/Paris")
_ENTRY_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
_ACTIONS = {"delete": "deleted", "anonymize": "anonymized"}
ISSUE_BATCH = 50


class CertificateSealer(Protocol):
    """Renders a certificate as a sealed French PDF (``reports.pdf.disposition.DispositionSealer``).

    Implementations MUST embed ``document`` byte for byte as the attached file
    ``disposition.json``, print its SHA-256, and seal the PDF with the company's seal; they
    MUST raise a :class:`reports.errors.ReportsError` (a ``SealError`` for an expired seal)
    when they cannot, never quoting a value of the certificate.
    """

    @property
    def company(self) -> str:
        """The company's name as its seal certificate names it."""
        ...

    def seal_certificate(self, certificate: Mapping[str, Any], document: bytes) -> bytes:
        """The sealed PDF of ``certificate`` (whose canonical bytes are ``document``)."""
        ...


def canonical_json(document: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes that are hashed and stored."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- building, in the gate ---------------------------------------------------------------------


def build_certificates(
    store: ReportStore,
    allowed: Sequence[EffectiveDecision],
    *,
    purpose: DisposalPurpose,
    reason: str,
    step: LedgerStep,
    anonymized: set[str],
    decided_on: dt.date,
    now: dt.datetime,
    company: str | None,
    k: int,
) -> dict[str, NewCertificate]:
    """Report id → its certificate, for the reports the gate is about to dispose of.

    ``now`` is the time the disposal's ledger entry will carry (the gate gives the same to
    the erasure), so the certificate and the signed entry tell one instant."""
    ids = [e.report_id for e in allowed]
    numbers = store.numbers(ids)
    certificates = CertificateStore(store)
    steps = certificates.entry_steps(ids)
    holds = _released_hold_entries(store, allowed)
    utc = now.astimezone(dt.UTC)
    disposed_at = {"utc": utc.strftime(_ENTRY_TIME), "europe_paris": utc.astimezone(PARIS).isoformat()}
    built: dict[str, NewCertificate] = {}
    texts: dict[int, dict[str, Any]] = {}
    for effective in allowed:
        report_id = effective.report_id
        action = "anonymized" if report_id in anonymized else "deleted"
        rests_on = sorted(set(steps.get(report_id, [])) | set(holds.get(report_id, [])))
        document: dict[str, Any] = {
            "format": FORMAT,
            "report_id": report_id,
            "number": numbers.get(report_id),
            "action": action,
            "method": (
                "crypto-shredding: the report's own data key (AES-256-GCM) destroyed, "
                "its encrypted files deleted, a tombstone kept"
            ),
            "kept": _kept(k) if action == "anonymized" else None,
            "purpose": purpose.value,
            "reason": reason,
            "policy": _policy(effective.winner, texts),
            "other_policies": [
                _policy(m, texts) for m in effective.decision.matches if m is not effective.winner
            ],
            "due": None if effective.due is None else effective.due.isoformat(),
            "decided_on": decided_on.isoformat(),
            "disposed_at": disposed_at,
            "executed_by": store.actor,
            "approved_by": store.actor if purpose == DisposalPurpose.REVIEW_APPROVAL else None,
            "requested_by": store.actor if purpose == DisposalPurpose.ERASURE_REQUEST else None,
            "ledger_entries": [{"seq": seq, "step": name} for seq, name in rests_on],
            "recorded_in": {"step": step.value, "detail": "certificate_sha256"},
            "company": company,
        }
        raw = canonical_json(document)
        built[report_id] = NewCertificate(report_id, step, raw, hashlib.sha256(raw).hexdigest(), utc)
    return built


def _kept(k: int) -> dict[str, Any]:
    return {
        "statistical_record": {
            "fields": [f.name for f in fields(QuasiIdentifiers)],
            "k": k,
            "generalization": [name for name, _ in GENERALIZATION],
            "written": (
                f"only when at least {k} records share every value, after generalization; "
                "else nothing is kept. No id, hash or time links it to the report"
            ),
        }
    }


def _policy(match: PolicyMatch | None, texts: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    if match is None:
        return None
    text = texts.get(id(match.loaded))
    if text is None:
        text = texts[id(match.loaded)] = _policy_text(match.loaded)
    return {**text, "until": None if match.end is None else match.end.isoformat()}


def _policy_text(loaded: LoadedPolicy) -> dict[str, Any]:
    """What a policy file says (once per policy and batch: a batch shares a few policies)."""
    basis = loaded.policy.legal_basis
    return {
        "id": loaded.policy.id,
        "version": loaded.version,
        "title": loaded.policy.title,
        "action": loaded.policy.action,
        "duration": loaded.policy.duration,
        "legal_basis": {
            "text": basis.text.strip(),
            "references": list(basis.references),
            "obligation": basis.obligation,
        },
    }


def _released_hold_entries(
    store: ReportStore, allowed: Sequence[EffectiveDecision]
) -> dict[str, list[tuple[int, str]]]:
    """Report id → ``(seq, step)`` of the ``hold.place`` and ``hold.release`` entries of the
    released holds that covered it (holds in force refuse the disposal: none is left)."""
    released = [h for h in HoldStore(store).from_ledger().values() if not h.in_force and h.scope is not None]
    if not released:
        return {}
    by_id = {h.id: h for h in released}
    holds = [
        Hold(
            h.id,
            h.scope_kind,
            dict(h.scope or {}),
            h.placed_by,
            h.placed_at,
            h.released_at,
            h.reason_ref or "",
        )
        for h in released
    ]
    covered = ActiveHolds(store, holds).held([e.facts for e in allowed])
    found: dict[str, list[tuple[int, str]]] = {}
    for report_id, hold_ids in covered.items():
        for hold_id in hold_ids:
            hold = by_id[hold_id]
            found.setdefault(report_id, []).append((hold.placed_seq, LedgerStep.HOLD_PLACE.value))
            if hold.released_seq is not None:
                found[report_id].append((hold.released_seq, LedgerStep.HOLD_RELEASE.value))
    return found


# -- issuing the PDFs, outside the gate's transaction ---------------------------------------


@dataclass
class IssueOutcome:
    """What one call of :func:`issue_certificates` did (ids and codes only)."""

    issued: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Report id → why its PDF could not be issued (it stays pending for the next call)."""


def issue_certificates(
    store: ReportStore, sealer: CertificateSealer, *, limit: int | None = None
) -> IssueOutcome:
    """Issue the sealed PDF of every certificate that has none yet (at most ``limit``).

    Every path that disposes calls this after the disposal; it also finishes what a crash
    left (a certificate stored, no PDF). A PDF that cannot be sealed (an expired seal) is
    reported in :attr:`IssueOutcome.failed` and left pending; the disposal stands."""
    outcome = IssueOutcome()
    certificates = CertificateStore(store)
    after: tuple[dt.datetime, str] | None = None
    while limit is None or len(outcome.issued) + len(outcome.failed) < limit:
        room = (
            ISSUE_BATCH
            if limit is None
            else min(ISSUE_BATCH, limit - len(outcome.issued) - len(outcome.failed))
        )
        batch = certificates.pending(room, after=after)
        if not batch:
            break
        for stored in batch:
            try:
                _issue(certificates, stored, sealer)
            except CertificateError as exc:
                outcome.failed[stored.report_id] = str(exc)
            else:
                outcome.issued.append(stored.report_id)
        after = (batch[-1].disposed_at, batch[-1].report_id)
    return outcome


def _issue(certificates: CertificateStore, stored: StoredCertificate, sealer: CertificateSealer) -> bytes:
    issued_by = _certify_seq(certificates, stored.report_id)
    if issued_by is not None:
        # Issued once already: a PDF missing now was deleted, and a new one would pass for it.
        raise CertificateError(
            f"{stored.report_id}: its sealed PDF, issued by ledger entry {issued_by}, is missing from "
            "disposition_certificates: restore it from a backup (a certificate is never issued twice; "
            "`quitus audit verify` names it until then)"
        )
    document = json.loads(stored.document)
    try:
        pdf = sealer.seal_certificate(document, stored.document)
    except ReportsError as exc:  # reports' errors say what to do, and quote no report value
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise CertificateError(
            f"{stored.report_id}: the certificate's PDF could not be sealed ({message}); the disposal "
            "stands and its certificate is stored: `quitus retention certificate` issues it once fixed"
        ) from exc
    certificates.attach_pdf(stored, pdf, hashlib.sha256(pdf).hexdigest())
    return pdf


def _certify_seq(certificates: CertificateStore, report_id: str) -> int | None:
    """The first ``certify`` entry of the report, found by what it says."""
    for seq, raw in certificates.certify_entries([report_id]):
        entry = decode_entry(raw)
        if entry.get("step") == LedgerStep.CERTIFY and entry.get("report") == report_id:
            return seq
    return None


# -- reading ----------------------------------------------------------------------------------


def stored_certificate(store: ReportStore, report_id: str) -> StoredCertificate | None:
    """The report's certificate, checked against its signed ledger entry; ``None`` for a
    report disposed before certificates existed. :class:`CertificateError` when the report
    is not disposed, or the stored certificate does not match the ledger (it was edited)."""
    report = store.get(report_id)
    if report.state != ReportState.ERASED:
        raise CertificateError(
            f"{report_id} is not disposed of (state {report.state.value}): only an erased report has a "
            "certificate of disposition; `quitus retention plan` says when it will be"
        )
    signed = _signed_digests(store, report_id)
    stored = CertificateStore(store).get(report_id)
    if signed.certificate is None:
        if stored is None:
            return None
        raise CertificateError(
            f"{report_id}: a certificate is stored but its disposal entry records none: it was added by "
            "hand; `quitus audit verify`"
        )
    if stored is None:
        raise CertificateError(
            f"{report_id}: the disposal entry (seq {signed.disposal_seq}) records a certificate that is "
            "missing from disposition_certificates: restore the table from a backup"
        )
    if hashlib.sha256(stored.document).hexdigest() != signed.certificate:
        raise CertificateError(
            f"{report_id}: the stored certificate does not match certificate_sha256 of its signed "
            f"disposal entry (seq {signed.disposal_seq}): it was edited; restore disposition_certificates "
            "from a backup"
        )
    if stored.pdf is not None and (
        signed.pdf is None or hashlib.sha256(stored.pdf).hexdigest() != signed.pdf
    ):
        raise CertificateError(
            f"{report_id}: the stored PDF does not match certificate_pdf_sha256 of its certify entry: "
            "it was edited or replaced; restore disposition_certificates from a backup"
        )
    return stored


def disposition_documents(
    store: ReportStore, report_id: str, *, sealer: CertificateSealer | None = None
) -> dict[str, bytes]:
    """``{"disposition.json": …, "certificat-disposition.pdf": …}`` of an erased report, for
    its proof bundle; ``{}`` for one disposed before certificates existed.

    The PDF is issued first when it was not yet (it needs ``sealer``). Raises
    :class:`CertificateError` for a report not disposed of, a certificate or PDF that does
    not match the ledger, or a PDF to issue without a ``sealer``."""
    stored = stored_certificate(store, report_id)
    if stored is None:
        return {}
    pdf = stored.pdf
    if pdf is None:
        if sealer is None:
            raise CertificateError(
                f"{report_id}: the certificate's sealed PDF was not issued yet and no sealer was given: "
                "pass sealer= (quitus.wiring App.certificate_sealer()), or run `quitus retention certificate`"
            )
        _issue(CertificateStore(store), stored, sealer)
        issued = stored_certificate(store, report_id)
        assert issued is not None
        pdf = issued.pdf
        assert pdf is not None
    return {JSON_NAME: stored.document, PDF_NAME: pdf}


@dataclass(frozen=True)
class _Signed:
    disposal_seq: int | None
    certificate: str | None
    pdf: str | None


def _signed_digests(store: ReportStore, report_id: str) -> _Signed:
    disposal_seq = certificate = pdf = None
    for stored in store.ledger.entries_for_report(report_id):
        entry = decode_entry(stored.entry)
        details = entry.get("details") or {}
        if entry.get("step") in DISPOSAL_STEPS and disposal_seq is None:
            disposal_seq, certificate = stored.seq, details.get("certificate_sha256")
        elif entry.get("step") == LedgerStep.CERTIFY and details.get("certificate_sha256") == certificate:
            pdf = details.get("certificate_pdf_sha256")
    return _Signed(disposal_seq, certificate, pdf)


# -- the register of disposed items -----------------------------------------------------------


REGISTER_COLUMNS = (
    "report_id",
    "number",
    "disposed_at",
    "disposed_at_europe_paris",
    "action",
    "purpose",
    "reason",
    "policy",
    "approver",
    "ledger_seq",
    "certificate_sha256",
    "pdf_issued",
    "certificate_pdf_sha256",
)
"""The register's columns, in order (``as_dict`` keys; the CSV header)."""


@dataclass(frozen=True)
class DisposedItem:
    """One row of the register of disposed items (ids and codes only)."""

    report_id: str
    disposed_at: dt.datetime
    action: str
    """``deleted`` or ``anonymized``."""
    purpose: str
    """``retention``, ``review_approved`` or ``erasure_request``."""
    reason: str | None
    policy: str | None
    approver: str | None
    """Who approved (a review) or requested (an erasure); the job, for retention."""
    seq: int
    certificate_sha256: str | None
    """``None`` for a disposal recorded before certificates existed."""
    pdf_issued: bool
    pdf_sha256: str | None
    number: str | None = None
    """The report's number (``RI-2026-000123``), kept after erasure; ``None`` if it had none."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "number": self.number,
            "disposed_at": self.disposed_at.strftime(_ENTRY_TIME),
            "disposed_at_europe_paris": self.disposed_at.astimezone(PARIS).isoformat(),
            "action": self.action,
            "purpose": self.purpose,
            "reason": self.reason,
            "policy": self.policy,
            "approver": self.approver,
            "ledger_seq": self.seq,
            "certificate_sha256": self.certificate_sha256,
            "pdf_issued": self.pdf_issued,
            "certificate_pdf_sha256": self.pdf_sha256,
        }


def disposed_register(
    store: ReportStore, *, since: dt.date, until: dt.date | None = None
) -> list[DisposedItem]:
    """Every disposal the ledger records from ``since`` to ``until`` included (UTC days), oldest
    first, with whether its certificate's PDF was issued (a ``certify`` entry, at any time since)."""
    if until is not None and until < since:
        raise CertificateError(f"--until {until} is before --since {since}: give an --until on or after it")
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    # The register ends where the day after ``until`` begins; after the last day a date can
    # name (``--until 9999-12-31``) there is none, and nothing to leave out.
    end = (
        None
        if until is None or until == dt.date.max
        else dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    )
    certificates = CertificateStore(store)
    disposals: list[tuple[int, dict[str, Any]]] = []
    for seq, raw in certificates.register_entries(start, end):
        entry = decode_entry(raw)
        if entry.get("step") in DISPOSAL_STEPS and entry.get("seq") == seq:
            disposals.append((seq, entry))
    issued: dict[tuple[str, str], str] = {}
    for _, raw in certificates.certify_entries(str(e.get("report")) for _, e in disposals):
        entry = decode_entry(raw)
        details = entry.get("details") or {}
        issued[(str(entry.get("report")), str(details.get("certificate_sha256")))] = str(
            details.get("certificate_pdf_sha256")
        )
    numbers = store.numbers(str(e.get("report")) for _, e in disposals)
    return [_register_row(seq, entry, issued, numbers) for seq, entry in disposals]


def _register_row(
    seq: int, entry: Mapping[str, Any], issued: Mapping[tuple[str, str], str], numbers: Mapping[str, str]
) -> DisposedItem:
    details = entry.get("details") or {}
    report_id = str(entry.get("report"))
    step = entry.get("step")
    purpose = str(details.get("purpose") or ("erasure_request" if step == LedgerStep.SHRED else "retention"))
    digest = details.get("certificate_sha256")
    pdf = issued.get((report_id, str(digest))) if digest else None
    return DisposedItem(
        report_id=report_id,
        disposed_at=dt.datetime.strptime(str(entry["time"]), _ENTRY_TIME).replace(tzinfo=dt.UTC),
        action=_ACTIONS.get(str(details.get("action", "delete")), str(details.get("action"))),
        purpose=purpose,
        reason=details.get("reason"),
        policy=entry.get("policy"),
        approver=str(entry.get("actor")),
        seq=seq,
        certificate_sha256=digest,
        pdf_issued=pdf is not None,
        pdf_sha256=pdf,
        number=numbers.get(report_id),
    )
