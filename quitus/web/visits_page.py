"""The planning pages: the back office's week (``/planning``) and the technician's
(``/technicien/semaine``), a visit's plan, and the capture form pre-filled from it.

The weeks show ids, report numbers, kinds of intervention, slots and technicians'
identifiers — no personal data. Opening a visit (``/technicien/visites/<id>``) or its
pre-filled form reads its plan, which names the client and the site: each is recorded in
the ledger (``read``, document ``visit_plan``), as the API's ``GET /visits/{id}`` is.
Planning, moving and cancelling go through ``/api/v1/visits`` (``static/actions.js``),
with the session and its CSRF token, so the ledger names the planner.

Neither the visit page nor its form is kept for offline use (the service worker keeps
only the empty forms): they hold a client's data. Open them with a network before going
down to the boiler room; the draft typed then is kept on the tablet as any other.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse

from quitus.api.context import ApiContext, context_of
from quitus.api.routes.visits import reachable_visit
from quitus.web.pages import page_user
from quitus.web.rendering import CHANNEL_LABELS, CHECKLIST_LABELS, PAGE_ROLES, render
from reports.equipment_history import history_lines, history_of
from reports.errors import TemplateError
from reports.mail import french_long_date
from reports.visit_plan import VisitPlan, form_prefill, read_visit_plan
from storage.access_store import Principal
from storage.errors import ReportNotFoundError
from storage.visits import VisitError, VisitNotFoundError, VisitRow, VisitSlot, VisitStatus, VisitStore

__all__ = ["SLOT_LABELS", "router", "week_of"]

router = APIRouter(include_in_schema=False)

Context = Annotated[ApiContext, Depends(context_of)]
Planner = Annotated[Principal, Depends(page_user(*PAGE_ROLES["/planning"]))]
Technician = Annotated[Principal, Depends(page_user(*PAGE_ROLES["/technicien"]))]

SLOT_LABELS = {
    VisitSlot.MORNING: "matin (8 h – 12 h)",
    VisitSlot.AFTERNOON: "après-midi (13 h 30 – 17 h 30)",
    VisitSlot.DAY: "journée",
}
DAYS_SHOWN = 6
"""Monday to Saturday."""
_DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def week_of(value: str | None) -> tuple[dt.date, list[str]]:
    """The Monday of the week that ``value`` (YYYY-MM-DD, default today) falls in, and the
    problems found reading it (said on the page, never an error page)."""
    day, problems = dt.date.today(), []
    if value:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            problems.append("Date invalide : utilisez le format AAAA-MM-JJ. Voici la semaine en cours.")
    return day - dt.timedelta(days=day.weekday()), problems


def _days(monday: dt.date) -> list[tuple[dt.date, str]]:
    return [
        (day, f"{_DAY_NAMES[day.weekday()]} {day.strftime('%d/%m')}")
        for day in (monday + dt.timedelta(days=n) for n in range(DAYS_SHOWN))
    ]


def _week_values(monday: dt.date, rows: list[VisitRow], context: ApiContext) -> dict[str, object]:
    by_day: dict[dt.date, list[VisitRow]] = defaultdict(list)
    for row in rows:
        by_day[row.day].append(row)
    return {
        "monday": monday,
        "week_label": f"semaine du lundi {french_long_date(monday)}",
        "previous": (monday - dt.timedelta(days=7)).isoformat(),
        "next": (monday + dt.timedelta(days=7)).isoformat(),
        "days": _days(monday),
        "by_day": by_day,
        "slot_labels": SLOT_LABELS,
        "titles": {row.template_id: _template_title(context, row.template_id) for row in rows},
    }


# -- the back office ---------------------------------------------------------------------


@router.get("/planning")
def planning(
    request: Request, context: Context, principal: Planner, semaine: str | None = None
) -> HTMLResponse:
    monday, problems = week_of(semaine)
    visits = VisitStore(context.app.store)
    rows = visits.visits(since=monday, until=monday + dt.timedelta(days=DAYS_SHOWN - 1))
    waiting = visits.unplanned_followups()
    crews = sorted({handle for row in rows for handle in row.technicians})
    by_crew: dict[tuple[str, dt.date], list[VisitRow]] = defaultdict(list)
    for row in rows:
        for handle in row.technicians:
            by_crew[(handle, row.day)].append(row)
    return render(
        request,
        "planning.html",
        {
            **_week_values(monday, rows, context),
            "problems": problems,
            "waiting": [
                (item, _template_title(context, item.template_id), _french_date(item.intervention_date))
                for item in waiting
            ],
            "crews": crews,
            "by_crew": by_crew,
            "rows": rows,
            "first_day": monday.isoformat(),
        },
        context=context,
        principal=principal,
    )


# -- the technician ----------------------------------------------------------------------


@router.get("/technicien/semaine")
def technician_week(
    request: Request, context: Context, principal: Technician, semaine: str | None = None
) -> HTMLResponse:
    monday, problems = week_of(semaine)
    rows = VisitStore(context.app.store).visits(
        since=monday, until=monday + dt.timedelta(days=DAYS_SHOWN - 1), technician=principal.handle
    )
    return render(
        request,
        "semaine.html",
        {**_week_values(monday, rows, context), "problems": problems, "rows": rows},
        context=context,
        principal=principal,
    )


@router.get("/technicien/visites/{visit_id}")
def visit_page(request: Request, visit_id: str, context: Context, principal: Technician) -> HTMLResponse:
    found = _visit_and_plan(context, principal, visit_id)
    if found is None:
        return _not_found(request, context, principal)
    visit, plan = found
    return render(
        request,
        "visite.html",
        {
            "visit": visit,
            "plan": plan,
            "title": _template_title(context, visit.template_id),
            "day": _french_date(visit.day),
            "previous_date": _french_date(plan.previous_date),
            "slot_label": SLOT_LABELS[visit.slot],
            "checklist_labels": CHECKLIST_LABELS,
            "item_labels": _item_labels(context, visit.template_id),
            "planned": visit.status == VisitStatus.PLANNED,
            "equipment_history": _equipment_history(context, plan),
        },
        context=context,
        principal=principal,
    )


@router.get("/technicien/visites/{visit_id}/rapport")
def visit_form(request: Request, visit_id: str, context: Context, principal: Technician) -> HTMLResponse:
    """The capture form of the visit's template, pre-filled from its plan (``continues`` set)."""
    found = _visit_and_plan(context, principal, visit_id)
    if found is None:
        return _not_found(request, context, principal)
    visit, plan = found
    try:
        template = context.app.catalog.by_id(visit.template_id)
    except TemplateError:
        return _not_found(request, context, principal, "Le modèle de cette visite n'existe plus.")
    return render(
        request,
        "formulaire.html",
        {
            "template": template,
            "company_name": context.app.company().current().name,
            "checklist_labels": CHECKLIST_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "part_units": ("u", "m", "m2", "kg", "g", "L", "h"),
            "today": dt.date.today().isoformat(),
            "visit": visit,
            "plan": plan,
            "previous_date": _french_date(plan.previous_date),
            "item_labels": {item.id: item.label for item in template.checklist},
            "equipment_history": _equipment_history(context, plan),
            "prefill": {
                "fields": form_prefill(plan),
                "team": [handle for handle in visit.technicians if handle != principal.handle],
                "carried_over": [
                    {"id": item.id, "status": CHECKLIST_LABELS[item.status], "comment": item.comment or ""}
                    for item in plan.unfinished_items
                ],
            },
        },
        context=context,
        principal=principal,
    )


# -- helpers -----------------------------------------------------------------------------


def _visit_and_plan(
    context: ApiContext, principal: Principal, visit_id: str
) -> tuple[VisitRow, VisitPlan] | None:
    """The visit and its plan (the read recorded), or None when it is not the technician's."""
    try:
        visit = reachable_visit(context, principal, visit_id)
        plan = read_visit_plan(context.store_for(principal), visit.id)
    except (VisitNotFoundError, ReportNotFoundError, VisitError):
        # Unknown, not theirs, or its report restricted since: nothing of it is shown.
        return None
    context.app.ledger.checkpoint()
    return visit, plan


def _equipment_history(context: ApiContext, plan: VisitPlan) -> list[str]:
    """The unit's accepted reports, in French (technical data only: storage.equipment)."""
    titles = {template.id: template.title for template in context.app.catalog}
    return history_lines(history_of(context.app.store, plan.equipment), titles)


def _item_labels(context: ApiContext, template_id: str) -> dict[str, str]:
    try:
        return {item.id: item.label for item in context.app.catalog.by_id(template_id).checklist}
    except TemplateError:
        return {}


def _template_title(context: ApiContext, template_id: str | None) -> str:
    try:
        return context.app.catalog.by_id(template_id).title if template_id else "Intervention"
    except TemplateError:
        return template_id or "Intervention"


def _french_date(day: dt.date | None) -> str:
    return french_long_date(day) if day else "—"


def _not_found(
    request: Request,
    context: ApiContext,
    principal: Principal,
    text: str = "Aucune visite de votre planning ne porte ce numéro.",
) -> HTMLResponse:
    return render(
        request,
        "erreur.html",
        {"title": "Introuvable", "text": text},
        context=context,
        principal=principal,
        status_code=status.HTTP_404_NOT_FOUND,
    )
