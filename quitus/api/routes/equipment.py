"""The equipment register's history of a unit, for the capture form and programs.

``GET /api/v1/equipment/history?category=&brand=&model=&serial=`` answers the unit's
accepted reports — day, kind, outcome, number — and the lines the PDF prints. Technical
data only (``storage.equipment``): a serial number is not personal data, and nothing about
the client is in the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from quitus.api.context import ApiContext, context_of
from quitus.api.params import API_V1
from quitus.api.roles import allow
from reports.equipment_history import history_lines
from storage.access_store import Principal
from storage.equipment import EquipmentKey, EquipmentStore

__all__ = ["router"]

router = APIRouter(prefix=API_V1, tags=["equipment"])

Context = Annotated[ApiContext, Depends(context_of)]
Part = Annotated[str, Query(min_length=1, max_length=200)]


class InterventionOut(BaseModel):
    day: dt.date
    template_id: str
    outcome: str
    number: str | None


class EquipmentHistoryOut(BaseModel):
    interventions: list[InterventionOut]
    """Most recent first; empty for a unit the register does not know."""
    lines: list[str]
    """The three most recent, in French, as the PDF prints them."""


@router.get("/equipment/history", name="equipment_history")
def equipment_history(
    principal: Annotated[Principal, Depends(allow("equipment_history"))],
    context: Context,
    category: Annotated[str, Query(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)],
    brand: Part,
    model: Part,
    serial: Part,
) -> EquipmentHistoryOut:
    """A unit's accepted reports (technical data only)."""
    found = EquipmentStore(context.app.store).history(EquipmentKey(category, brand, model, serial))
    titles = {template.id: template.title for template in context.app.catalog}
    return EquipmentHistoryOut(
        interventions=[
            InterventionOut(day=i.day, template_id=i.template_id, outcome=i.outcome, number=i.number)
            for i in found
        ],
        lines=history_lines(found, titles),
    )
