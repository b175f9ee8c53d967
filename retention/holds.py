"""Legal holds: while a hold is in force, no report in its scope is disposed.

A hold's scope is a list of report ids, a person (by e-mail, phone or name, through the
blind index — the hold keeps digests, not the values), or a query over report facts
(template, client kind, intervention dates). Its reason is free text (a case, the people
involved): kept encrypted as a note, the ledger names it by id and hash.

**Holds come from the signed ledger.** Each ``hold.place`` entry carries the hold's
whole scope, so :meth:`HoldService.active` — what the planner and the disposal gate
read — rebuilds the holds in force from the ledger. A hold is in force when the ledger
or the ``legal_holds`` table says so: deleting or editing a row never lifts one (and
``quitus audit verify`` reports the difference, :mod:`storage.retention_integrity`).

Placing is refused, with what to do:

* a template id that is not in the catalog (always; the close match is suggested);
* reports that do not exist; a query whose dates cannot match;
* a scope that matches no report now — a typo in an e-mail, a query too narrow —
  unless ``allow_empty`` says the hold is meant for reports still to come.
"""

from __future__ import annotations

import datetime as dt
import difflib
import secrets
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from policies.decision import ReportFacts
from retention.errors import HoldError
from retention.facts import iter_report_facts
from storage.blind_index import SubjectKind, subject_digests
from storage.hold_store import HoldStore, LedgerHold, StoredHold
from storage.report_store import ReportStore
from storage.retention_vocabulary import HoldScope

__all__ = ["ActiveHolds", "Hold", "HoldService"]

QUERY_KEYS = frozenset({"template_id", "client_kind", "intervention_from", "intervention_to"})


@dataclass(frozen=True)
class Hold:
    """A legal hold, as the ledger (and the table, where the ledger says less) records it."""

    id: str
    scope_kind: HoldScope
    scope: dict[str, Any]
    """``report_ids``, ``digests`` (``[kind, digest]`` pairs) or the query's fields."""
    placed_by: str
    placed_at: dt.datetime
    released_at: dt.datetime | None
    reason_ref: str
    """The note holding the reason (``note-…``), or an old hold's reference code."""
    reason: str | None = None
    """The reason's text, read for :meth:`HoldService.list`; ``None`` in the holds the gate
    reads, and once the note is erased."""

    def describe(self) -> str:
        """What the hold covers, in words (a person's hold names no one)."""
        if self.scope_kind == HoldScope.REPORTS:
            return f"{len(self.scope['report_ids'])} report(s)"
        if self.scope_kind == HoldScope.SUBJECT:
            return f"every report of one person ({', '.join(sorted({k for k, _ in self.scope['digests']}))})"
        return "reports where " + ", ".join(f"{k}={v}" for k, v in sorted(self.scope.items()))


class ActiveHolds:
    """The holds in force, able to say which reports of a batch they cover."""

    def __init__(self, store: ReportStore, holds: Sequence[Hold]) -> None:
        self._holds = HoldStore(store)
        self.holds = list(holds)

    def held(self, batch: Sequence[ReportFacts]) -> dict[str, list[str]]:
        """report id → ids of the holds covering it, for the reports of ``batch`` that are held."""
        ids = {f.report_id for f in batch}
        covered: dict[str, list[str]] = {}
        for hold in self.holds:
            for report_id in sorted(self._covered(hold, batch, ids)):
                covered.setdefault(report_id, []).append(hold.id)
        return covered

    def _covered(self, hold: Hold, batch: Sequence[ReportFacts], ids: set[str]) -> set[str]:
        if hold.scope_kind == HoldScope.REPORTS:
            return ids & set(hold.scope["report_ids"])
        if hold.scope_kind == HoldScope.SUBJECT:
            return self._holds.subject_reports_among(sorted(ids), (d for _, d in hold.scope["digests"]))
        return {f.report_id for f in batch if query_matches(hold.scope, f)}


def query_matches(query: dict[str, Any], facts: ReportFacts) -> bool:
    """Whether a query hold covers a report (its intervention date, or the day it was received)."""
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
    """Place, release and list legal holds; the holds in force for the planner and the gate."""

    def __init__(self, store: ReportStore) -> None:
        self.store = store
        self._holds = HoldStore(store)

    def place(
        self,
        *,
        reason: str,
        scope_kind: HoldScope | str,
        scope: dict[str, Any],
        allow_empty: bool = False,
        known_templates: Collection[str] | None = None,
    ) -> Hold:
        """Place a hold; :class:`HoldError` says why it may not (see the module doc).

        ``reason``: free text, 1 to 2000 characters, kept encrypted. ``known_templates``:
        the template catalog's ids, against which a query's ``template_id`` is checked.
        """
        try:
            kind = HoldScope(scope_kind)
        except ValueError:
            raise HoldError(f"a hold covers {', '.join(HoldScope)}; not {scope_kind}") from None
        scope = self._checked_scope(kind, scope, known_templates)
        if not allow_empty and not self._matches_a_report(kind, scope):
            raise HoldError(_NOTHING_MATCHES[kind] + _ALLOW_EMPTY)
        with self.store.database.session() as session:
            try:
                note = self.store.notes.add(session, reason)
            except ValueError as exc:
                raise HoldError(f"reason: {exc}") from exc
            stored = self._holds.place(
                session, hold_id="hold-" + secrets.token_hex(6), scope_kind=kind, scope=scope, reason=note
            )
        return _with_reason(_hold(stored, None), reason.strip())

    def place_on_subject(
        self, *, reason: str, terms: Sequence[tuple[SubjectKind, str]], allow_empty: bool = False
    ) -> Hold:
        """A hold on every report of one person, found by e-mail, phone or name.

        The hold keeps the blind-index digests of the terms, never the terms themselves.
        """
        digests = subject_digests(self.store.keys.index_key, terms)
        return self.place(
            reason=reason,
            scope_kind=HoldScope.SUBJECT,
            scope={"digests": [list(d) for d in sorted(digests)]},
            allow_empty=allow_empty,
        )

    def release(self, hold_id: str) -> Hold:
        """Release a hold the ledger and the table both say is in force."""
        with self.store.database.session() as session:
            row = self._holds.get(session, hold_id, for_update=True)
            # Read after the row is locked: a release committed meanwhile is seen.
            in_ledger = self._holds.from_ledger().get(hold_id)
            if in_ledger is None:
                if row is None:
                    raise HoldError(f"no legal hold {hold_id}; `quitus holds list` shows them")
                raise HoldError(_tampered(hold_id, "is in legal_holds but the ledger never placed it"))
            if not in_ledger.in_force:
                if row is not None and row.released_at is None:
                    raise HoldError(
                        _tampered(hold_id, "was released in the ledger but its row says in force")
                    )
                raise HoldError(
                    f"legal hold {hold_id} was already released on {in_ledger.released_at:%Y-%m-%d}"
                )
            if row is None or row.released_at is not None:
                raise HoldError(
                    _tampered(hold_id, "is in force in the ledger but its row was deleted or edited")
                )
            released = self._holds.release(session, hold_id)
            assert released is not None  # the row is locked
        hold = _hold(released, None)  # the row and the entry agreed; now both say released
        return _with_reason(hold, self._holds.reasons([hold.reason_ref])[hold.reason_ref])

    def list(self, *, include_released: bool = False) -> list[Hold]:
        """The holds in force (or all of them), with their reasons decrypted."""
        holds = [
            h for h in _holds_in_ledger_and_table(self._holds) if include_released or h.released_at is None
        ]
        reasons = self._holds.reasons({h.reason_ref for h in holds})
        return [_with_reason(h, reasons.get(h.reason_ref)) for h in holds]

    def active(self) -> ActiveHolds:
        """The holds in force, rebuilt from the signed ledger (and from the table's rows the
        ledger does not account for: a hold is never lifted by editing the table)."""
        return ActiveHolds(
            self.store, [h for h in _holds_in_ledger_and_table(self._holds) if h.released_at is None]
        )

    def _checked_scope(
        self, kind: HoldScope, scope: dict[str, Any], known_templates: Collection[str] | None
    ) -> dict[str, Any]:
        """The scope, checked and in the one form the table and the ledger store."""
        if kind == HoldScope.REPORTS:
            ids = scope.get("report_ids")
            if not isinstance(ids, list) or not ids:
                raise HoldError("a hold on reports needs at least one report id")
            ids = list(dict.fromkeys(str(i) for i in ids))
            unknown = self._holds.unknown_reports(ids)
            if unknown:
                raise HoldError(
                    f"no report {', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}; "
                    "`quitus reports list` shows the ids"
                )
            return {"report_ids": ids}
        if kind == HoldScope.SUBJECT:
            digests = scope.get("digests")
            if not digests:
                raise HoldError("a hold on a person needs an e-mail, a phone or a name")
            return {"digests": sorted([str(k), str(d)] for k, d in digests)}
        unknown_keys = set(scope) - QUERY_KEYS
        if unknown_keys or not scope:
            raise HoldError(
                f"a query hold takes {', '.join(sorted(QUERY_KEYS))}; got {', '.join(sorted(scope))}"
            )
        query = {k: str(v) for k, v in scope.items() if v is not None}
        for key in ("intervention_from", "intervention_to"):
            if key in query:
                try:
                    dt.date.fromisoformat(query[key])
                except ValueError as exc:
                    raise HoldError(f"{key} must be a date YYYY-MM-DD") from exc
        if query.get("intervention_from", "") > query.get("intervention_to", "9999"):
            raise HoldError(
                f"intervention_from {query['intervention_from']} is after intervention_to "
                f"{query['intervention_to']}: the hold could never cover a report"
            )
        template = query.get("template_id")
        if template is not None and known_templates is not None and template not in known_templates:
            close = difflib.get_close_matches(template, list(known_templates), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise HoldError(
                f"no template {template}: {hint}known templates: {', '.join(sorted(known_templates))}"
            )
        return query

    def _matches_a_report(self, kind: HoldScope, scope: dict[str, Any]) -> bool:
        """Whether the hold covers at least one report not yet erased."""
        if kind == HoldScope.REPORTS:
            return any(True for _ in _facts(self.store, scope["report_ids"]))
        if kind == HoldScope.SUBJECT:
            return bool(self.store.find_by_subject(tuple(d) for d in scope["digests"]))
        return any(query_matches(scope, facts) for facts in _facts(self.store, None))


_NOTHING_MATCHES = {
    HoldScope.REPORTS: "every report named was already erased: there is nothing left to hold",
    HoldScope.SUBJECT: "no report matches this person: check the spelling of the e-mail, phone or name",
    HoldScope.QUERY: "no report matches this query: check the template and the dates",
}
_ALLOW_EMPTY = "; to place it all the same, for reports still to come: allow_empty (`--allow-empty`)"


def _tampered(hold_id: str, what: str) -> str:
    # Releasing now would bless an edit of the table: the hold stays in force until it is repaired.
    return (
        f"legal hold {hold_id} {what}: the table was edited by hand, the hold stays in force; "
        "`quitus audit verify` reports it, restore legal_holds from a backup"
    )


def _facts(store: ReportStore, ids: Sequence[str] | None) -> Iterator[ReportFacts]:
    for batch in iter_report_facts(store.database, ids=ids):
        yield from batch


def _holds_in_ledger_and_table(store: HoldStore) -> list[Hold]:
    ledger = store.from_ledger()
    rows = {row.id: row for row in store.rows(include_released=True)}
    holds = [
        hold
        for hold_id in ledger.keys() | rows.keys()
        if (hold := _merge(ledger.get(hold_id), rows.get(hold_id))) is not None
    ]
    return sorted(holds, key=lambda h: (h.placed_at, h.id))


def _merge(entry: LedgerHold | None, row: StoredHold | None) -> Hold | None:
    """One hold from what the ledger and the table say: in force if either says so; the
    ledger's scope and reason where it records them."""
    if entry is not None and entry.scope is not None:
        kind, scope = entry.scope_kind, dict(entry.scope)
    elif row is not None:
        kind, scope = row.scope_kind, dict(row.scope)
    else:
        return None  # an old entry without its scope, whose row is gone: nothing to match on
    in_force = (entry is not None and entry.in_force) or (row is not None and row.released_at is None)
    released = None
    if not in_force:
        released = (row.released_at if row is not None else None) or (entry.released_at if entry else None)
    if entry is not None:
        return Hold(
            entry.id,
            kind,
            scope,
            entry.placed_by,
            row.placed_at if row is not None else entry.placed_at,
            released,
            entry.reason_ref or (row.reason_ref if row is not None else ""),
        )
    assert row is not None
    return Hold(row.id, kind, scope, row.placed_by, row.placed_at, released, row.reason_ref)


def _hold(row: StoredHold, entry: LedgerHold | None) -> Hold:
    merged = _merge(entry, row)
    assert merged is not None
    return merged


def _with_reason(hold: Hold, reason: str | None) -> Hold:
    return Hold(
        hold.id,
        hold.scope_kind,
        hold.scope,
        hold.placed_by,
        hold.placed_at,
        hold.released_at,
        hold.reason_ref,
        reason,
    )
