"""Planned follow-up visits: the back office plans them, technicians read theirs.

The planner (role ``planner``) plans a visit from an unfinished report, moves and cancels
it; a technician lists the visits they are assigned and reads the plan of each (client,
site, what is carried over), which pre-fills the report that continues it. A visit the
caller may not see answers 404, as an unknown one does. Lists carry no personal data;
reading a plan does, and is recorded in the ledger (``read``, document ``visit_plan``),
naming the reader. Every change is a ``visit.*`` ledger entry naming the planner.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from quitus.api.context import ApiContext, context_of
from quitus.api.errors import ApiError, error_responses
from quitus.api.params import API_V1, CODE_PATTERN, StrictBody
from quitus.api.roles import ASSIGNED_VISITS_ONLY, allow
from quitus.cli_json import VisitEntry
from reports.visit_plan import plan_followup, read_visit_plan
from storage.access_store import Principal
from storage.errors import ReportNotFoundError
from storage.visits import (
    VISIT_ID_PATTERN,
    VisitError,
    VisitNotFoundError,
    VisitRow,
    VisitSlot,
    VisitStatus,
    VisitStore,
)

__all__ = ["router"]

router = APIRouter(prefix=API_V1, tags=["visits"])

Context = Annotated[ApiContext, Depends(context_of)]
VisitIdPath = Annotated[str, Path(pattern=VISIT_ID_PATTERN, description="Visit id (PV-…).")]
Slot = Literal["matin", "apres_midi", "journee"]
Handle = Annotated[str, Field(pattern=CODE_PATTERN, description="A technician's identifier (tech-042).")]

_VISIT_ERRORS = error_responses({404: ("visit_not_found",), 409: ("visit_refused", "invalid_state")})
_PLAN_ERRORS = error_responses({404: ("report_not_found",), 409: ("visit_refused",)})


class PlanVisitIn(StrictBody):
    report: Annotated[str, Field(min_length=3, max_length=40)]
    """The unfinished report: its number (RI-2026-000123) or id."""
    day: dt.date
    slot: Slot = "journee"
    technicians: Annotated[list[Handle], Field(min_length=1, max_length=4)]
    note: Annotated[str, Field(max_length=2000)] | None = None
    """For the technician (access, appointment agreed…): kept encrypted with the plan."""


class MoveVisitIn(StrictBody):
    day: dt.date | None = None
    slot: Slot | None = None
    technicians: Annotated[list[Handle], Field(min_length=1, max_length=4)] | None = None


class CancelVisitIn(StrictBody):
    reason: Annotated[str, Field(pattern=CODE_PATTERN)]
    """A code: client_request, replanned, no_longer_needed… (never free text)."""


class VisitListOut(BaseModel):
    visits: list[VisitEntry]


class VisitChangeOut(BaseModel):
    visit: VisitEntry
    changed: bool


class VisitDetailOut(BaseModel):
    visit: VisitEntry
    plan: dict[str, Any]
    """What the visit carries over (personal data): client, site, equipment, request,
    unfinished checklist items, parts on order, reason, notes, the planner's note."""
    prefill_url: str
    """The technician's capture form, pre-filled from the plan."""


@router.post("/visits", name="plan_visit", status_code=201, responses=_PLAN_ERRORS)
def plan_visit(
    body: PlanVisitIn, principal: Annotated[Principal, Depends(allow("plan_visit"))], context: Context
) -> VisitChangeOut:
    """Plan the visit that continues an unfinished report (its unfinished items and parts on
    order carried over); the report's follow-up request becomes ``scheduled``."""
    store = context.store_for(principal)
    try:
        visit = plan_followup(
            store,
            body.report,
            day=body.day,
            slot=VisitSlot(body.slot),
            technicians=body.technicians,
            planner_note=body.note,
        )
    except VisitError as exc:
        raise ApiError(409, "visit_refused", str(exc), where="body.report") from exc
    context.app.ledger.checkpoint()
    return VisitChangeOut(visit=VisitEntry.of(visit), changed=True)


@router.get("/visits", name="list_visits")
def list_visits(
    principal: Annotated[Principal, Depends(allow("list_visits"))],
    context: Context,
    since: Annotated[dt.date | None, Query(alias="from", description="From this day (default: all).")] = None,
    until: Annotated[dt.date | None, Query(alias="to", description="Up to this day.")] = None,
    technician: Annotated[
        str | None, Query(pattern=CODE_PATTERN, description="Only this technician's.")
    ] = None,
    status: Literal["planned", "done", "cancelled", "all"] = "planned",
) -> VisitListOut:
    """Visits by day and slot; a technician sees only those they are assigned. No personal data."""
    if principal.role in ASSIGNED_VISITS_ONLY["list_visits"]:
        technician = principal.handle
    rows = VisitStore(context.app.store).visits(
        since=since,
        until=until,
        technician=technician,
        status=None if status == "all" else VisitStatus(status),
    )
    return VisitListOut(visits=[VisitEntry.of(row) for row in rows])


@router.get("/visits/{visit_id}", name="show_visit", responses=_VISIT_ERRORS)
def show_visit(
    visit_id: VisitIdPath, principal: Annotated[Principal, Depends(allow("show_visit"))], context: Context
) -> VisitDetailOut:
    """A visit and its plan (personal data: the read is recorded in the ledger, naming the reader)."""
    visit = _reachable(context, principal, visit_id)
    try:
        plan = read_visit_plan(context.store_for(principal), visit.id)
    except VisitError as exc:
        raise ApiError(409, "visit_refused", str(exc)) from exc
    context.app.ledger.checkpoint()
    return VisitDetailOut(
        visit=VisitEntry.of(visit),
        plan=json.loads(plan.model_dump_json()),
        prefill_url=f"/technicien/visites/{visit.id}/rapport",
    )


@router.post("/visits/{visit_id}/move", name="move_visit", responses=_VISIT_ERRORS)
def move_visit(
    visit_id: VisitIdPath,
    body: MoveVisitIn,
    principal: Annotated[Principal, Depends(allow("move_visit"))],
    context: Context,
) -> VisitChangeOut:
    """Move a planned visit to another day, slot or team; the same values again change nothing."""
    if body.day is None and body.slot is None and body.technicians is None:
        raise ApiError(422, "invalid_request", "say what moves: day, slot or technicians", where="body")
    visits = VisitStore(context.store_for(principal))
    try:
        row, changed = visits.move(
            visit_id,
            day=body.day,
            slot=VisitSlot(body.slot) if body.slot else None,
            technicians=body.technicians,
        )
    except VisitNotFoundError as exc:
        raise _not_found() from exc
    except VisitError as exc:
        raise ApiError(409, "visit_refused", str(exc)) from exc
    context.app.ledger.checkpoint()
    return VisitChangeOut(visit=VisitEntry.of(row), changed=changed)


@router.post("/visits/{visit_id}/cancel", name="cancel_visit", responses=_VISIT_ERRORS)
def cancel_visit(
    visit_id: VisitIdPath,
    body: CancelVisitIn,
    principal: Annotated[Principal, Depends(allow("cancel_visit"))],
    context: Context,
) -> VisitChangeOut:
    """Cancel a planned visit with a reason code; cancelling it again changes nothing."""
    try:
        row, changed = VisitStore(context.store_for(principal)).cancel(visit_id, reason=body.reason)
    except VisitNotFoundError as exc:
        raise _not_found() from exc
    except VisitError as exc:
        raise ApiError(409, "visit_refused", str(exc), where="body.reason") from exc
    context.app.ledger.checkpoint()
    return VisitChangeOut(visit=VisitEntry.of(row), changed=changed)


def reachable_visit(context: ApiContext, principal: Principal, visit_id: str) -> VisitRow:
    """The visit when ``principal`` may see it (a technician: one they are assigned), else
    :class:`VisitNotFoundError`, the same as an unknown id."""
    try:
        visit = VisitStore(context.app.store).get(visit_id)
    except ReportNotFoundError as exc:
        raise VisitNotFoundError(f"no visit {visit_id}") from exc
    if principal.role in ASSIGNED_VISITS_ONLY["show_visit"] and principal.handle not in visit.technicians:
        raise VisitNotFoundError(f"no visit {visit_id} among those {principal.handle} is assigned")
    return visit


def _reachable(context: ApiContext, principal: Principal, visit_id: str) -> VisitRow:
    try:
        return reachable_visit(context, principal, visit_id)
    except VisitNotFoundError as exc:
        raise _not_found() from exc


def _not_found() -> ApiError:
    return ApiError(404, "visit_not_found", "no visit with this id", hint="GET /api/v1/visits lists them")
