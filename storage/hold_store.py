"""Legal holds in the database and in the signed ledger: their SQL lives here, the rules
(what a hold may cover, what it covers) in :mod:`retention.holds`.

A hold is written twice, in one transaction: a ``legal_holds`` row, and a ``hold.place``
ledger entry that carries the hold's **whole scope** and names its reason by note id and
ciphertext hash (the reason is free text, kept encrypted: :mod:`storage.notes`).
Releasing sets the row's ``released_at`` and appends a ``hold.release`` entry. The
ledger is signed, the table is not: :func:`ledger_holds` rebuilds every hold from the
entries, so that a row deleted or edited by hand does not lift a hold, and
:func:`storage.retention_integrity.check_retention_state` reports the difference.

Details of a ``hold.place`` entry (ids, codes and hex digests only)::

    hold                          the hold id
    scope                         reports | subject | query
    report_ids                    [RI-…]                        scope reports
    digests                       ["email:<hex HMAC>", …]       scope subject (blind index)
    query.<field>                 template_id, client_kind,     scope query
                                  intervention_from, intervention_to
    reason_note, reason_sha256    the encrypted reason

Entries written before holds carried their scope have only ``hold``, ``scope`` and a
``reason`` code: for those, the row's scope stands in (:attr:`LedgerHold.scope` is ``None``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import ReportNotFoundError
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LegalHoldRecord, ReportRecord, SubjectIndexRecord, utcnow
from storage.notes import NoteRef
from storage.report_store import ReportStore
from storage.retention_vocabulary import HoldScope

__all__ = ["HOLD_STEPS", "HoldStore", "LedgerHold", "StoredHold", "ledger_holds", "scope_details"]

HOLD_STEPS = (LedgerStep.HOLD_PLACE, LedgerStep.HOLD_RELEASE)
_QUERY_PREFIX = "query."

ScopeDetails = dict[str, str | list[str]]


def scope_details(kind: HoldScope, scope: Mapping[str, Any]) -> ScopeDetails:
    """A hold's scope as ledger details (see the module doc); the inverse of :func:`_scope_of`."""
    if kind == HoldScope.REPORTS:
        return {"report_ids": [str(i) for i in scope["report_ids"]]}
    if kind == HoldScope.SUBJECT:
        return {"digests": sorted(f"{k}:{d}" for k, d in scope["digests"])}
    return {f"{_QUERY_PREFIX}{k}": str(v) for k, v in sorted(scope.items())}


def _scope_of(kind: HoldScope, details: Mapping[str, Any]) -> dict[str, Any] | None:
    if kind == HoldScope.REPORTS:
        ids = details.get("report_ids")
        return None if ids is None else {"report_ids": list(ids)}
    if kind == HoldScope.SUBJECT:
        digests = details.get("digests")
        return None if digests is None else {"digests": [list(d.split(":", 1)) for d in digests]}
    query = {k.removeprefix(_QUERY_PREFIX): v for k, v in details.items() if k.startswith(_QUERY_PREFIX)}
    return query or None


@dataclass(frozen=True)
class StoredHold:
    """A ``legal_holds`` row."""

    id: str
    scope_kind: HoldScope
    scope: Mapping[str, Any]
    """``report_ids`` (a list), ``digests`` (``[kind, digest]`` pairs) or the query's fields."""
    reason_ref: str
    """The note id of the reason (``note-…``); for a hold placed before reasons were notes,
    the reference code itself."""
    placed_by: str
    placed_at: dt.datetime
    released_by: str | None = None
    released_at: dt.datetime | None = None

    @classmethod
    def of(cls, row: LegalHoldRecord) -> StoredHold:
        return cls(
            row.id,
            HoldScope(row.scope_kind),
            dict(row.scope),
            row.reason,
            row.placed_by,
            _aware(row.placed_at),
            row.released_by,
            None if row.released_at is None else _aware(row.released_at),
        )

    def ledger_scope(self) -> ScopeDetails | None:
        """The scope as the ledger writes it; ``None`` when the row's scope is malformed."""
        try:
            return scope_details(self.scope_kind, self.scope)
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class LedgerHold:
    """A hold as the signed ledger records it."""

    id: str
    scope_kind: HoldScope
    scope: Mapping[str, Any] | None
    """Like :attr:`StoredHold.scope`; ``None`` for an entry written before the ledger carried scopes."""
    scope_details: ScopeDetails
    """The scope exactly as the entry wrote it (empty for an old entry)."""
    reason_ref: str | None
    """The reason's note id (or an old entry's reason code)."""
    reason_sha256: str | None
    placed_by: str
    placed_at: dt.datetime
    placed_seq: int
    released_by: str | None = None
    released_at: dt.datetime | None = None
    released_seq: int | None = None

    @property
    def in_force(self) -> bool:
        return self.released_seq is None


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _entry_time(entry: Mapping[str, Any]) -> dt.datetime:
    return dt.datetime.strptime(str(entry["time"]), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def ledger_holds(entries: Iterable[tuple[int, Mapping[str, Any]]]) -> dict[str, LedgerHold]:
    """Every hold the entries place, released or not, from decoded ``(seq, entry)`` pairs in
    ledger order (other steps are skipped; a release of an unknown hold is ignored)."""
    holds: dict[str, LedgerHold] = {}
    for seq, entry in entries:
        details = entry.get("details") or {}
        hold_id = details.get("hold")
        if not isinstance(hold_id, str):
            continue
        if entry.get("step") == LedgerStep.HOLD_PLACE:
            try:
                kind = HoldScope(str(details.get("scope")))
            except ValueError:
                continue
            written = {
                k: v
                for k, v in details.items()
                if k in ("report_ids", "digests") or k.startswith(_QUERY_PREFIX)
            }
            holds[hold_id] = LedgerHold(
                id=hold_id,
                scope_kind=kind,
                scope=_scope_of(kind, details),
                scope_details=written,
                reason_ref=details.get("reason_note") or details.get("reason"),
                reason_sha256=details.get("reason_sha256"),
                placed_by=str(entry.get("actor")),
                placed_at=_entry_time(entry),
                placed_seq=seq,
            )
        elif entry.get("step") == LedgerStep.HOLD_RELEASE and hold_id in holds:
            holds[hold_id] = dataclasses.replace(
                holds[hold_id],
                released_by=str(entry.get("actor")),
                released_at=_entry_time(entry),
                released_seq=seq,
            )
    return holds


class HoldStore:
    """The ``legal_holds`` rows, written with their ledger entries; the holds the ledger records."""

    def __init__(self, store: ReportStore) -> None:
        self.store = store

    def place(
        self,
        session: Session,
        *,
        hold_id: str,
        scope_kind: HoldScope,
        scope: Mapping[str, Any],
        reason: NoteRef,
    ) -> StoredHold:
        """Add the row and its ``hold.place`` entry to the caller's transaction."""
        row = LegalHoldRecord(
            id=hold_id,
            reason=reason.note_id,
            scope_kind=scope_kind.value,
            scope=dict(scope),
            placed_by=self.store.actor,
            placed_at=utcnow(),
        )
        session.add(row)
        session.flush()
        details: dict[str, str | int | list[str]] = {"hold": hold_id, "scope": scope_kind.value}
        details.update(scope_details(scope_kind, scope))
        details.update(reason.details("reason"))
        self.store.ledger.append(
            session,
            [
                LedgerEvent(
                    step=LedgerStep.HOLD_PLACE, actor=self.store.actor, outcome="placed", details=details
                )
            ],
        )
        return StoredHold.of(row)

    @staticmethod
    def get(session: Session, hold_id: str, *, for_update: bool = False) -> StoredHold | None:
        row = session.get(LegalHoldRecord, hold_id, with_for_update=for_update)
        return None if row is None else StoredHold.of(row)

    def release(self, session: Session, hold_id: str) -> StoredHold | None:
        """Mark the row released and append ``hold.release``, in the caller's transaction;
        ``None`` when there is no such row."""
        row = session.get(LegalHoldRecord, hold_id, with_for_update=True)
        if row is None:
            return None
        row.released_at, row.released_by = utcnow(), self.store.actor
        self.store.ledger.append(
            session,
            [
                LedgerEvent(
                    step=LedgerStep.HOLD_RELEASE,
                    actor=self.store.actor,
                    outcome="released",
                    details={"hold": hold_id},
                )
            ],
        )
        return StoredHold.of(row)

    def rows(self, *, include_released: bool = False) -> list[StoredHold]:
        query = select(LegalHoldRecord).order_by(LegalHoldRecord.placed_at, LegalHoldRecord.id)
        if not include_released:
            query = query.where(LegalHoldRecord.released_at.is_(None))
        with self.store.database.session() as session:
            return [StoredHold.of(row) for row in session.scalars(query)]

    def from_ledger(self) -> dict[str, LedgerHold]:
        """Every hold the signed ledger places, with its release if any."""
        decoded = []
        for stored in self.store.ledger.entries_with_step(*HOLD_STEPS, installation_wide=True):
            try:
                decoded.append((stored.seq, decode_entry(stored.entry)))
            except ValueError:
                continue  # an edited entry: `audit verify` names it
        return ledger_holds(decoded)

    def reasons(self, refs: Iterable[str]) -> dict[str, str | None]:
        """Reference → the reason's text: a note decrypted (``None`` once erased, or when the
        note is missing or altered: ``audit verify`` says which), an old hold's code as it is."""
        found: dict[str, str | None] = {}
        with self.store.database.session() as session:
            for ref in refs:
                if not ref.startswith("note-"):
                    found[ref] = ref
                    continue
                try:
                    found[ref] = self.store.notes.read(session, ref)
                except (ReportNotFoundError, InvalidTag):
                    found[ref] = None
        return found

    def unknown_reports(self, report_ids: Sequence[str]) -> list[str]:
        """Those of ``report_ids`` that name no report (erased ones are known), in their order."""
        known: set[str] = set()
        with self.store.database.session() as session:
            for start in range(0, len(report_ids), 1000):
                chunk = list(report_ids[start : start + 1000])
                known.update(session.scalars(select(ReportRecord.id).where(ReportRecord.id.in_(chunk))))
        return [i for i in report_ids if i not in known]

    def subject_reports_among(self, report_ids: Sequence[str], digests: Iterable[str]) -> set[str]:
        """Those of ``report_ids`` whose blind index holds one of ``digests``."""
        wanted = list(digests)
        if not report_ids or not wanted:
            return set()
        with self.store.database.session() as session:
            rows = session.scalars(
                select(SubjectIndexRecord.report_id).where(
                    SubjectIndexRecord.report_id.in_(list(report_ids)),
                    SubjectIndexRecord.digest.in_(wanted),
                )
            )
            return set(rows)
