"""Intervention templates: what a report of each equipment × intervention type must contain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from quitus.api.context import ApiContext, context_of
from quitus.api.errors import error_responses
from quitus.api.params import API_V1, TemplateIdPath
from quitus.api.roles import allow
from storage.access_store import Principal

__all__ = ["router"]

router = APIRouter(prefix=API_V1, tags=["templates"])

Context = Annotated[ApiContext, Depends(context_of)]


class TemplateSummary(BaseModel):
    id: str
    title: str
    equipment_category: str
    intervention_type: str
    checklist: int
    measurements: int
    selections: int
    photos: list[str]
    """Required photos as ``kind×count``."""


@router.get("/templates", name="list_templates")
def list_templates(
    principal: Annotated[Principal, Depends(allow("list_templates"))], context: Context
) -> list[TemplateSummary]:
    """Every template: built-in ones and those in ``$QUITUS_HOME/templates``."""
    return [
        TemplateSummary(
            id=t.id,
            title=t.title,
            equipment_category=t.equipment_category,
            intervention_type=t.intervention_type,
            checklist=len(t.checklist),
            measurements=len(t.measurements),
            selections=len(t.selections),
            photos=[f"{p.kind}×{p.min_count}" for p in t.photos],
        )
        for t in context.app.catalog
    ]


@router.get(
    "/templates/{template_id}",
    name="show_template",
    responses=error_responses({404: ("template_not_found",)}),
)
def show_template(
    template_id: TemplateIdPath,
    principal: Annotated[Principal, Depends(allow("show_template"))],
    context: Context,
) -> dict[str, Any]:
    """A template in full: checklist, measurements (unit, range), dropdowns, photos."""
    return context.app.catalog.by_id(template_id).model_dump(mode="json")
