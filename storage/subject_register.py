"""The register of data-subject requests: every access or erasure request, found or not.

A request is a ``subject.request`` ledger entry (:mod:`retention.subjects` writes it when
the request is received). It names what kinds of term were looked up and which reports
were found — never the values: the register outlives the data, like the rest of the
ledger. Details of an entry::

    request     req-<hex>                          the request's id (``subject.export`` entries repeat it)
    kind        access | erasure
    found       number of reports found
    terms       ["email", "phone", …]              the kinds of blind-index digest used
    reports     [report ids]                       the reports found
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger
from storage.models import LedgerEntryRecord

__all__ = ["RegisteredRequest", "registered_requests"]


@dataclass(frozen=True)
class RegisteredRequest:
    """One entry of the register, as the signed ledger entry says."""

    seq: int
    """The ledger entry's sequence number (``audit verify`` checks it)."""
    received_at: dt.datetime
    request_id: str
    kind: str
    """``access`` or ``erasure``."""
    found: int
    term_kinds: tuple[str, ...]
    """``email``, ``phone``, ``name``: what the person was looked up by."""
    report_ids: tuple[str, ...]
    actor: str
    """Who received it: the officer's handle (``quitus --as``), an API user."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "received_at": self.received_at.isoformat(),
            "request": self.request_id,
            "kind": self.kind,
            "found": self.found,
            "terms": list(self.term_kinds),
            "reports": list(self.report_ids),
            "actor": self.actor,
        }


def registered_requests(ledger: Ledger) -> list[RegisteredRequest]:
    """Every request received, oldest first.

    Rows are selected by the ``step`` column, which the leaf hash does not cover; each
    entry is decoded and its own step checked, so a row relabelled in the table is not read
    as a request (``audit verify`` reports the mismatch).
    """
    with ledger.database.session() as session:
        rows = session.execute(
            select(LedgerEntryRecord.seq, LedgerEntryRecord.entry)
            .where(LedgerEntryRecord.step == LedgerStep.SUBJECT_REQUEST.value)
            .order_by(LedgerEntryRecord.seq)
        ).all()
    found = []
    for seq, entry in rows:
        body = decode_entry(entry)
        if body.get("step") != LedgerStep.SUBJECT_REQUEST:
            continue
        details = body.get("details", {})
        found.append(
            RegisteredRequest(
                seq=seq,
                received_at=dt.datetime.fromisoformat(body["time"].replace("Z", "+00:00")),
                request_id=str(details.get("request", "")),
                kind=str(details.get("kind", "")),
                found=int(details.get("found", 0)),
                term_kinds=tuple(details.get("terms", [])),
                report_ids=tuple(details.get("reports", [])),
                actor=str(body.get("actor", "")),
            )
        )
    return found
