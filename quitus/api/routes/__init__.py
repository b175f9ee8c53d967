"""The API's routers, one module per area; ``create_app`` includes :data:`ROUTERS`.

Each router carries the ``/api/v1`` prefix itself (``APIRouter(prefix=API_V1)``) rather
than receiving it from ``include_router``: a route's ``path`` is then the full template
the access log writes.
"""

from __future__ import annotations

from fastapi import APIRouter

from quitus.api.params import API_V1
from quitus.api.routes.audit import router as audit
from quitus.api.routes.equipment import router as equipment
from quitus.api.routes.policies import router as policies
from quitus.api.routes.portal import router as portal
from quitus.api.routes.reports import router as reports
from quitus.api.routes.retention import router as retention
from quitus.api.routes.service import router as service
from quitus.api.routes.subjects import router as subjects
from quitus.api.routes.templates import router as templates
from quitus.api.routes.visits import router as visits

__all__ = ["API_V1", "ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    service,
    reports,
    portal,
    templates,
    policies,
    retention,
    audit,
    subjects,
    visits,
    equipment,
)
