"""The ledger's step names: what each entry says happened. One vocabulary, one module.

Readers (proof bundles, certificates, ``audit verify``) filter on these members, so a
writer and a reader can never disagree on a spelling.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DISPOSAL_STEPS", "LedgerStep"]


class LedgerStep(StrEnum):
    """Every step the ledger records."""

    RECEIVE = "receive"
    CAPTURE = "capture"
    VALIDATE = "validate"
    REDACT = "redact"
    RENDER = "render"
    SEAL = "seal"
    ARCHIVE = "archive"
    DELIVER = "deliver"
    DELIVER_REQUEUE = "deliver.requeue"
    FOLLOWUP_REQUEST = "followup.request"
    FOLLOWUP_UPDATE = "followup.update"
    VISIT_PLAN = "visit.plan"
    """A follow-up visit planned for an unfinished report (its day, slot, technicians: ids only)."""
    VISIT_MOVE = "visit.move"
    """A planned visit moved to another day, slot or technicians."""
    VISIT_CANCEL = "visit.cancel"
    """A planned visit cancelled, with a reason code."""
    VISIT_CONTINUE = "visit.continue"
    """The report that continues a planned visit was accepted: the visit is done."""
    PORTAL_LINK = "portal.link"
    PORTAL_OPEN = "portal.open"
    PORTAL_REVOKE = "portal.revoke"
    READ = "read"
    PROOF_EXPORT = "proof.export"
    SUBJECT_EXPORT = "subject.export"
    """One report given to the person in an access answer (Art. 15, 20)."""
    SUBJECT_REQUEST = "subject.request"
    """A data-subject request received (access or erasure), found or not: the register of requests."""
    SUBJECT_REINDEX = "subject.reindex"
    """The blind index brought to a new normalization (``quitus subject reindex``)."""
    RESTRICT = "restrict"
    SHRED = "shred"
    """A report erased on request (Art. 17, ``reports shred``): its certificate."""
    DISPOSE = "dispose"
    """A report disposed of by retention or an approved review: its certificate."""
    CERTIFY = "certify"
    """The sealed PDF of a disposal certificate issued (its SHA-256 in ``certificate_pdf_sha256``)."""
    EVENT = "event"
    HOLD_PLACE = "hold.place"
    HOLD_RELEASE = "hold.release"
    REVIEW_QUEUE = "review.queue"
    REVIEW_APPROVE = "review.approve"
    REVIEW_EXTEND = "review.extend"
    REVIEW_RELABEL = "review.relabel"
    POLICIES_CHANGE = "policies.change"
    COMPANY_SET = "company.set"
    """The company's identity configured or changed (``quitus company set``, the admin page): its
    revision and the SHA-256 of what it now says (company data, not personal data)."""
    KEK_ROTATE = "kek.rotate"
    USER_ADD = "user.add"
    USER_DISABLE = "user.disable"
    TOKEN_CREATE = "token.create"  # noqa: S105 - a step name, not a secret
    TOKEN_REVOKE = "token.revoke"  # noqa: S105 - a step name, not a secret
    CLOCK_SIMULATED = "clock.simulated"
    """``quitus demo`` runs its own, new home at a simulated date: said once, in the ledger."""


DISPOSAL_STEPS = frozenset({LedgerStep.SHRED, LedgerStep.DISPOSE})
"""The steps whose entry is a disposal certificate (the data key was destroyed)."""
