"""The blind index's version, and re-indexing phones to E.164 (index version 2).

The digests are keyed HMACs of normalized values and the values are only in the
encrypted report content, so a migration cannot recompute them in SQL. Migration 0009
records the version the stored digests follow (``subject_index_meta``); while it is older
than :data:`~storage.blind_index.INDEX_VERSION`, a lookup by phone is refused
(:func:`require_current_for`) — it would miss every report indexed the old way — and
:func:`reindex_phones` brings the index up to date: it decrypts each live report's content,
recomputes its phone digests and replaces the old ones, in batches, then records the new
version and a ``subject.reindex`` ledger entry. ``quitus init`` runs it when needed;
``quitus subject reindex`` runs it on demand. Run again, it changes nothing.

A legal hold placed on a person by phone before the re-index holds version 1 digests
(signed in its ``hold.place`` entry, so they are not rewritten): the re-index keeps, beside
the new digest, each old digest that a hold in force names, so the hold keeps every report
it covered. A report of that person captured later is indexed in E.164 only: the outcome
names those holds, to be placed again by phone if they must cover new reports.

The ``capture`` entry that writes a report's index records :func:`subjects_digest` of its
rows (``subjects_sha256``), and ``quitus audit verify`` (:mod:`storage.state_integrity`)
recomputes it from the table: a row deleted by hand would lift a hold placed on a person.
The re-index rewrites rows, so it appends, for each report it changed, a
``subject.reindex`` entry of that report recording the new digest, in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.blind_index import INDEX_VERSION, legacy_phone_digest, subject_digest
from storage.database import Database, is_one_of
from storage.errors import BlobError, KeyDestroyedError, ReportNotFoundError, SubjectIndexOutdatedError
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.models import LegalHoldRecord, ReportRecord, SubjectIndexMetaRecord, SubjectIndexRecord, utcnow
from storage.retention_vocabulary import HoldScope
from storage.states import ReportState

if TYPE_CHECKING:
    from storage.report_store import ReportStore

__all__ = [
    "SUBJECTS_DETAIL",
    "PhonesOf",
    "ReindexOutcome",
    "index_is_outdated",
    "index_version",
    "reindex_phones",
    "require_current_for",
    "subjects_digest",
]

PhonesOf = Callable[[bytes], Iterable[str]]
"""The phone numbers a report's decrypted content holds, as the capture indexed them
(the caller knows the report schema; storage does not). Raises ``ValueError`` for content
it cannot read."""

_META_ID = 1
BATCH_SIZE = 200

SUBJECTS_DETAIL = "subjects_sha256"
"""The detail of a ``capture`` (or per-report ``subject.reindex``) entry that holds the digest."""


def subjects_digest(rows: Iterable[tuple[str, str]]) -> str:
    """SHA-256 (hex) of a report's index rows: their sorted ``kind:digest`` lines."""
    lines = sorted({f"{kind}:{digest}" for kind, digest in rows})
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ReindexOutcome:
    """What a re-index did (no personal data)."""

    reports: int
    """Live reports whose content was read."""
    changed: int
    """Of those, reports whose phone digests changed."""
    unreadable: tuple[str, ...] = ()
    """Reports whose content could not be read (left as they were, named for the operator)."""
    holds_by_old_phone: tuple[str, ...] = field(default_factory=tuple)
    """Holds in force that name a version 1 phone digest: they keep the reports they covered;
    placed again by phone, they also cover reports captured from now on."""
    version: int = INDEX_VERSION


def index_version(session: Session) -> int:
    """The normalization the stored digests follow (no row: nothing older was ever stored)."""
    version = session.scalar(
        select(SubjectIndexMetaRecord.version).where(SubjectIndexMetaRecord.id == _META_ID)
    )
    return INDEX_VERSION if version is None else version


def index_is_outdated(database: Database) -> bool:
    """Whether the stored digests follow an older normalization than this quitus writes."""
    with database.session() as session:
        return index_version(session) < INDEX_VERSION


def require_current_for(session: Session, digests: Iterable[tuple[str, str]]) -> None:
    """Refuse a lookup that an outdated index would answer wrongly (phones, before version 2)."""
    if not any(kind == "phone" for kind, _ in digests):
        return
    version = index_version(session)
    if version < INDEX_VERSION:
        raise SubjectIndexOutdatedError(
            f"the blind index holds phone numbers as index version {version} wrote them, this quitus "
            f"looks them up in E.164 (version {INDEX_VERSION}): a lookup by phone would miss reports. "
            "Run `quitus subject reindex` (or `quitus init`) once; lookups by e-mail or name still work"
        )


def reindex_phones(
    store: ReportStore, phones_of: PhonesOf, *, batch_size: int = BATCH_SIZE
) -> ReindexOutcome:
    """Recompute every live report's phone digests from its content; record the new version."""
    index_key = store.keys.index_key
    database = store.database
    holds = _phone_digests_held(database)
    held = set().union(*holds.values())
    kept: set[str] = set()
    reports = changed = 0
    unreadable: list[str] = []
    last = ""
    while True:
        batch = _next_batch(database, last, batch_size)
        if not batch:
            break
        last = batch[-1][0]
        wanted: dict[str, tuple[str, set[str]]] = {}
        for report_id, blob_id in batch:
            try:
                phones = list(phones_of(store.read_blob(report_id, blob_id)))
            except (KeyDestroyedError, ReportNotFoundError):
                continue  # erased meanwhile: nothing to index
            except (BlobError, ValueError):
                unreadable.append(report_id)
                continue
            digests = {d for p in phones if (d := subject_digest(index_key, "phone", p)) is not None}
            old = {d for p in phones if (d := legacy_phone_digest(index_key, p)) in held}
            kept |= old
            digests |= old
            wanted[report_id] = (blob_id, digests)
        reports += len(wanted)
        changed += _replace_phone_digests(store, wanted)
    with database.session() as session:
        meta = session.get(SubjectIndexMetaRecord, _META_ID, with_for_update=True)
        if meta is None:
            session.add(SubjectIndexMetaRecord(id=_META_ID, version=INDEX_VERSION, updated_at=utcnow()))
        else:
            meta.version, meta.updated_at = INDEX_VERSION, utcnow()
        store.ledger.append(
            session,
            [
                LedgerEvent(
                    step=LedgerStep.SUBJECT_REINDEX,
                    actor=store.actor,
                    outcome="reindexed",
                    details={
                        "index_version": INDEX_VERSION,
                        "reports": reports,
                        "changed": changed,
                        "unreadable": len(unreadable),
                    },
                )
            ],
        )
    by_old_phone = sorted(hold_id for hold_id, named in holds.items() if named & kept)
    return ReindexOutcome(reports, changed, tuple(unreadable), tuple(by_old_phone))


def _next_batch(database: Database, after: str, size: int) -> list[tuple[str, str]]:
    with database.session() as session:
        rows = session.execute(
            select(ReportRecord.id, ReportRecord.content_blob_id)
            .where(
                ReportRecord.id > after,
                ReportRecord.content_blob_id.is_not(None),
                ReportRecord.erased_at.is_(None),
                ReportRecord.state != ReportState.ERASED,
            )
            .order_by(ReportRecord.id)
            .limit(size)
        ).all()
    return [(report_id, blob_id) for report_id, blob_id in rows if blob_id is not None]


def _replace_phone_digests(store: ReportStore, wanted: dict[str, tuple[str, set[str]]]) -> int:
    """Make each report's phone rows exactly its wanted digests; the number of reports changed.

    Each report changed gets a ``subject.reindex`` entry of its own with the digest of its
    rows now (:data:`SUBJECTS_DETAIL`), which ``quitus audit verify`` compares with the table.
    """
    if not wanted:
        return 0
    database = store.database
    changed: list[str] = []
    with database.session() as session:
        ids = sorted(wanted)
        # Locked like a capture locks its report: a correction or an erasure committed
        # meanwhile is seen, and wins (it wrote, or deleted, the report's digests itself).
        rows = session.execute(
            select(ReportRecord.id, ReportRecord.content_blob_id, ReportRecord.state)
            .where(is_one_of(ReportRecord.id, ids, database.dialect))
            .order_by(ReportRecord.id)
            .with_for_update()
        ).all()
        current = {r.id: r for r in rows if r.state != ReportState.ERASED}
        stored: dict[str, set[str]] = {}
        for report_id, digest in session.execute(
            select(SubjectIndexRecord.report_id, SubjectIndexRecord.digest).where(
                is_one_of(SubjectIndexRecord.report_id, ids, database.dialect),
                SubjectIndexRecord.kind == "phone",
            )
        ):
            stored.setdefault(report_id, set()).add(digest)
        for report_id, (blob_id, digests) in wanted.items():
            row = current.get(report_id)
            if row is None or row.content_blob_id != blob_id:
                continue
            have = stored.get(report_id, set())
            if have == digests:
                continue
            changed.append(report_id)
            if have - digests:
                session.execute(
                    delete(SubjectIndexRecord).where(
                        SubjectIndexRecord.report_id == report_id,
                        SubjectIndexRecord.kind == "phone",
                        SubjectIndexRecord.digest.in_(sorted(have - digests)),
                    )
                )
            session.add_all(
                SubjectIndexRecord(report_id=report_id, kind="phone", digest=d)
                for d in sorted(digests - have)
            )
        if changed:
            session.flush()
            rows_of: dict[str, list[tuple[str, str]]] = {report_id: [] for report_id in changed}
            for report_id, kind, digest in session.execute(
                select(
                    SubjectIndexRecord.report_id, SubjectIndexRecord.kind, SubjectIndexRecord.digest
                ).where(is_one_of(SubjectIndexRecord.report_id, changed, database.dialect))
            ):
                rows_of[report_id].append((kind, digest))
            store.ledger.append(
                session,
                [
                    LedgerEvent(
                        step=LedgerStep.SUBJECT_REINDEX,
                        actor=store.actor,
                        outcome="reindexed",
                        report_id=report_id,
                        details={"index_version": INDEX_VERSION, SUBJECTS_DETAIL: subjects_digest(rows)},
                    )
                    for report_id, rows in sorted(rows_of.items())
                ],
            )
    return len(changed)


def _phone_digests_held(database: Database) -> dict[str, set[str]]:
    """Hold id → the phone digests it names, for the subject holds in force."""
    holds: dict[str, set[str]] = {}
    with database.session() as session:
        for hold_id, scope in session.execute(
            select(LegalHoldRecord.id, LegalHoldRecord.scope).where(
                LegalHoldRecord.scope_kind == HoldScope.SUBJECT.value, LegalHoldRecord.released_at.is_(None)
            )
        ):
            named = {str(d) for k, d in (scope or {}).get("digests", []) if k == "phone"}
            if named:
                holds[hold_id] = named
    return holds
