"""Carry out what is due today: delete, anonymize, or queue for review.

Idempotent and resumable: each batch is committed as it goes; a report already erased
or already queued is skipped; after a crash the next run finds what is still due and
finishes it. Destruction goes through the disposal gate (:mod:`retention.gate`), at the
gate's clock — the real current date: a run never happens "as of" another day (plan a
future date with :func:`retention.planner.plan_dispositions`, which writes nothing).
Each disposition leaves its certificate of disposition (:mod:`retention.certificates`),
signed by its ledger entry (step ``dispose``); with a sealer, :func:`run_retention` issues
their sealed PDFs once the batches are done (outside their transactions: sealing is slow).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from policies.loading import PolicySet
from retention.certificates import CertificateSealer
from retention.clock import Clock
from retention.gate import DisposalGate
from retention.holds import HoldService
from retention.planner import PlannedDisposition, plan_dispositions
from retention.statistics import DEFAULT_K
from storage.erasure import finish_interrupted_deletions
from storage.report_store import ReportStore
from storage.retention_store import QueuedReview, RetentionStore
from storage.retention_vocabulary import DisposalPurpose, DisposalRefusal

__all__ = ["RunSummary", "execute_plan", "run_retention"]

EXECUTION_BATCH = 500


@dataclass
class RunSummary:
    """Counts per (action, policy) — no personal data; what the run artifact shows."""

    done: Counter[tuple[str, str]] = field(default_factory=Counter)
    held: int = 0
    awaiting_review: int = 0
    refused: int = 0
    """Due in the plan but refused by the gate (a hold or a review decided meanwhile)."""
    tampered: dict[str, str] = field(default_factory=dict)
    """Report id → why the gate refused it as tampered (rows edited beside the ledger): ids,
    steps and sequence numbers only. A run with any is a failed run."""
    unreadable: dict[str, str] = field(default_factory=dict)
    """Report id → why it could not be anonymized (its content blob corrupted or lost): kept,
    the rest of the run went on. A run with any is a failed run."""

    @property
    def failed(self) -> bool:
        """Something due was refused for a reason a person must look at (tampered, unreadable)."""
        return bool(self.tampered or self.unreadable)

    certificates_issued: int = 0
    """Sealed certificate PDFs issued after the batches (this run's, and any a crash left)."""
    certificates_failed: dict[str, str] = field(default_factory=dict)
    """Report id → why its certificate's PDF could not be sealed (left for the next run)."""

    @property
    def total(self) -> int:
        return sum(self.done.values())


def run_retention(
    store: ReportStore,
    policies: PolicySet,
    *,
    clock: Clock | None = None,
    k: int = DEFAULT_K,
    sealer: CertificateSealer | None = None,
) -> RunSummary:
    """Plan at the gate's today, carry out what is due and not held, then issue the
    certificates' sealed PDFs (with ``sealer``)."""
    gate = DisposalGate(store, policies, clock=clock, k=k, sealer=sealer)
    holds = HoldService(store).active()
    # The gate checks each report against the ledger as it decides: the plan need not do it too.
    plan = plan_dispositions(store, policies, holds, gate.today(), check_tampering=False)
    summary = execute_plan(store, plan, gate=gate)
    certified = gate.certify()
    if certified is not None:
        summary.certificates_issued = len(certified.issued)
        summary.certificates_failed = dict(certified.failed)
    return summary


def execute_plan(store: ReportStore, plan: Iterable[PlannedDisposition], *, gate: DisposalGate) -> RunSummary:
    """Carry out a plan through ``gate``, batch by batch; the gate checks every item again at
    its own date, so a plan made for another day cannot make anything happen early. The
    certificates' PDFs are left to ``gate.certify()`` (:func:`run_retention` calls it)."""
    summary = RunSummary()
    finish_interrupted_deletions(store)  # files of a run killed after its commit, even if nothing is due now
    try:
        for batch in _chunks(plan, EXECUTION_BATCH):
            _execute_batch(store, gate, batch, summary)
    finally:
        # Each batch destroys its keys for good as it commits; scrubbing their old bytes out of
        # the key store's files is a VACUUM of the whole key table on PostgreSQL, a cost that
        # grows with the archive: once per run, also after a failure (for the batches done).
        gate.scrub()
    return summary


def _execute_batch(
    store: ReportStore, gate: DisposalGate, batch: list[PlannedDisposition], summary: RunSummary
) -> None:
    for item in batch:
        if item.held_by:
            summary.held += 1
        elif item.awaiting_review:
            summary.awaiting_review += 1
    ready = [i for i in batch if i.executable]
    # A review is queued without the gate (a person decides, and approval goes through it):
    # one asked for by edited rows is not queued, and is named like a refused disposal.
    refused = gate.tampered([i.report_id for i in ready if i.action == "review"])
    summary.tampered.update((r.report_id, r.message) for r in refused)
    reviews = [
        QueuedReview(i.report_id, i.policy_ref, i.due)
        for i in ready
        if i.action == "review" and i.report_id not in summary.tampered
    ]
    queued = set(RetentionStore(store).queue(reviews))
    summary.done.update(("review", i.policy_ref) for i in ready if i.report_id in queued)
    outcome = gate.dispose(
        [i.report_id for i in ready if i.action in ("delete", "anonymize")],
        DisposalPurpose.RETENTION,
        certify=False,
    )
    summary.refused += len(outcome.refused)
    summary.tampered.update(
        (r.report_id, r.message) for r in outcome.refused if r.rule == DisposalRefusal.TAMPERED
    )
    summary.unreadable.update(
        (r.report_id, r.message) for r in outcome.refused if r.rule == DisposalRefusal.UNREADABLE
    )
    summary.done.update(("delete", outcome.policy_of[r]) for r in outcome.deleted)
    summary.done.update(("anonymize", outcome.policy_of[r]) for r in outcome.anonymized)


def _chunks(items: Iterable[PlannedDisposition], size: int) -> Iterator[list[PlannedDisposition]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
