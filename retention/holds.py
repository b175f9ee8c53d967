"""Legal holds: while a hold is active, no report in its scope is disposed.

A hold's scope is a list of report ids, a person (by e-mail, phone or name, through the
blind index — the hold stores digests, not the values), or a query over report facts
(template, client kind, intervention dates). Placing and releasing are ledger events.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from policies.decision import ReportFacts
from retention.errors import HoldError
from storage.blind_index import SubjectKind, subject_digests
from storage.ledger.events import LedgerEvent
from storage.models import LegalHoldRecord, SubjectIndexRecord, utcnow
from storage.report_store import ReportStore

__all__ = ["ActiveHolds", "Hold", "HoldService"]

ScopeKind = Literal["reports", "subject", "query"]
QUERY_KEYS = {"template_id", "client_kind", "intervention_from", "intervention_to"}


@dataclass(frozen=True)
class Hold:
    id: str
    reason: str
    scope_kind: ScopeKind
    scope: dict[str, Any]
    placed_by: str
    placed_at: dt.datetime
    released_at: dt.datetime | None

    @classmethod
    def of(cls, row: LegalHoldRecord) -> Hold:
        return cls(
            row.id,
            row.reason,
            row.scope_kind,  # type: ignore[arg-type]
            dict(row.scope),
            row.placed_by,
            row.placed_at,
            row.released_at,
        )

    def describe(self) -> str:
        if self.scope_kind == "reports":
            return f"{len(self.scope['report_ids'])} report(s)"
        if self.scope_kind == "subject":
            return f"every report of one person ({', '.join(sorted({k for k, _ in self.scope['digests']}))})"
        return "reports where " + ", ".join(f"{k}={v}" for k, v in sorted(self.scope.items()))


class ActiveHolds:
    """The holds in force, able to say which reports of a batch they cover."""

    def __init__(self, store: ReportStore, holds: Sequence[Hold]) -> None:
        self._store = store
        self.holds = list(holds)

    def held(self, batch: Sequence[ReportFacts]) -> dict[str, list[str]]:
        """report id → ids of the holds covering it, for the reports of ``batch`` that are held."""
        ids = {f.report_id for f in batch}
        covered: dict[str, list[str]] = {}
        for hold in self.holds:
            for report_id in self._covered(hold, batch, ids):
                covered.setdefault(report_id, []).append(hold.id)
        return covered

    def _covered(self, hold: Hold, batch: Sequence[ReportFacts], ids: set[str]) -> set[str]:
        if hold.scope_kind == "reports":
            return ids & set(hold.scope["report_ids"])
        if hold.scope_kind == "subject":
            pairs = [tuple(p) for p in hold.scope["digests"]]
            with self._store.database.session() as session:
                rows = session.scalars(
                    select(SubjectIndexRecord.report_id).where(
                        SubjectIndexRecord.report_id.in_(list(ids)),
                        SubjectIndexRecord.digest.in_([d for _, d in pairs]),
                    )
                )
                return set(rows)
        return {f.report_id for f in batch if _query_matches(hold.scope, f)}


def _query_matches(query: dict[str, Any], facts: ReportFacts) -> bool:
    template = f"{facts.equipment_category}.{facts.intervention_type}" if facts.equipment_category else None
    if "template_id" in query and query["template_id"] != template:
        return False
    if "client_kind" in query and query["client_kind"] != facts.client_kind:
        return False
    day = facts.intervention_date or facts.received_date
    if "intervention_from" in query and day < dt.date.fromisoformat(query["intervention_from"]):
        return False
    return not ("intervention_to" in query and day > dt.date.fromisoformat(query["intervention_to"]))


class HoldService:
    """Place, release and list legal holds."""

    def __init__(self, store: ReportStore) -> None:
        self.store = store

    def place(self, *, reason: str, scope_kind: ScopeKind, scope: dict[str, Any]) -> Hold:
        _check_scope(scope_kind, scope, self.store)
        hold = LegalHoldRecord(
            id="hold-" + secrets.token_hex(6),
            reason=reason,
            scope_kind=scope_kind,
            scope=scope,
            placed_by=self.store.actor,
            placed_at=utcnow(),
        )
        with self.store.database.session() as session:
            session.add(hold)
            session.flush()
            self.store.ledger.append(
                session,
                [
                    LedgerEvent(
                        step="hold.place",
                        actor=self.store.actor,
                        outcome="placed",
                        details={"hold": hold.id, "reason": reason, "scope": scope_kind},
                    )
                ],
            )
            return Hold.of(hold)

    def place_on_subject(self, *, reason: str, terms: Sequence[tuple[SubjectKind, str]]) -> Hold:
        """A hold on every report of one person, found by e-mail, phone or name.

        The hold keeps the blind-index digests of the terms, never the terms themselves.
        """
        digests = subject_digests(self.store.keys.index_key, terms)
        return self.place(reason=reason, scope_kind="subject", scope={"digests": sorted(digests)})

    def release(self, hold_id: str) -> Hold:
        with self.store.database.session() as session:
            hold = session.get(LegalHoldRecord, hold_id, with_for_update=True)
            if hold is None:
                raise HoldError(f"no legal hold {hold_id}; `quitus holds list` shows them")
            if hold.released_at is not None:
                raise HoldError(f"legal hold {hold_id} was already released on {hold.released_at:%Y-%m-%d}")
            hold.released_at, hold.released_by = utcnow(), self.store.actor
            self.store.ledger.append(
                session,
                [
                    LedgerEvent(
                        step="hold.release",
                        actor=self.store.actor,
                        outcome="released",
                        details={"hold": hold.id},
                    )
                ],
            )
            return Hold.of(hold)

    def list(self, *, include_released: bool = False) -> list[Hold]:
        query = select(LegalHoldRecord).order_by(LegalHoldRecord.placed_at)
        if not include_released:
            query = query.where(LegalHoldRecord.released_at.is_(None))
        with self.store.database.session() as session:
            return [Hold.of(h) for h in session.scalars(query)]

    def active(self) -> ActiveHolds:
        return ActiveHolds(self.store, self.list())


def _check_scope(kind: ScopeKind, scope: dict[str, Any], store: ReportStore) -> None:
    if kind == "reports":
        ids = scope.get("report_ids")
        if not isinstance(ids, list) or not ids:
            raise HoldError("a hold on reports needs at least one report id")
        for report_id in ids:
            store.get(report_id)
    elif kind == "subject":
        if not scope.get("digests"):
            raise HoldError("a hold on a person needs an e-mail, a phone or a name")
    else:
        unknown = set(scope) - QUERY_KEYS
        if unknown or not scope:
            raise HoldError(
                f"a query hold takes {', '.join(sorted(QUERY_KEYS))}; got {', '.join(sorted(scope))}"
            )
        for key in ("intervention_from", "intervention_to"):
            if key in scope:
                try:
                    dt.date.fromisoformat(scope[key])
                except ValueError as exc:
                    raise HoldError(f"{key} must be a date YYYY-MM-DD") from exc
