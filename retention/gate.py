"""The disposal gate: the one code path that destroys or anonymizes a report.

The retention job, an approved review, a data-subject erasure, ``reports shred`` and
every API route that disposes of a report call :meth:`DisposalGate.dispose`; nothing
else calls :func:`storage.erasure.shred_reports` (``tests/test_architecture.py`` checks it).
The gate decides from the effective decision (:mod:`retention.effective`) at the **real
current date** (its clock; tests and the demo's own home inject another) and refuses,
naming the hold, the obligation or the date:

=====================  ========================================================
rule                   refused when
=====================  ========================================================
tampered               what the decision rests on differs from the ledger — its
                       retention facts, archival date, events, review row or
                       subject index was edited, or an entry quitus did not
                       write records it (:func:`~storage.state_integrity.decision_tampering`)
                       — every purpose
legal hold             a hold in force covers the report — every purpose
legal obligation       a policy with ``obligation: true`` keeps it past today —
                       every purpose (GDPR Art. 17(3)(b) for an erasure request)
not due                retention or review approval before the effective due date
awaiting review        retention of a report queued for review (a person decides)
needs review           retention whose action is ``review``: it is queued instead
not queued             review approval of a report that is not waiting for review
=====================  ========================================================

An erasure request (GDPR Art. 17) needs no due date: a retention period the law does not
impose gives way to the person's right. Reports already erased are "already erased"
(success), never an error.

Every disposal leaves a **certificate of disposition** (:mod:`retention.certificates`):
built here before the erasure's transaction, stored in it, its SHA-256 in the disposal's
own ledger entry (``certificate_sha256``). With a ``sealer``, :meth:`DisposalGate.dispose`
then issues the sealed PDFs still missing (:func:`~retention.certificates.issue_certificates`),
outside that transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from policies.loading import PolicySet
from reports.schema import InterventionReport
from retention.certificates import CertificateSealer, IssueOutcome, build_certificates, issue_certificates
from retention.clock import Clock, SystemClock
from retention.effective import EffectiveDecision, effective_decisions
from retention.facts import iter_report_facts
from retention.holds import HoldService
from retention.statistics import DEFAULT_K, StatisticalDraft, draft_record, write_k_anonymous
from storage.certificate_store import CertificateStore, NewCertificate
from storage.erasure import ErasureTransaction, ShredRequest, shred_reports
from storage.errors import BlobError, KeyDestroyedError, ReportNotFoundError
from storage.ledger.errors import RollbackError
from storage.ledger.steps import LedgerStep
from storage.report_store import ReportStore
from storage.retention_store import RetentionStore
from storage.retention_vocabulary import DisposalPurpose, DisposalRefusal, ReviewStatus
from storage.state_integrity import decision_tampering
from storage.states import ReportState

__all__ = ["DisposalGate", "DisposalOutcome", "Refusal"]


@dataclass(frozen=True)
class Refusal:
    """A report the gate would not dispose of, and why (no personal data)."""

    report_id: str
    rule: DisposalRefusal
    message: str
    """What a compliance officer reads: the hold, the policy and its date."""


@dataclass
class DisposalOutcome:
    """What one call of the gate did."""

    deleted: list[str] = field(default_factory=list)
    anonymized: list[str] = field(default_factory=list)
    already_erased: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    policy_of: dict[str, str] = field(default_factory=dict)
    """Report id → ``id@version`` of the policy whose action was carried out."""
    certified: IssueOutcome | None = None
    """The sealed PDFs issued after the disposal (``None``: the gate has no sealer, or was
    asked not to issue them now)."""

    @property
    def disposed(self) -> list[str]:
        return self.deleted + self.anonymized


class DisposalGate:
    """Checks every rule, then crypto-shreds (and, for ``anonymize``, keeps the statistical record).

    ``sealer`` issues the certificates' sealed PDFs and names the company in them; without
    one (tests, benchmarks) certificates are stored with ``"company": null`` and wait for
    the next :func:`~retention.certificates.issue_certificates` for their PDF.
    """

    def __init__(
        self,
        store: ReportStore,
        policies: PolicySet,
        *,
        clock: Clock | None = None,
        k: int = DEFAULT_K,
        sealer: CertificateSealer | None = None,
    ) -> None:
        self.store = store
        self.policies = policies
        self.clock: Clock = clock or SystemClock()
        self.k = k
        self.sealer = sealer

    def today(self) -> dt.date:
        return self.clock.today()

    def assess(
        self, report_ids: Sequence[str], purpose: DisposalPurpose
    ) -> tuple[list[EffectiveDecision], list[Refusal], list[str]]:
        """(allowed, refused, already erased) — decides, changes nothing."""
        ids = list(dict.fromkeys(report_ids))
        facts = [f for batch in iter_report_facts(self.store.database, ids=ids) for f in batch]
        found = {f.report_id for f in facts}
        for report_id in ids:
            if report_id not in found:
                self.store.get(report_id)  # an unknown id is an error, not "already erased"
        decisions = effective_decisions(self.store, self.policies, facts, HoldService(self.store).active())
        tampered = decision_tampering(self.store, [f.report_id for f in facts])
        try:
            self.store.ledger.check_not_rolled_back()
        except RollbackError as exc:  # entries removed from its end: nothing it records can be believed
            tampered = {f.report_id: [str(exc)] for f in facts}
        # A report erased since its facts were read (a concurrent run, an erasure request) no
        # longer matches them: it is already erased, not tampered with.
        erased_since = {r for r in tampered if self.store.get(r).state == ReportState.ERASED}
        today = self.today()
        allowed, refused = [], []
        for effective in decisions:
            if effective.report_id in erased_since:
                continue
            problems = tampered.get(effective.report_id)
            refusal = (
                self._refusal(effective, purpose, today)
                if problems is None
                else _tampered(effective.report_id, problems)
            )
            if refusal is None:
                allowed.append(effective)
            else:
                refused.append(refusal)
        return allowed, refused, [i for i in ids if i not in found or i in erased_since]

    def tampered(self, report_ids: Sequence[str]) -> list[Refusal]:
        """The refusals of the reports whose decision rests on rows that differ from the ledger
        (the retention job asks before queueing a review, which does not go through :meth:`dispose`)."""
        found = decision_tampering(self.store, report_ids)
        return [_tampered(report_id, problems) for report_id, problems in found.items()]

    def _refusal(  # noqa: PLR0911 - one return per rule of the table in the module doc
        self, effective: EffectiveDecision, purpose: DisposalPurpose, today: dt.date
    ) -> Refusal | None:
        report_id = effective.report_id

        def refuse(rule: DisposalRefusal, message: str) -> Refusal:
            return Refusal(report_id, rule, f"{report_id}: {message}")

        if effective.held_by:
            return refuse(
                DisposalRefusal.HELD,
                f"under legal hold {', '.join(effective.held_by)}: nothing is disposed while a hold is "
                "in force (`quitus holds list`)",
            )
        if effective.obligation_until is not None and effective.obligation_until > today:
            return refuse(
                DisposalRefusal.OBLIGATION,
                f"kept for a legal obligation ({', '.join(effective.obligations())}) until "
                f"{effective.obligation_until}: it cannot be disposed of before (GDPR Art. 17(3)(b))",
            )
        if purpose == DisposalPurpose.ERASURE_REQUEST:
            return None
        if purpose == DisposalPurpose.REVIEW_APPROVAL:
            if effective.review is None or effective.review.status != ReviewStatus.PENDING:
                return refuse(
                    DisposalRefusal.NOT_QUEUED,
                    "is not waiting for review; `quitus review list` shows the queue",
                )
            queued_due = effective.decision.due
            if queued_due is None or queued_due > today:
                when = queued_due or "an unknown date (a trigger has not happened)"
                return refuse(DisposalRefusal.NOT_DUE, f"not due before {when}: it cannot be approved yet")
            return None
        if not effective.is_due(today):
            when = effective.due or "an unknown date (a trigger has not happened)"
            return refuse(DisposalRefusal.NOT_DUE, f"not due before {when} (today is {today})")
        if effective.awaiting_review:
            return refuse(DisposalRefusal.AWAITING_REVIEW, "is waiting for a compliance officer's review")
        if effective.action == "review":
            return refuse(DisposalRefusal.NEEDS_REVIEW, "its policy asks for a review: it is queued instead")
        return None

    def dispose(
        self,
        report_ids: Sequence[str],
        purpose: DisposalPurpose,
        *,
        reason: str | None = None,
        certify: bool = True,
    ) -> DisposalOutcome:
        """Dispose of what the rules allow among ``report_ids``; the rest is refused, with why.

        ``reason``: a code recorded in the certificate (``subject_request``…); by default the
        purpose. Retention carries out the effective action (``delete`` or ``anonymize``);
        an approved review and an erasure request delete. ``certify=False``: leave the PDFs
        for a later :meth:`certify` (the retention job issues them once, after its batches).
        """
        allowed, refused, already = self.assess(report_ids, purpose)
        outcome = DisposalOutcome(already_erased=already, refused=refused)
        if not allowed:
            if certify:
                outcome.certified = self.certify()
            return outcome
        anonymize = [e for e in allowed if purpose == DisposalPurpose.RETENTION and e.action == "anonymize"]
        drafts, unreadable = self._drafts(anonymize)
        if unreadable:  # one bad file refuses its own report only
            outcome.refused.extend(unreadable)
            unread = {r.report_id for r in unreadable}
            allowed = [e for e in allowed if e.report_id not in unread]
            anonymize = [e for e in anonymize if e.report_id not in unread]
            if not allowed:
                if certify:
                    outcome.certified = self.certify()
                return outcome
        anonymized_ids = {e.report_id for e in anonymize}
        step = LedgerStep.SHRED if purpose == DisposalPurpose.ERASURE_REQUEST else LedgerStep.DISPOSE
        code = reason or purpose.value
        now = dt.datetime.now(dt.UTC)
        certificates = build_certificates(
            self.store,
            allowed,
            purpose=purpose,
            reason=code,
            step=step,
            anonymized=anonymized_ids,
            decided_on=self.today(),
            now=now,
            company=self.sealer.company if self.sealer is not None else None,
            k=self.k,
        )
        requests = [
            self._certificate(e, purpose, step, code, anonymized_ids, certificates[e.report_id])
            for e in allowed
        ]
        approved = purpose == DisposalPurpose.REVIEW_APPROVAL

        def alongside(session: ErasureTransaction, erased: list[str]) -> None:
            erased_set = set(erased)
            CertificateStore.add(session, [certificates[r] for r in erased])
            if drafts:
                write_k_anonymous(session, [d for d in drafts if d.report_id in erased_set], k=self.k)
            if approved:
                reviews = RetentionStore(self.store)
                for report_id in erased:
                    reviews.decide(session, report_id, ReviewStatus.APPROVED)

        erased = shred_reports(self.store, requests, scrub_keys=False, in_same_transaction=alongside, now=now)
        for effective in allowed:
            report_id = effective.report_id
            if report_id not in erased:
                outcome.already_erased.append(report_id)  # a concurrent erasure got there first
                continue
            (outcome.anonymized if report_id in anonymized_ids else outcome.deleted).append(report_id)
            if effective.policy_ref is not None:
                outcome.policy_of[report_id] = effective.policy_ref
        if certify:
            outcome.certified = self.certify()
        return outcome

    def certify(self) -> IssueOutcome | None:
        """Issue every certificate's sealed PDF still missing (``None`` without a sealer)."""
        return None if self.sealer is None else issue_certificates(self.store, self.sealer)

    def scrub(self) -> None:
        """Scrub destroyed keys' old bytes out of the key store (once per run: a VACUUM on PostgreSQL)."""
        self.store.keystore.scrub()

    def _drafts(self, items: Sequence[EffectiveDecision]) -> tuple[list[StatisticalDraft], list[Refusal]]:
        """The statistical records of the reports to anonymize, and the refusals of those whose
        content cannot be read (they cannot be anonymized; nothing is destroyed)."""
        drafts, unreadable = [], []
        for effective in items:
            report = self.store.get(effective.report_id)
            if report.content_blob_id is None:
                continue  # nothing readable was ever captured: erasure alone
            try:
                content = InterventionReport.model_validate_json(
                    self.store.read_blob(effective.report_id, report.content_blob_id)
                )
            except KeyDestroyedError:
                continue  # a previous run destroyed the key and stopped: finish the erasure
            except (BlobError, ReportNotFoundError, ValidationError) as exc:
                unreadable.append(_unreadable(effective.report_id, exc))
                continue
            drafts.append(draft_record(effective.report_id, report.template_id, content))
        return drafts, unreadable

    def _certificate(
        self,
        effective: EffectiveDecision,
        purpose: DisposalPurpose,
        step: LedgerStep,
        reason: str,
        anonymized: set[str],
        certificate: NewCertificate,
    ) -> ShredRequest:
        action = "anonymize" if effective.report_id in anonymized else "delete"
        details: dict[str, str | int | list[str]] = {
            "action": action,
            "purpose": purpose.value,
            "today": self.today().isoformat(),
            "policies": list(effective.policy_refs),
            "certificate_sha256": certificate.sha256,
        }
        if effective.due is not None:
            details["due"] = effective.due.isoformat()
        return ShredRequest(
            effective.report_id,
            reason=reason,
            step=step,
            policy=effective.policy_ref,
            details=details,
        )


def _tampered(report_id: str, problems: Sequence[str]) -> Refusal:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Refusal(
        report_id,
        DisposalRefusal.TAMPERED,
        f"{report_id}: {problems[0]}{more}. What its disposal would rest on is not what the "
        "ledger recorded: nothing is disposed of until `quitus audit verify` is clean (restore the "
        'database from a backup; docs/operations.md, "Tampering found")',
    )


def _unreadable(report_id: str, exc: Exception) -> Refusal:
    # A BlobError names the blob and the report (ids only); a validation error is not quoted:
    # it could carry a value of the content.
    why = str(exc) if isinstance(exc, BlobError | ReportNotFoundError) else "its content is not a report"
    return Refusal(
        report_id,
        DisposalRefusal.UNREADABLE,
        f"{report_id}: not anonymized, its content cannot be read ({why}); nothing was destroyed. "
        "Restore its blob from the backup (docs/operations.md) and run `quitus audit verify`",
    )
