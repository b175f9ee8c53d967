"""Disposition review: a compliance officer approves, extends or relabels a queued report.

* **approve** — dispose now, through the disposal gate: refused while held, under a
  running legal obligation, or before the due date.
* **extend** — keep it until a later date, with a reason; it comes back to the queue then.
* **relabel** — govern it by another policy that covers it, with a reason. A mandatory
  period (``obligation: true``) is never shortened: a relabel that would end before the
  obligation does is refused (the preservation lock).

Reasons are free text (they may name people): kept encrypted, the ledger names them by
hash. Each decision is a ledger event naming who decided.
"""

from __future__ import annotations

import datetime as dt

from policies.decision import why_not_covered
from policies.loading import PolicySet
from retention.certificates import CertificateSealer
from retention.clock import Clock, SystemClock
from retention.effective import EffectiveDecision, effective_decision
from retention.errors import ReviewError
from retention.gate import DisposalGate, DisposalOutcome
from storage.report_store import ReportStore
from storage.retention_store import RetentionStore, ReviewState
from storage.retention_vocabulary import DisposalPurpose, ReviewStatus

__all__ = ["ReviewQueue"]


class ReviewQueue:
    def __init__(
        self,
        store: ReportStore,
        policies: PolicySet,
        *,
        clock: Clock | None = None,
        sealer: CertificateSealer | None = None,
    ) -> None:
        self.store = store
        self.policies = policies
        self.clock: Clock = clock or SystemClock()
        self.sealer = sealer
        """Issues the certificate's sealed PDF right after an approval."""
        self._reviews = RetentionStore(store)

    def pending(self) -> list[ReviewState]:
        return self._reviews.pending()

    def approve(self, report_id: str) -> DisposalOutcome:
        """Erase the report through the disposal gate; :class:`ReviewError` says why it may not.

        Its certificate of disposition is stored with the erasure, its PDF issued after it
        (with a sealer; ``outcome.certified`` says what was issued)."""
        outcome = DisposalGate(self.store, self.policies, clock=self.clock, sealer=self.sealer).dispose(
            [report_id], DisposalPurpose.REVIEW_APPROVAL
        )
        if outcome.refused:
            raise ReviewError(outcome.refused[0].message)
        self.store.keystore.scrub()
        return outcome

    def extend(self, report_id: str, until: dt.date, *, reason: str) -> None:
        effective = self._pending(report_id)
        today = self.clock.today()
        if until <= today:
            raise ReviewError(f"the new date {until} must be after today ({today})")
        if effective.decision.due is not None and until <= effective.decision.due:
            raise ReviewError(
                f"{report_id} is due on {effective.decision.due}: an extension keeps it longer, "
                "give a later date"
            )
        self._decide(report_id, ReviewStatus.EXTENDED, reason, extended_until=until, until=until.isoformat())

    def relabel(self, report_id: str, policy_id: str, *, reason: str) -> None:
        effective = self._pending(report_id)
        chosen = self.policies.get(policy_id)
        if chosen is None:
            known = ", ".join(p.policy.id for p in self.policies)
            raise ReviewError(f"no policy '{policy_id}'; known: {known}")
        match = next((m for m in effective.decision.matches if m.policy.id == policy_id), None)
        if match is None:
            why = why_not_covered(chosen.policy, effective.facts) or "it does not apply"
            raise ReviewError(
                f"{policy_id} does not cover {report_id} ({why}): relabel only to a policy whose scope "
                "covers the report; `quitus policies explain` lists them"
            )
        obligation = effective.obligation_until
        if obligation is not None and (match.end is None or match.end < obligation):
            raise ReviewError(
                f"{policy_id} would end on {match.end or 'an unknown date'}, before {obligation}: "
                f"{', '.join(effective.obligations())} is a legal obligation, it cannot be shortened"
            )
        self._decide(report_id, ReviewStatus.RELABELLED, reason, override_policy=policy_id, policy=chosen.ref)

    def _pending(self, report_id: str) -> EffectiveDecision:
        effective = effective_decision(self.store, self.policies, report_id, explain=False)
        if effective is None or not effective.awaiting_review:
            raise _not_waiting(report_id)
        return effective

    def _decide(
        self,
        report_id: str,
        status: ReviewStatus,
        reason: str,
        *,
        extended_until: dt.date | None = None,
        override_policy: str | None = None,
        **details: str,
    ) -> None:
        with self.store.database.session() as session:
            try:
                note = self.store.notes.add(session, reason)
            except ValueError as exc:
                raise ReviewError(f"--reason: {exc}") from exc
            decided = self._reviews.decide(
                session,
                report_id,
                status,
                extended_until=extended_until,
                override_policy=override_policy,
                details={**details, **note.details("reason")},
            )
            if decided is None:
                raise _not_waiting(report_id)


def _not_waiting(report_id: str) -> ReviewError:
    return ReviewError(f"report {report_id} is not waiting for review; `quitus review list` shows the queue")
