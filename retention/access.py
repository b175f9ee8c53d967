"""Whether a report's personal data may be read freely, or only with a justification — and the read.

Access is restricted when the report was restricted explicitly (an erasure refused
under a legal obligation or a hold) or when its active-base period is over (CNIL:
intermediate archiving — kept, but out of everyday reach).

:func:`read_personal_data` is the one way the CLI, the API and the client portal read a
report's personal data: it checks the restriction, decrypts, and records the read in the
ledger (who, which document, the justification code — never the data).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Literal

from policies.loading import PolicySet
from retention.effective import effective_decision
from retention.errors import DocumentUnavailableError, RestrictedAccessError, RetentionError
from storage.blob_kinds import BlobKind
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.report_store import ReportStore
from storage.states import ReportState

__all__ = ["JUSTIFICATION_PATTERN", "PersonalDocument", "access_restriction", "read_personal_data"]

JUSTIFICATION_PATTERN = re.compile(r"[a-z0-9_.-]{1,64}")
"""A justification is a code (``litigation``, ``subject_access``), recorded as it is."""

PersonalDocument = Literal["content", "pdf_full"]
"""``content``: the parsed report (JSON, blob kind ``report``); ``pdf_full``: the sealed PDF
with personal data (blob kind ``pdf_full``). The name is what the ledger records of a read."""


def access_restriction(
    store: ReportStore, policies: PolicySet, report_id: str, *, today: dt.date | None = None
) -> str | None:
    """``None`` when free, else why it is restricted (a short explanation)."""
    summary = store.get(report_id)
    if summary.restriction_reason:
        return f"restricted ({summary.restriction_reason})"
    decision = effective_decision(store, policies, report_id, explain=False)
    if decision is None:
        return None
    day = today or dt.date.today()
    if decision.restricted_from is not None and decision.restricted_from <= day:
        return f"in intermediate archiving since {decision.restricted_from} (active-base period over)"
    return None


def read_personal_data(
    store: ReportStore,
    policies: PolicySet,
    report_id: str,
    document: PersonalDocument,
    *,
    justification: str | None = None,
    step: LedgerStep = LedgerStep.READ,
    details: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> bytes:
    """Decrypt one of a report's documents for ``store.actor`` and record the read.

    Raises:
        RetentionError: ``justification`` is not a code.
        DocumentUnavailableError: the report was erased, could not be parsed, or is not
            sealed yet (``pdf_full``).
        RestrictedAccessError: access is restricted and no justification was given.
        ReportNotFoundError: no such report.
    """
    if justification is not None and not JUSTIFICATION_PATTERN.fullmatch(justification):
        raise RetentionError(
            "a justification is a code such as litigation or subject_access "
            "(lower-case letters, digits, '_', '.', '-'; at most 64)"
        )
    summary = store.get(report_id)
    if summary.state == ReportState.ERASED:
        raise DocumentUnavailableError(
            f"report {report_id} was erased: its data key was destroyed, nothing can be read", erased=True
        )
    if document == "content":
        blob_id = summary.content_blob_id
        if blob_id is None:
            raise DocumentUnavailableError(
                f"report {report_id} has no parsed content (the submission could not be read; "
                "its issues say why)"
            )
    else:
        blob_id = store.latest_blob(report_id, BlobKind.PDF_FULL)
        if blob_id is None:
            raise DocumentUnavailableError(
                f"report {report_id} is {summary.state.value}: its PDF exists once it is sealed "
                "(the intake flow takes validated reports that far)"
            )
    restriction = access_restriction(store, policies, report_id, today=today)
    if restriction is not None and justification is None:
        raise RestrictedAccessError(report_id, restriction)
    data = store.read_blob(report_id, blob_id)
    recorded: dict[str, str | int | list[str]] = {"document": document, **(details or {})}
    if justification is not None:
        recorded["justification"] = justification
    store.ledger.record(
        LedgerEvent(
            step=step,
            actor=store.actor,
            outcome="revealed" if document == "content" else "exported",
            report_id=report_id,
            details=recorded,
        )
    )
    return data
