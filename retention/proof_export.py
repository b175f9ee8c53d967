"""A report's proof bundle, exported under the access rules of its documents.

One function for the CLI (``quitus proof export``), the API and the demo:

* the sealed PDF with personal data is read through :func:`retention.access.read_personal_data`,
  like ``quitus reports pdf``: refused without a justification code when the report is
  restricted, and the read is recorded (before the export entry, so the bundle proves it);
* the anonymized PDF has no personal data and is read as it is;
* an erased report's documents are its certificate of disposition
  (:func:`retention.certificates.disposition_documents`), its sealed PDF issued first when
  it was not yet and a sealer is given;
* the bundle carries the ``hold.place`` / ``hold.release`` entries of every legal hold that
  covered the report, by the same rule as the disposal gate (:class:`retention.holds.ActiveHolds`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from policies.decision import ReportFacts
from policies.loading import PolicySet
from retention.access import read_personal_data
from retention.certificates import CertificateSealer, disposition_documents
from retention.errors import CertificateError, DocumentUnavailableError
from retention.holds import ActiveHolds, Hold
from storage.blob_kinds import BlobKind
from storage.hold_store import HoldStore, LedgerHold
from storage.ledger.witness import WitnessError
from storage.ledger.witness_client import WitnessEndpoint, submit_checkpoint
from storage.proofs import export_report_proof
from storage.report_store import ReportStore, ReportSummary
from storage.states import ReportState

__all__ = ["BundleDocument", "ProofExport", "export_proof"]

BundleDocument = Literal["full", "redacted", "none"]
"""``full``: the sealed PDF with personal data (a recorded read); ``redacted``: the sealed
anonymized PDF; ``none``: no document. An erased report gets its certificate in any case."""

SEALED_PDF = "rapport-scelle.pdf"
REDACTED_PDF = "rapport-anonymise.pdf"


@dataclass(frozen=True)
class ProofExport:
    """A bundle and what went into it."""

    data: bytes
    """The zip file."""
    documents: tuple[str, ...]
    """The names of the files under ``documents/``."""
    holds: tuple[str, ...]
    """The ids of the legal holds whose entries the bundle carries."""
    note: str | None = None
    """Why a document that could have been there is not (no personal data)."""
    witness_problem: str | None = None
    """Why the checkpoint is not cosigned, when a witness was asked and could not."""


def export_proof(
    store: ReportStore,
    policies: PolicySet,
    report_id: str,
    *,
    verifier_key: str,
    document: BundleDocument = "full",
    justification: str | None = None,
    certificate_sealer: CertificateSealer | None = None,
    today: dt.date | None = None,
    witness: WitnessEndpoint | None = None,
) -> ProofExport:
    """Export ``report_id``'s proof bundle for ``store.actor``.

    ``witness``: the checkpoint the bundle carries is cosigned by it (C2SP tlog-witness); when
    the witness cannot cosign, the bundle carries the ledger's signature alone and
    :attr:`ProofExport.witness_problem` says why.

    Raises:
        RestrictedAccessError: ``document="full"``, the report is restricted and no
            justification was given (nothing is exported, nothing recorded).
        RetentionError: ``justification`` is not a code.
        ReportNotFoundError: no such report.
    """
    summary = store.get(report_id)
    documents: dict[str, bytes] = {}
    note = None
    if summary.state == ReportState.ERASED:
        documents, note = _certificate(store, report_id, certificate_sealer)
    elif document == "full":
        try:
            documents[SEALED_PDF] = read_personal_data(
                store, policies, report_id, "pdf_full", justification=justification, today=today
            )
        except DocumentUnavailableError as exc:
            note = str(exc)  # not sealed yet: the bundle proves the history so far
    elif document == "redacted":
        blob_id = store.latest_blob(report_id, BlobKind.PDF_REDACTED)
        if blob_id is None:
            note = f"report {report_id} is {summary.state.value}: it has no sealed PDF yet"
        else:
            documents[REDACTED_PDF] = store.read_blob(report_id, blob_id)
    covering: list[str] = []
    problems: list[str] = []
    data = export_report_proof(
        store,
        report_id,
        verifier_key=verifier_key,
        documents=documents,
        holds_covering=_holds_covering(store, summary, covering.extend),
        checkpoint=None if witness is None else lambda: _cosigned(store, witness, problems.append),
    )
    return ProofExport(
        data, tuple(sorted(documents)), tuple(covering), note, problems[0] if problems else None
    )


def _cosigned(
    store: ReportStore, witness: WitnessEndpoint, problem: Callable[[str], None]
) -> tuple[int, str]:
    """The ledger's checkpoint, cosigned by ``witness`` — or signed alone, with why."""
    try:
        cosigned = submit_checkpoint(store.ledger, witness)
    except WitnessError as exc:
        problem(str(exc))
        return store.ledger.checkpoint()
    return cosigned.size, cosigned.note


def _certificate(
    store: ReportStore, report_id: str, sealer: CertificateSealer | None
) -> tuple[dict[str, bytes], str | None]:
    """An erased report's certificate of disposition, as files for ``documents/``; none for a
    report erased before certificates existed, or whose certificate cannot be given (said why:
    the bundle still proves the disposal, from the ledger)."""
    try:
        documents = disposition_documents(store, report_id, sealer=sealer)
    except CertificateError as exc:
        return {}, f"no certificate of disposition: {exc}"
    if not documents:
        return {}, f"report {report_id} was erased before certificates of disposition were issued"
    return dict(documents), None


def _holds_covering(
    store: ReportStore, summary: ReportSummary, found: Callable[[Collection[str]], None]
) -> Callable[[Mapping[str, LedgerHold]], Collection[str]]:
    """Which of the ledger's holds covered the report: those whose scope covers it, by the rule
    the disposal gate applies (the storage layer leaves out holds placed after its disposal)."""

    def covering(holds: Mapping[str, LedgerHold]) -> Collection[str]:
        rows = {row.id: row for row in HoldStore(store).rows(include_released=True)}
        candidates = []
        for hold in holds.values():
            scope = hold.scope if hold.scope is not None else getattr(rows.get(hold.id), "scope", None)
            if scope is None:
                continue  # an old entry without its scope, whose row is gone: nothing to match on
            candidates.append(
                Hold(
                    hold.id,
                    hold.scope_kind,
                    dict(scope),
                    hold.placed_by,
                    hold.placed_at,
                    hold.released_at,
                    hold.reason_ref or "",
                )
            )
        ids = ActiveHolds(store, candidates).held([_facts(summary)]).get(summary.id, [])
        found(ids)
        return ids

    return covering


def _facts(summary: ReportSummary) -> ReportFacts:
    """What a query hold matches on, from the report's row (kept after erasure)."""
    category, _, kind = (summary.template_id or "").partition(".")
    return ReportFacts(
        report_id=summary.id,
        intervention_type=kind or None,
        equipment_category=category or None,
        client_kind=summary.client_kind,
        tags=frozenset(),
        site_country=None,
        intervention_date=summary.intervention_date,
        archival_date=None,
        received_date=summary.created_at.date(),
    )
