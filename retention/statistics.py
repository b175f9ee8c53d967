"""The statistical record an anonymized report leaves behind, k-anonymous.

Kept: template, equipment (category, brand, model), checklist statuses, measurements,
parts, duration, outcome — the technical content. Generalized quasi-identifiers:
the location becomes the département (first two characters of the postcode), the date
becomes the month. Before a record is written, its group (template, client kind, area,
period) must hold at least *k* records (default 5) counting the records already kept;
otherwise the record is generalized further (month → year, then the area suppressed,
then the period suppressed). Free text, names, contacts, photos and signatures are
not carried over: they are destroyed with the report's key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.schema import InterventionReport
from storage.models import StatisticalRecord, utcnow

__all__ = ["DEFAULT_K", "StatisticalDraft", "draft_record", "write_k_anonymous"]

DEFAULT_K = 5


@dataclass(frozen=True)
class StatisticalDraft:
    report_id: str
    template_id: str | None
    client_kind: str | None
    area: str | None
    month: str | None
    data: dict[str, Any]


def draft_record(report_id: str, template_id: str | None, report: InterventionReport) -> StatisticalDraft:
    address = report.site.address if report.site is not None and report.site.address is not None else None
    postcode = (address or report.client.address).postal_code.replace(" ", "")
    minutes = int((report.departure - report.arrival).total_seconds() // 60)
    return StatisticalDraft(
        report_id=report_id,
        template_id=template_id,
        client_kind=report.client.kind,
        area=postcode[:2] if postcode[:2].isdigit() else None,
        month=report.intervention_date.strftime("%Y-%m"),
        data={
            "equipment": {
                "category": report.equipment.category,
                "brand": report.equipment.brand,
                "model": report.equipment.model,
                "installed_year": report.equipment.installed_year,
            },
            "checklist": {item.id: item.status for item in report.checklist},
            "measurements": {m.id: {"value": str(m.value), "unit": m.unit} for m in report.measurements},
            "selections": dict(report.selections),
            "parts": [
                {"reference": p.reference, "label": p.label, "quantity": str(p.quantity), "unit": p.unit}
                for p in report.parts
            ],
            "duration_minutes": minutes,
            "outcome": report.outcome.status,
            "photos": len(report.photos),
            "tags": list(report.tags),
        },
    )


def _levels(draft: StatisticalDraft) -> list[tuple[str | None, str | None]]:
    year = draft.month[:4] if draft.month else None
    return [(draft.area, draft.month), (draft.area, year), (None, year), (None, None)]


def write_k_anonymous(
    session: Session, drafts: Sequence[StatisticalDraft], *, k: int = DEFAULT_K
) -> list[str]:
    """Insert the drafts (skipping reports that already have a record), each generalized
    until its group reaches ``k``; returns the ids written."""
    existing = set(
        session.scalars(
            select(StatisticalRecord.report_id).where(
                StatisticalRecord.report_id.in_([d.report_id for d in drafts])
            )
        )
    )
    fresh = [d for d in drafts if d.report_id not in existing]
    batch_counts: Counter[tuple[Any, ...]] = Counter()
    for draft in fresh:
        for area, period in _levels(draft):
            batch_counts[(draft.template_id, draft.client_kind, area, period)] += 1
    written = []
    for draft in fresh:
        area, period = _levels(draft)[-1]
        for candidate_area, candidate_period in _levels(draft):
            key = (draft.template_id, draft.client_kind, candidate_area, candidate_period)
            if _stored_count(session, *key) + batch_counts[key] >= k:
                area, period = candidate_area, candidate_period
                break
        session.add(
            StatisticalRecord(
                report_id=draft.report_id,
                template_id=draft.template_id,
                client_kind=draft.client_kind,
                area=area,
                period=period,
                data=draft.data,
                created_at=utcnow(),
            )
        )
        written.append(draft.report_id)
    return written


def _stored_count(
    session: Session, template_id: str | None, client_kind: str | None, area: str | None, period: str | None
) -> int:
    """Records already kept that fall in this (possibly generalized) group."""
    query = (
        select(func.count())
        .select_from(StatisticalRecord)
        .where(StatisticalRecord.template_id == template_id, StatisticalRecord.client_kind == client_kind)
    )
    if area is not None:
        query = query.where(StatisticalRecord.area == area)
    if period is not None:
        query = query.where(StatisticalRecord.period.startswith(period))
    return int(session.scalar(query) or 0)
