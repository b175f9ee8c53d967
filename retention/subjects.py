"""Data-subject requests: access and portability (Art. 15, 20) and erasure (Art. 17).

A person is found through the blind index (their e-mail, phone or name, normalized and
hashed with the installation's key). Every request, found or not, is entered in the
register of requests (:func:`register_request`: a ``subject.request`` ledger entry, see
:mod:`storage.subject_register`).

An access answer (:func:`export_subject`) is a zip:

* ``subject.json`` — machine-readable (Art. 20): per report, its content, and what Art. 15
  asks for — purposes, legal basis and references, retention (the effective decision:
  policy, action, due date, holds), recipients (the deliveries made), source — and the
  person's rights;
* ``resume.html`` — the same, in French, for the person to read (self-contained);
* the report's photos and signatures.

Other people's personal data is not given: free text goes through the PII redactor, which
keeps the person's own values (their fields, as the report captured them, and where free
text mentions them) and redacts every other person it finds. Which fields are the
person's own follows from what they were found by: the client block for the client, the
technician's for a technician.

Erasure erases what may be erased; where a policy keeps the report for a legal obligation
(Art. 17(3)(b)) or a legal hold applies, the report is **restricted** instead and the
answer explains why and until when.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from policies.loading import PolicySet
from reports.schema import InterventionReport
from retention.certificates import CertificateSealer
from retention.clock import Clock
from retention.effective import EffectiveDecision, effective_decisions
from retention.facts import iter_report_facts
from retention.gate import DisposalGate
from retention.holds import HoldService
from retention.subject_summary import summary_html
from storage.blind_index import SubjectKind, subject_digests
from storage.delivery_store import DeliveryRow, DeliveryStatus, DeliveryStore
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.models import ReportRecord, utcnow
from storage.report_store import ReportStore, ReportSummary
from storage.retention_vocabulary import DisposalPurpose, DisposalRefusal
from storage.states import ReportState
from storage.subject_register import RegisteredRequest, registered_requests
from storage.visits import VisitStore

if TYPE_CHECKING:
    from anonymization import KeptFields, ReportRedactor

__all__ = [
    "EXPORT_FORMAT",
    "PURPOSE",
    "ErasureOutcome",
    "RequestKind",
    "SubjectRequest",
    "erase_subject",
    "export_subject",
    "find_subject_reports",
    "register_request",
    "subject_requests",
]

EXPORT_FORMAT = "quitus-subject-export/2"
PURPOSE = "exécution du contrat d'intervention et obligations légales"
"""Why intervention reports are processed at all; each policy adds why it keeps them."""

RequestKind = Literal["access", "erasure"]
Role = Literal["client", "technician", "client_signer", "technician_signer"]

RIGHTS: tuple[dict[str, str], ...] = (
    {
        "right": "access",
        "article": "RGPD art. 15",
        "label": "Droit d'accès",
        "text": "obtenir la confirmation que vos données sont traitées, et une copie : ce document.",
    },
    {
        "right": "rectification",
        "article": "RGPD art. 16",
        "label": "Droit de rectification",
        "text": "faire corriger des données inexactes ou compléter des données incomplètes.",
    },
    {
        "right": "erasure",
        "article": "RGPD art. 17",
        "label": "Droit à l'effacement",
        "text": "obtenir l'effacement de vos données ; quand la loi impose de les conserver "
        "(art. 17.3.b), leur accès est limité jusqu'à la fin de cette obligation, puis elles sont effacées.",
    },
    {
        "right": "restriction",
        "article": "RGPD art. 18",
        "label": "Droit à la limitation",
        "text": "demander que vos données soient conservées sans être utilisées, "
        "le temps d'une vérification.",
    },
    {
        "right": "portability",
        "article": "RGPD art. 20",
        "label": "Droit à la portabilité",
        "text": "recevoir vos données dans un format structuré et lisible par machine : "
        "le fichier subject.json.",
    },
    {
        "right": "objection",
        "article": "RGPD art. 21",
        "label": "Droit d'opposition",
        "text": "vous opposer, pour des raisons tenant à votre situation, à un traitement fondé sur "
        "l'intérêt légitime.",
    },
    {
        "right": "complaint",
        "article": "RGPD art. 77",
        "label": "Réclamation auprès de la CNIL",
        "text": "Commission nationale de l'informatique et des libertés, 3 place de Fontenoy, TSA 80715, "
        "75334 Paris Cedex 07 — www.cnil.fr.",
    },
)
"""The person's rights, said in every answer (Art. 15(1)(e) and (f))."""


@dataclass(frozen=True)
class SubjectRequest:
    """A request as received: what it looked up and found; the values themselves are not kept."""

    id: str
    kind: RequestKind
    digests: frozenset[tuple[str, str]]
    """(kind, blind-index digest) of each term given: how the person is recognized in a report."""
    report_ids: tuple[str, ...]

    @property
    def term_kinds(self) -> tuple[str, ...]:
        return tuple(sorted({kind for kind, _ in self.digests}))


def find_subject_reports(store: ReportStore, terms: Sequence[tuple[SubjectKind, str]]) -> list[str]:
    return store.find_by_subject(subject_digests(store.keys.index_key, terms))


def register_request(
    store: ReportStore, kind: RequestKind, terms: Sequence[tuple[SubjectKind, str]]
) -> SubjectRequest:
    """Find the person's reports and enter the request in the register, found or not."""
    digests = frozenset(subject_digests(store.keys.index_key, terms))
    request = SubjectRequest(
        id="req-" + secrets.token_hex(8),
        kind=kind,
        digests=digests,
        report_ids=tuple(store.find_by_subject(digests)),
    )
    store.ledger.record(
        LedgerEvent(
            step=LedgerStep.SUBJECT_REQUEST,
            actor=store.actor,
            outcome="found" if request.report_ids else "not_found",
            details={
                "request": request.id,
                "kind": kind,
                "found": len(request.report_ids),
                "terms": list(request.term_kinds),
                "reports": list(request.report_ids),
            },
        )
    )
    return request


def subject_requests(store: ReportStore) -> list[RegisteredRequest]:
    """The register of requests, oldest first."""
    return registered_requests(store.ledger)


def export_subject(
    store: ReportStore,
    policies: PolicySet,
    request: SubjectRequest,
    *,
    redactor: ReportRedactor,
) -> bytes:
    """The access answer to ``request`` (see the module doc); each report given is recorded."""
    from anonymization import KeptFields  # noqa: PLC0415 - the redactor's own vocabulary

    report_ids = list(request.report_ids)
    summaries = {i: store.get(i) for i in report_ids}
    contents: dict[str, InterventionReport] = {}
    for report_id, summary in summaries.items():
        if summary.content_blob_id is not None:
            raw = store.read_blob(report_id, summary.content_blob_id)
            contents[report_id] = InterventionReport.model_validate_json(raw)
    roles = {i: _roles(store, report, request.digests) for i, report in contents.items()}
    redacted = dict(
        zip(
            contents,
            redactor.redact_reports(
                list(contents.values()), kept=[_kept(roles[i], KeptFields) for i in contents]
            ),
            strict=True,
        )
    )
    decisions = _decisions(store, policies, report_ids)
    sent = _deliveries(store, report_ids)
    visits = _planned_visits(store, report_ids)
    answer: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "request": {"id": request.id, "kind": request.kind, "found_by": list(request.term_kinds)},
        "rights": [dict(r) for r in RIGHTS],
        "reports": [],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for report_id in report_ids:
            summary = summaries[report_id]
            report = contents.get(report_id)
            entry: dict[str, Any] = {
                "report_id": report_id,
                "number": summary.number,  # the reference on the person's copy of the report
                "state": summary.state.value,
                "restricted": summary.restriction_reason is not None,
                "content": None,
            }
            if report is not None:
                own = roles[report_id]
                entry |= {
                    "your_role": list(own),
                    "content": redacted[report_id].report.model_dump(mode="json", warnings=False),
                    "source": _source(summary, report),
                    "recipients": [_recipient(d, report, own) for d in sent.get(report_id, [])],
                }
                for image in _images(report):
                    if image.blob_id is not None:
                        archive.writestr(
                            f"{report_id}/{image.blob_id}", store.read_blob(report_id, image.blob_id)
                        )
            entry |= _processing(decisions.get(report_id))
            # The visits planned to continue it: when someone is to come (storage.visits).
            entry["planned_visits"] = visits.get(report_id, [])
            answer["reports"].append(entry)
            store.ledger.record(
                LedgerEvent(
                    step=LedgerStep.SUBJECT_EXPORT,
                    actor=store.actor,
                    outcome="exported",
                    report_id=report_id,
                    details={"request": request.id},
                )
            )
        archive.writestr("subject.json", json.dumps(answer, ensure_ascii=False, indent=2))
        archive.writestr("resume.html", summary_html(answer))
    return buffer.getvalue()


def _planned_visits(store: ReportStore, report_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    """Each report's follow-up visits, every status: day, slot, status (no one else named)."""
    found: dict[str, list[dict[str, str]]] = {}
    for visit in VisitStore(store).visits(status=None, report_ids=report_ids):
        found.setdefault(visit.continues_report_id, []).append(
            {
                "visit": visit.id,
                "day": visit.day.isoformat(),
                "slot": visit.slot.value,
                "status": visit.status.value,
            }
        )
    return found


def _roles(
    store: ReportStore, report: InterventionReport, digests: frozenset[tuple[str, str]]
) -> tuple[Role, ...]:
    """Who the person is in this report, from the terms they were found by (the fields that
    ``reports.intake.subject_terms`` indexes)."""
    client = report.client
    as_client: list[tuple[SubjectKind, str]] = [("name", client.name)]
    if client.company_name:
        as_client.append(("name", client.company_name))
    if client.email:
        as_client.append(("email", str(client.email)))
    if client.phone:
        as_client.append(("phone", client.phone))
    fields: dict[Role, list[tuple[SubjectKind, str]]] = {
        "client": as_client,
        "technician": [("name", report.technician.name)],
        "client_signer": [("name", report.client_signature.signer_name)] if report.client_signature else [],
        "technician_signer": (
            [("name", report.technician_signature.signer_name)] if report.technician_signature else []
        ),
    }
    key = store.keys.index_key
    return tuple(role for role, terms in fields.items() if subject_digests(key, terms) & digests)


def _kept(roles: Sequence[Role], kept_fields: type[KeptFields]) -> KeptFields:
    blocks = {
        "client": ("client",),
        "technician": ("technician",),
        "client_signer": ("client_signature",),
        "technician_signer": ("technician_signature",),
    }
    own = tuple(block for role in roles for block in blocks[role])
    # The client's own report shows who came and who signed, as the copy they received did;
    # anyone else named in it reads it with the client's data redacted.
    return kept_fields(own=own, other_structured="client" in roles)


def _decisions(
    store: ReportStore, policies: PolicySet, report_ids: Sequence[str]
) -> dict[str, EffectiveDecision]:
    facts = [f for batch in iter_report_facts(store.database, ids=list(report_ids)) for f in batch]
    found = effective_decisions(store, policies, facts, HoldService(store).active(), explain=True)
    return {d.report_id: d for d in found}


def _processing(effective: EffectiveDecision | None) -> dict[str, Any]:
    """Purposes, legal basis and retention of one report, as the effective decision says."""
    matches = () if effective is None else effective.decision.matches
    lawful = ["RGPD art. 6.1.b : exécution du contrat d'intervention"]
    if any(m.policy.legal_basis.obligation for m in matches):
        lawful.append("RGPD art. 6.1.c : respect d'une obligation légale")
    return {
        "purposes": [PURPOSE, *(f"conservation : {m.policy.title}" for m in matches)],
        "legal_basis": {
            "lawful_basis": lawful,
            "policies": [
                {
                    "policy": m.loaded.ref,
                    "title": m.policy.title,
                    "text": " ".join(m.policy.legal_basis.text.split()),
                    "references": list(m.policy.legal_basis.references),
                    "obligation": m.policy.legal_basis.obligation,
                    "duration": m.policy.duration,
                    "kept_until": _iso(m.end),
                }
                for m in matches
            ],
        },
        "retention": None
        if effective is None
        else {
            "policy": effective.policy_ref,
            "action": effective.action,
            "due": _iso(effective.due),
            "obligation_until": _iso(effective.obligation_until),
            "restricted_from": _iso(effective.restricted_from),
            "holds": list(effective.held_by),
            "awaiting_review": effective.awaiting_review,
            "explanation": list(effective.reasons),
        },
    }


def _deliveries(store: ReportStore, report_ids: Sequence[str]) -> dict[str, list[DeliveryRow]]:
    found: dict[str, list[DeliveryRow]] = {}
    for row in DeliveryStore(store).deliveries(report_ids):
        if row.status == DeliveryStatus.SENT:
            found.setdefault(row.report_id, []).append(row)
    return found


def _recipient(row: DeliveryRow, report: InterventionReport, roles: Sequence[Role]) -> dict[str, Any]:
    """A delivery made: to the client, by its channel; the address only to the client themself."""
    recipient: dict[str, Any] = {
        "recipient": "client",
        "channel": row.channel,
        "sent_at": None if row.sent_at is None else row.sent_at.isoformat(),
        "what": "rapport d'intervention scellé (PDF)",
    }
    if "client" in roles and report.client.email is not None:
        recipient["address"] = str(report.client.email)
    return recipient


def _source(summary: ReportSummary, report: InterventionReport) -> dict[str, Any]:
    """Where the data comes from (Art. 15(1)(g)): the technician's capture at the intervention."""
    return {
        "collected_by": "technician",
        "technician_id": report.technician.id,
        "company": report.company.name,
        "capture": summary.source,
        "received_at": summary.created_at.isoformat(),
        "intervention_date": report.intervention_date.isoformat(),
        "request_channel": report.request.channel,
    }


def _images(report: InterventionReport) -> list[Any]:
    images = [p.image for p in report.photos]
    images += [s.image for s in (report.client_signature, report.technician_signature) if s is not None]
    return images


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


@dataclass(frozen=True)
class ErasureOutcome:
    report_id: str
    result: Literal["erased", "restricted", "already_erased"]
    explanation: str


def erase_subject(
    store: ReportStore,
    policies: PolicySet,
    report_ids: Sequence[str],
    *,
    clock: Clock | None = None,
    sealer: CertificateSealer | None = None,
) -> list[ErasureOutcome]:
    """Erase what the disposal gate allows; restrict and explain what a hold or a legal
    obligation keeps. With ``sealer``, the certificates' sealed PDFs are issued after."""
    gate = DisposalGate(store, policies, clock=clock, sealer=sealer)
    outcome = gate.dispose(report_ids, DisposalPurpose.ERASURE_REQUEST, reason="subject_request")
    gate.scrub()
    outcomes = [ErasureOutcome(r, "already_erased", "already erased") for r in outcome.already_erased]
    for refusal in outcome.refused:
        if refusal.rule == DisposalRefusal.HELD:
            why = f"{refusal.message}; restricted, erased once the hold is released and the rules allow it"
            outcomes.append(_restrict(store, refusal.report_id, "legal_hold", why))
        else:
            why = f"{refusal.message}; access restricted until then, erased after"
            outcomes.append(_restrict(store, refusal.report_id, "art17_3b_legal_obligation", why))
    outcomes += [ErasureOutcome(r, "erased", "data key destroyed, files deleted") for r in outcome.deleted]
    order = {r: n for n, r in enumerate(report_ids)}
    return sorted(outcomes, key=lambda o: order.get(o.report_id, len(order)))


def _restrict(store: ReportStore, report_id: str, reason: str, why: str) -> ErasureOutcome:
    with store.database.session() as session:
        row = session.get(ReportRecord, report_id, with_for_update=True)
        assert row is not None
        assert row.state != ReportState.ERASED
        row.restricted_at, row.restriction_reason = utcnow(), reason
        store.ledger.append(
            session,
            [
                LedgerEvent(
                    step=LedgerStep.RESTRICT,
                    actor=store.actor,
                    outcome="restricted",
                    report_id=report_id,
                    details={"reason": reason},
                )
            ],
        )
    return ErasureOutcome(report_id, "restricted", why)
