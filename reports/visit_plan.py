"""From an unfinished report to its planned follow-up visit, and back to a pre-filled report.

:func:`plan_followup` reads the unfinished report, keeps what the next visit needs — the
client, the site, the equipment, the request, the checklist items left undone or found
faulty (with their comments), the parts on order, why it stopped and what it asked for —
as a :class:`VisitPlan`, and has :class:`storage.visits.VisitStore` encrypt it under the
report's own data key. :func:`read_visit_plan` decrypts it for a planner or an assigned
technician and records the read in the ledger (``read``, document ``visit_plan``), as every
read of personal data is. :func:`form_prefill` turns a plan into the values of the capture
form, with ``continues`` set to the unfinished report's number: the report sent from it
says, in its PDF, *suite de l'intervention RI-2026-000123*.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reports.schema import (
    ChecklistItem,
    Client,
    ClientRequest,
    Equipment,
    InterventionReport,
    LongText,
    PartUsed,
    ReportNumber,
    Site,
)
from storage.delivery_store import DeliveryStore, FollowupStatus
from storage.errors import ReportNotFoundError
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.report_store import Effect, ReportStore
from storage.visits import VisitError, VisitRow, VisitSlot, VisitStore

__all__ = [
    "CARRIED_OVER_STATUSES",
    "VisitPlan",
    "continuation_of",
    "form_prefill",
    "plan_followup",
    "read_visit_plan",
    "visit_plan_of",
]

CARRIED_OVER_STATUSES = frozenset({"non_fait", "anomalie"})
"""Checklist items the next visit takes up again: not done, or found faulty."""


class VisitPlan(BaseModel):
    """What a planned visit carries over from the unfinished report (encrypted: personal data)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    continues_report_id: str
    continues_number: ReportNumber
    previous_date: dt.date
    """The day of the unfinished intervention."""
    template_id: str
    client: Client
    site: Site | None = None
    equipment: Equipment
    request: ClientRequest
    unfinished_items: list[ChecklistItem] = Field(default_factory=list)
    """Checklist items left undone or found faulty (:data:`CARRIED_OVER_STATUSES`)."""
    parts_to_order: list[PartUsed] = Field(default_factory=list)
    reason: LongText | None = None
    """Why the intervention stopped."""
    notes: LongText | None = None
    """What the unfinished report said the next visit needs."""
    preferred_date: dt.date | None = None
    planner_note: LongText | None = None
    """What the back office adds (access, appointment agreed by phone…)."""


def visit_plan_of(
    report: InterventionReport,
    *,
    report_id: str,
    number: str,
    template_id: str,
    planner_note: str | None = None,
) -> VisitPlan:
    """The plan of the visit that continues ``report`` (an unfinished intervention)."""
    reschedule = report.outcome.reschedule
    return VisitPlan(
        continues_report_id=report_id,
        continues_number=number,
        previous_date=report.intervention_date,
        template_id=template_id,
        client=report.client,
        site=report.site,
        equipment=report.equipment,
        request=report.request,
        unfinished_items=[item for item in report.checklist if item.status in CARRIED_OVER_STATUSES],
        parts_to_order=list(reschedule.parts_to_order) if reschedule else [],
        reason=report.outcome.reason,
        notes=reschedule.notes if reschedule else None,
        preferred_date=reschedule.preferred_date if reschedule else None,
        planner_note=(planner_note or "").strip() or None,
    )


def plan_followup(
    store: ReportStore,
    reference: str,
    *,
    day: dt.date,
    slot: VisitSlot,
    technicians: Sequence[str],
    planner_note: str | None = None,
) -> VisitRow:
    """Plan the visit that continues the unfinished report ``reference`` (number or id).

    Its follow-up request, when the delivery run has opened one, becomes ``scheduled``.

    Raises:
        ReportNotFoundError: no such report.
        VisitError: the report is not an accepted, unfinished intervention, or already has a
            visit planned; a technician is not an identifier.
    """
    report_id = store.resolve(reference)
    summary = store.get(report_id)
    shown = summary.shown_number
    _refuse_restricted(summary.restriction_reason, shown)
    if summary.outcome != "unfinished":
        raise VisitError(
            f"report {shown} is not an unfinished intervention: only those are followed up by a visit"
        )
    if summary.number is None or summary.content_blob_id is None or summary.template_id is None:
        raise VisitError(f"report {shown} is {summary.state.value}: a visit continues an accepted report")
    report = InterventionReport.model_validate_json(store.read_blob(report_id, summary.content_blob_id))
    plan = visit_plan_of(
        report,
        report_id=report_id,
        number=summary.number,
        template_id=summary.template_id,
        planner_note=planner_note,
    )
    visit = VisitStore(store).plan(
        report_id,
        template_id=summary.template_id,
        day=day,
        slot=slot,
        technicians=technicians,
        plan=plan.model_dump_json().encode(),
    )
    # No follow-up request yet (the delivery run opens them): nothing to mark.
    with contextlib.suppress(ReportNotFoundError):
        DeliveryStore(store).set_followup_status(
            report_id, FollowupStatus.SCHEDULED, now=dt.datetime.now(dt.UTC)
        )
    return visit


def read_visit_plan(store: ReportStore, visit_id: str) -> VisitPlan:
    """Decrypt a visit's plan for ``store.actor`` and record the read in the ledger."""
    visits = VisitStore(store)
    visit = visits.get(visit_id)
    continued = store.get(visit.continues_report_id)
    _refuse_restricted(continued.restriction_reason, continued.shown_number)
    plan = VisitPlan.model_validate_json(visits.read_plan(visit_id))
    store.ledger.record(
        LedgerEvent(
            step=LedgerStep.READ,
            actor=store.actor,
            outcome="revealed",
            report_id=visit.continues_report_id,
            details={"document": "visit_plan", "visit": visit.id},
        )
    )
    return plan


def continuation_of(store: ReportStore, report: InterventionReport, report_id: str) -> Effect | None:
    """What accepting ``report`` does to the planned visit it continues, in the acceptance's
    transaction (:meth:`storage.report_store.ReportStore.transition`'s ``effects``): that
    visit is done. None when ``continues`` names no report we have.

    Called by :meth:`reports.intake.Intake.validate`. A crash between the acceptance and the
    visit's closing cannot leave the visit planned for good: both are one transaction.
    """
    if report.continues is None:
        return None
    try:
        continued = store.resolve(report.continues)
    except ReportNotFoundError:
        return None
    template_id = f"{report.equipment.category}.{report.intervention_type}"
    return VisitStore(store).continuation(continued, report_id, template_id=template_id)


def _refuse_restricted(reason: str | None, shown: str) -> None:
    # A restricted report (Art. 18: kept for a legal obligation or a hold, not processed any
    # more) is not read to plan a visit, nor its plan read afterwards.
    if reason is not None:
        raise VisitError(
            f"report {shown} is restricted ({reason}): its data is no longer processed, so no visit "
            "continues it; the compliance office lifts the restriction if it must"
        )


def form_prefill(plan: VisitPlan) -> dict[str, str]:
    """The capture form's values (``data-field`` path → value) for the report that continues it."""
    client, equipment, request = plan.client, plan.equipment, plan.request
    values: dict[str, str | int | None] = {
        "continues": plan.continues_number,
        "client.kind": client.kind,
        "client.name": client.name,
        "client.company_name": client.company_name,
        "client.address.street": client.address.street,
        "client.address.postal_code": client.address.postal_code,
        "client.address.city": client.address.city,
        "client.phone": client.phone,
        "client.email": str(client.email) if client.email else None,
        "request.date": request.date.isoformat(),
        "request.channel": request.channel,
        "request.description": request.description,
        "equipment.brand": equipment.brand,
        "equipment.model": equipment.model,
        "equipment.serial_number": equipment.serial_number,
        "equipment.installed_year": equipment.installed_year,
    }
    return {path: str(value) for path, value in values.items() if value is not None}
