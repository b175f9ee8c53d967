"""SQLAlchemy models. No column holds personal data in clear (ARCHITECTURE invariant 1):
report content lives in encrypted blobs; rows hold ids, states, dates and hashes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.retention_vocabulary import ReviewStatus

__all__ = [
    "Base",
    "BlobRecord",
    "CompanyIdentityRecord",
    "DispositionCertificateRecord",
    "EventCursorRecord",
    "IdempotencyKeyRecord",
    "JobRunRecord",
    "LedgerCheckpointRecord",
    "LedgerEntryRecord",
    "LedgerHeadRecord",
    "LedgerNodeRecord",
    "LegalHoldRecord",
    "NoteRecord",
    "ReportEventRecord",
    "ReportNumberCounterRecord",
    "ReportRecord",
    "ReviewItemRecord",
    "StatisticalRecord",
    "SubjectIndexMetaRecord",
    "SubjectIndexRecord",
    "SubmissionRecord",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class ReportRecord(Base):
    """One intervention report and where it is in its life."""

    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    submission_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    """The sender's idempotency key; NULL for a submission that could not be read."""
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    """The readable number people see (``RI-2026-000123``), given when the report is accepted
    (:mod:`storage.report_numbers`); NULL until then. The id stays the internal key."""
    state: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(16))
    """``json`` or ``pdf_form``."""
    template_id: Mapped[str | None] = mapped_column(String(130))
    client_kind: Mapped[str | None] = mapped_column(String(16))
    intervention_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))
    content_blob_id: Mapped[str | None] = mapped_column(String(40))
    """Encrypted parsed report (JSON), once the submission could be parsed."""
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Structured problems (path, code, messages); never a submitted value."""
    revision: Mapped[int] = mapped_column(Integer, default=1)
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When the report's data key was destroyed; the row stays as a tombstone."""
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    site_country: Mapped[str | None] = mapped_column(String(2))
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    restricted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """Access to personal data restricted (GDPR Art. 18, or an erasure refused under Art. 17(3))."""
    restriction_reason: Mapped[str | None] = mapped_column(String(80))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    """The worker whose lease covers this report while a stage processes it (distributed mode)."""
    claim_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class SubmissionRecord(Base):
    """Every raw submission received, kept encrypted: nothing is ever lost."""

    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    """Keyed HMAC of the raw bytes: recognizes a resubmission without revealing content."""
    raw_blob_id: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(16))
    """``captured``, ``rejected`` or ``conflict``."""
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BlobRecord(Base):
    """Metadata of an encrypted blob: kind, size and hash of the ciphertext."""

    __tablename__ = "blobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    """A :class:`~storage.blob_kinds.BlobKind` value."""
    ciphertext_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SubjectIndexRecord(Base):
    """Blind index: keyed HMAC of a normalized e-mail, phone or name → report.

    Finds a person's reports for a data-subject request without storing who they are.
    """

    __tablename__ = "subject_index"
    __table_args__ = (Index("ix_subject_index_lookup", "kind", "digest"),)

    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)


class SubjectIndexMetaRecord(Base):
    """Which normalization the blind index's digests follow (:data:`storage.blind_index.INDEX_VERSION`).

    One row (``id`` 1), written by migration 0009 and by a re-index
    (:mod:`storage.subject_index`); no row: an index that never held a digest of an older version.
    """

    __tablename__ = "subject_index_meta"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LedgerEntryRecord(Base):
    """One audit event, as the canonical JSON that the Merkle leaf hashes. Append-only."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    report_id: Mapped[str | None] = mapped_column(String(40), index=True)
    step: Mapped[str] = mapped_column(String(48), index=True)
    """A :class:`~storage.ledger.steps.LedgerStep` value (the entry's own, kept beside it to filter on)."""
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    entry: Mapped[str] = mapped_column(Text)
    mac: Mapped[str | None] = mapped_column(String(64))
    """HMAC of ``entry`` under the ledger's MAC key (:mod:`storage.ledger.entry_mac`)."""


class LedgerNodeRecord(Base):
    """A complete (perfect) subtree hash of the ledger's Merkle tree. Append-only."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerCheckpointRecord(Base):
    """A signed checkpoint (C2SP signed note) of the ledger at ``size``. Append-only."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LedgerHeadRecord(Base):
    """The ledger's size: one row, locked by each append; it can only grow."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


class ReportEventRecord(Base):
    """A dated event about a report that a retention trigger may wait for (``contract_end``…)."""

    __tablename__ = "report_events"

    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LegalHoldRecord(Base):
    """A legal hold: while active, no report in its scope is disposed."""

    __tablename__ = "legal_holds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reason: Mapped[str] = mapped_column(String(80))
    """A reference (case number, code), not free text about people."""
    scope_kind: Mapped[str] = mapped_column(String(16))
    """A :class:`~storage.retention_vocabulary.HoldScope` value: ``reports``, ``subject``
    (blind-index digests) or ``query``."""
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class NoteRecord(Base):
    """Free text that may name people (a hold's reason, a reviewer's comment), encrypted under
    a data key of its own (see :mod:`storage.notes`)."""

    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    """Nonce and AES-256-GCM ciphertext."""
    ciphertext_sha256: Mapped[str] = mapped_column(String(64))
    """What the ledger records of the note."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewItemRecord(Base):
    """A report waiting for a compliance officer's disposition decision."""

    __tablename__ = "review_queue"

    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    policy_ref: Mapped[str] = mapped_column(String(120))
    due: Mapped[dt.date] = mapped_column(Date)
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.PENDING.value, index=True)
    """A :class:`~storage.retention_vocabulary.ReviewStatus` value."""
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    extended_until: Mapped[dt.date | None] = mapped_column(Date)
    override_policy: Mapped[str | None] = mapped_column(String(80))


class StatisticalRecord(Base):
    """What an anonymized report leaves: nothing but its quasi-identifiers, each generalized
    or ``*`` (not kept), until at least *k* records hold the same values in every column
    but ``id`` (:mod:`retention.statistics` writes them; see docs/retention.md).

    Nothing links a record to its report: no report id, submission id, hash of either, nor
    write time (it would match the disposal certificate's). On SQLite the table has no
    rowid, so rows are stored in the order of their random ids, not of their writing.
    """

    __tablename__ = "statistical_records"
    __table_args__ = (
        Index(
            "ix_statistical_records_class",
            "template_id",
            "client_kind",
            "equipment_category",
            "period",
            "outcome",
            "brand",
            "model",
            "installed_decade",
            "duration",
            "area",
            "parts_used",
            "checklist_anomalies",
        ),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    """``stat-`` + 16 random hex digits, drawn when the record is written: derived from nothing."""
    template_id: Mapped[str] = mapped_column(String(130))
    client_kind: Mapped[str] = mapped_column(String(16))
    equipment_category: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    """``YYYY-MM`` or ``YYYY``."""
    outcome: Mapped[str] = mapped_column(String(16))
    brand: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    installed_decade: Mapped[str] = mapped_column(String(8))
    """``2010s``."""
    duration: Mapped[str] = mapped_column(String(16))
    """A bucket: ``<30 min``, ``30-60 min``, ``1-2 h``, ``2-4 h``, ``>4 h``."""
    area: Mapped[str] = mapped_column(String(8))
    """Département (``69``, ``971``)."""
    parts_used: Mapped[str] = mapped_column(String(4))
    """``0``, ``1`` or ``2+`` part lines."""
    checklist_anomalies: Mapped[str] = mapped_column(String(4))
    """``0``, ``1`` or ``2+`` checklist items in anomaly."""


class DispositionCertificateRecord(Base):
    """The certificate of disposition of an erased report: canonical JSON whose SHA-256 the
    report's ``dispose``/``shred`` ledger entry records, and its sealed PDF once issued (the
    ``certify`` entry records the PDF's SHA-256). Neither holds personal data
    (:mod:`retention.certificates` builds them; :mod:`storage.certificate_store` writes them)."""

    __tablename__ = "disposition_certificates"

    report_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    step: Mapped[str] = mapped_column(String(48))
    """The ledger step that certifies the disposal: ``dispose`` or ``shred``."""
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    """Canonical JSON (sorted keys, UTF-8), format ``quitus-disposition-certificate/1``."""
    certificate_sha256: Mapped[str] = mapped_column(String(64))
    disposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The sealed French PDF; ``NULL`` until it is issued (outside the disposal's transaction)."""
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class IdempotencyKeyRecord(Base):
    """An unsafe API request sent with an ``Idempotency-Key``, and what it was answered
    (:mod:`storage.idempotency_store`): keyed digests, a status and ids, never the request."""

    __tablename__ = "idempotency_keys"

    key_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    """HMAC-SHA256 of the caller's handle and the key (a key is the caller's own)."""
    operation: Mapped[str] = mapped_column(String(64))
    """The endpoint's name (``place_hold``)."""
    request_digest: Mapped[str] = mapped_column(String(64))
    """HMAC-SHA256 of the operation, path and body: the same key with another request is refused."""
    status: Mapped[int | None] = mapped_column(SmallInteger)
    """The first answer's status; NULL while the first request is being answered."""
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What the answer is rebuilt from: ids, codes and dates only."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class ReportNumberCounterRecord(Base):
    """The last report number given in a year (:mod:`storage.report_numbers`)."""

    __tablename__ = "report_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class CompanyIdentityRecord(Base):
    """The company's identity, configured once (:mod:`storage.company`): one row, id 1.

    Company data, not personal data: the legal person's name, address, SIRET…"""

    __tablename__ = "company_identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    legal_form: Mapped[str | None] = mapped_column(String(60))
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(30))
    siret: Mapped[str | None] = mapped_column(String(14))
    attestation: Mapped[str | None] = mapped_column(String(60))
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo_media_type: Mapped[str | None] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobRunRecord(Base):
    """When a job (a flow: intake, retention…) last started, succeeded and failed (:mod:`storage.job_runs`).

    One row per job, written by every process that runs it, so ``/metrics`` and ``quitus
    status`` see the last success whichever machine ran it. Counts and an error class only."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_succeeded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(160))
    """The class of the exception the last failed run raised (``module.Class``), never its message."""
    last_counts: Mapped[dict[str, int] | None] = mapped_column(JSON)
    """What the last successful run returned: counts per stage or action."""
    overdue_reported_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When the job was last reported overdue (a Prefect event), so the alert is not repeated each run."""


class EventCursorRecord(Base):
    """How far in the ledger the Prefect events were emitted (:mod:`workflows.events`): one row, id 1."""

    __tablename__ = "event_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    emitted_to: Mapped[int] = mapped_column(BigInteger)
    """The ledger size up to which events were emitted (entries ``seq < emitted_to``)."""
