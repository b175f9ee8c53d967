"""Read what policies need about reports, in batches, without loading the archive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from sqlalchemy import select

from policies.decision import ReportFacts
from storage.database import Database
from storage.event_store import event_dates
from storage.models import ReportRecord
from storage.states import ReportState

__all__ = ["BATCH_SIZE", "facts_of", "iter_report_facts"]

BATCH_SIZE = 1000


def iter_report_facts(
    database: Database, *, batch_size: int = BATCH_SIZE, ids: Sequence[str] | None = None
) -> Iterator[list[ReportFacts]]:
    """Batches of facts for every report not yet erased, by id (keyset pagination: flat memory)."""
    last = ""
    while True:
        query = (
            select(
                ReportRecord.id,
                ReportRecord.template_id,
                ReportRecord.client_kind,
                ReportRecord.tags,
                ReportRecord.site_country,
                ReportRecord.intervention_date,
                ReportRecord.archived_at,
                ReportRecord.created_at,
            )
            .where(ReportRecord.id > last, ReportRecord.state != ReportState.ERASED)
            .order_by(ReportRecord.id)
            .limit(batch_size)
        )
        if ids is not None:
            query = query.where(ReportRecord.id.in_(list(ids)))
        with database.session() as session:
            rows = session.execute(query).all()
            if not rows:
                return
            events = event_dates(session, [r.id for r in rows], dialect=database.dialect)
        yield [_facts(row, events.get(row.id, {})) for row in rows]
        last = rows[-1].id
        if len(rows) < batch_size:
            return


def _facts(row: object, events: dict[str, dt.date]) -> ReportFacts:
    template_id: str | None = row.template_id  # type: ignore[attr-defined]
    category, _, kind = (template_id or "").partition(".")
    archived: dt.datetime | None = row.archived_at  # type: ignore[attr-defined]
    return ReportFacts(
        report_id=row.id,  # type: ignore[attr-defined]
        intervention_type=kind or None,
        equipment_category=category or None,
        client_kind=row.client_kind,  # type: ignore[attr-defined]
        tags=frozenset(row.tags or []),  # type: ignore[attr-defined]
        site_country=row.site_country,  # type: ignore[attr-defined]
        intervention_date=row.intervention_date,  # type: ignore[attr-defined]
        archival_date=archived.date() if archived else None,
        received_date=row.created_at.date(),  # type: ignore[attr-defined]
        events=events,
    )


def facts_of(database: Database, report_id: str) -> ReportFacts | None:
    for batch in iter_report_facts(database, ids=[report_id]):
        return batch[0]
    return None
