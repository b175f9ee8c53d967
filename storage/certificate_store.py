"""Certificates of disposition in the database (their SQL lives here, their content in
:mod:`retention.certificates`).

A certificate is added in the erasure's own transaction (the gate's ``in_same_transaction``
hook), so a tombstone never exists without it; its sealed PDF is attached later, in a
transaction of its own together with the ``certify`` ledger entry — once: attaching to a
certificate that already has its PDF changes nothing. The register of disposed items is
read from the ledger's ``dispose``, ``shred`` and ``certify`` entries, not from this table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import SQLColumnExpression, Table, insert, select, update
from sqlalchemy.orm import Session

from storage.database import is_one_of
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import DispositionCertificateRecord, LedgerEntryRecord, utcnow
from storage.report_store import ReportStore

__all__ = ["CertificateStore", "NewCertificate", "StoredCertificate", "check_certificates"]

_ENTRY_REPORT = cast("SQLColumnExpression[str]", LedgerEntryRecord.report_id)
"""The entries' report column, for ``is_one_of`` (installation-wide entries have none)."""

REGISTER_STEPS = (LedgerStep.DISPOSE, LedgerStep.SHRED, LedgerStep.CERTIFY)


@dataclass(frozen=True)
class NewCertificate:
    """A certificate to store with its disposal."""

    report_id: str
    step: LedgerStep
    document: bytes
    sha256: str
    disposed_at: dt.datetime


@dataclass(frozen=True)
class StoredCertificate:
    """A stored certificate, and its PDF once issued."""

    report_id: str
    step: LedgerStep
    document: bytes
    sha256: str
    disposed_at: dt.datetime
    pdf: bytes | None
    pdf_sha256: str | None

    @classmethod
    def of(cls, row: DispositionCertificateRecord) -> StoredCertificate:
        return cls(
            row.report_id,
            LedgerStep(row.step),
            bytes(row.certificate),
            row.certificate_sha256,
            _aware(row.disposed_at),
            None if row.pdf is None else bytes(row.pdf),
            row.pdf_sha256,
        )


class CertificateStore:
    """Add certificates, list those waiting for their PDF, attach a PDF with its ledger entry."""

    def __init__(self, store: ReportStore) -> None:
        self.store = store

    @staticmethod
    def add(session: Session, certificates: Sequence[NewCertificate]) -> None:
        """Insert in the caller's transaction (the erasure's)."""
        if certificates:
            # Core executemany on the table: the ORM's bulk insert costs as much again per row.
            session.execute(
                insert(cast(Table, DispositionCertificateRecord.__table__)),
                [
                    {
                        "report_id": c.report_id,
                        "step": c.step.value,
                        "certificate": c.document,
                        "certificate_sha256": c.sha256,
                        "disposed_at": c.disposed_at,
                    }
                    for c in certificates
                ],
            )

    def get(self, report_id: str) -> StoredCertificate | None:
        with self.store.database.session() as session:
            row = session.get(DispositionCertificateRecord, report_id)
            return None if row is None else StoredCertificate.of(row)

    def pending(
        self, limit: int | None = None, *, after: tuple[dt.datetime, str] | None = None
    ) -> list[StoredCertificate]:
        """Certificates whose PDF was not issued yet, oldest disposal first (those after
        ``after``, a ``(disposed_at, report_id)`` already seen: keyset pagination)."""
        record = DispositionCertificateRecord
        query = (
            select(record).where(record.issued_at.is_(None)).order_by(record.disposed_at, record.report_id)
        )
        if after is not None:
            query = query.where(
                (record.disposed_at > after[0])
                | ((record.disposed_at == after[0]) & (record.report_id > after[1]))
            )
        if limit is not None:
            query = query.limit(limit)
        with self.store.database.session() as session:
            return [StoredCertificate.of(row) for row in session.scalars(query)]

    def attach_pdf(self, certificate: StoredCertificate, pdf: bytes, pdf_sha256: str) -> bool:
        """Store the PDF and append its ``certify`` entry, in one transaction; ``False`` when
        the certificate already had its PDF (another process issued it first)."""
        with self.store.database.session() as session:
            attached = session.scalars(
                update(DispositionCertificateRecord)
                .where(
                    DispositionCertificateRecord.report_id == certificate.report_id,
                    DispositionCertificateRecord.certificate_sha256 == certificate.sha256,
                    DispositionCertificateRecord.issued_at.is_(None),
                )
                .values(pdf=pdf, pdf_sha256=pdf_sha256, issued_at=utcnow())
                .returning(DispositionCertificateRecord.report_id),
                execution_options={"synchronize_session": False},
            ).first()
            if attached is None:
                return False
            self.store.ledger.append(
                session,
                [
                    LedgerEvent(
                        step=LedgerStep.CERTIFY,
                        actor=self.store.actor,
                        outcome="issued",
                        report_id=certificate.report_id,
                        details={
                            "certificate_sha256": certificate.sha256,
                            "certificate_pdf_sha256": pdf_sha256,
                        },
                    )
                ],
            )
            return True

    def entry_steps(self, report_ids: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
        """Report id → ``(seq, step)`` of its ledger entries, oldest first (one query for a batch).

        Read from the columns beside the entries, which ``audit verify`` checks against their
        signed text."""
        found: dict[str, list[tuple[int, str]]] = {r: [] for r in report_ids}
        if not report_ids:
            return found
        with self.store.database.session() as session:
            rows = session.execute(
                select(LedgerEntryRecord.report_id, LedgerEntryRecord.seq, LedgerEntryRecord.step)
                .where(is_one_of(_ENTRY_REPORT, list(report_ids), self.store.database.dialect))
                .order_by(LedgerEntryRecord.seq)
            )
            for report_id, seq, step in rows:
                found[str(report_id)].append((seq, step))
        return found

    def register_entries(self, since: dt.datetime, until: dt.datetime | None) -> list[tuple[int, bytes]]:
        """``(seq, entry)`` of the ``dispose``, ``shred`` and ``certify`` entries recorded in
        ``[since, until)`` (``until=None``: up to now), in ledger order."""
        query = select(LedgerEntryRecord.seq, LedgerEntryRecord.entry).where(
            LedgerEntryRecord.step.in_([s.value for s in REGISTER_STEPS]),
            LedgerEntryRecord.recorded_at >= since,
        )
        if until is not None:
            query = query.where(LedgerEntryRecord.recorded_at < until)
        with self.store.database.session() as session:
            return [(seq, entry.encode("ascii")) for seq, entry in session.execute(query.order_by("seq"))]

    def certify_entries(self, report_ids: Iterable[str]) -> list[tuple[int, bytes]]:
        """``(seq, entry)`` of the ``certify`` entries of these reports."""
        ids = list(dict.fromkeys(report_ids))
        if not ids:
            return []
        found: list[tuple[int, bytes]] = []
        with self.store.database.session() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = session.execute(
                    select(LedgerEntryRecord.seq, LedgerEntryRecord.entry).where(
                        is_one_of(_ENTRY_REPORT, chunk, self.store.database.dialect),
                        LedgerEntryRecord.step == LedgerStep.CERTIFY.value,
                    )
                )
                found += [(seq, entry.encode("ascii")) for seq, entry in rows]
        return sorted(found)


def check_certificates(store: ReportStore) -> list[str]:
    """What in ``disposition_certificates`` differs from the signed ledger: a certificate or PDF
    edited, replaced, deleted or added by hand (one line each, ids and sequence numbers only)."""
    signed, issued, certified = _signed_digests(store)
    problems: list[str] = [
        f"certificate of {report_id}: issued more than once, by ledger entries "
        f"{', '.join(map(str, seqs))}: its first PDF was deleted and another issued in its place"
        for report_id, seqs in sorted(certified.items())
        if len(seqs) > 1
    ]
    seen: set[str] = set()
    record = DispositionCertificateRecord
    query = select(record.report_id, record.certificate, record.pdf).execution_options(yield_per=200)
    with store.database.session() as session:
        for report_id, document, pdf in session.execute(query):
            seen.add(report_id)
            problem = _row_problem(report_id, bytes(document), pdf, signed, issued)
            if problem is not None:
                problems.append(f"certificate of {report_id}: {problem}")
    for report_id in sorted(set(signed) - seen):
        problems.append(
            f"certificate of {report_id}: recorded by ledger entry {signed[report_id][0]} but its row was "
            "deleted from disposition_certificates"
        )
    return problems


def _signed_digests(
    store: ReportStore,
) -> tuple[dict[str, tuple[int, str]], dict[str, tuple[int, str, str]], dict[str, list[int]]]:
    """Report id → (seq, certificate digest) of its disposal entry, → (seq, certificate
    digest, PDF digest) of its latest certify entry, and → the seqs of all its certify
    entries (a PDF is issued once)."""
    signed: dict[str, tuple[int, str]] = {}
    issued: dict[str, tuple[int, str, str]] = {}
    certified: dict[str, list[int]] = {}
    for seq, raw in _certificate_entries(store):
        try:
            entry = decode_entry(raw)
        except ValueError:
            continue  # not an entry any more: verify_ledger names it
        report_id, details = entry.get("report"), entry.get("details") or {}
        digest = details.get("certificate_sha256")
        if not isinstance(report_id, str) or not isinstance(digest, str):
            continue
        if entry.get("step") == LedgerStep.CERTIFY:
            issued[report_id] = (seq, digest, str(details.get("certificate_pdf_sha256")))
            certified.setdefault(report_id, []).append(seq)
        elif entry.get("step") in (LedgerStep.DISPOSE, LedgerStep.SHRED):
            signed.setdefault(report_id, (seq, digest))
    return signed, issued, certified


def _row_problem(
    report_id: str,
    document: bytes,
    pdf: bytes | None,
    signed: Mapping[str, tuple[int, str]],
    issued: Mapping[str, tuple[int, str, str]],
) -> str | None:
    if report_id not in signed:
        return "a row in disposition_certificates that no disposal entry records (added by hand)"
    seq, digest = signed[report_id]
    if hashlib.sha256(document).hexdigest() != digest:
        return f"differs from certificate_sha256 of ledger entry {seq} (edited)"
    certify = issued.get(report_id)
    if pdf is None:
        return None if certify is None else f"its PDF, issued by ledger entry {certify[0]}, was deleted"
    if certify is None or certify[1] != digest:
        return "a PDF that no certify entry records (added or replaced by hand)"
    if hashlib.sha256(bytes(pdf)).hexdigest() != certify[2]:
        return f"its PDF differs from certificate_pdf_sha256 of ledger entry {certify[0]} (edited)"
    return None


def _certificate_entries(store: ReportStore) -> list[tuple[int, bytes]]:
    # By the signed text as well as the step column, which no hash covers.
    query = select(LedgerEntryRecord.seq, LedgerEntryRecord.entry).where(
        LedgerEntryRecord.step.in_([s.value for s in REGISTER_STEPS])
        | LedgerEntryRecord.entry.like('%"certificate_sha256":%')
    )
    with store.database.session() as session:
        return [(seq, entry.encode("ascii")) for seq, entry in session.execute(query.order_by("seq"))]


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
