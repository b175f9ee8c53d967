"""``GET /metrics``: the installation's figures in the Prometheus text format.

The same snapshot as ``quitus status`` (:mod:`quitus.operations`), read from the database at
each scrape, so every ``quitus serve`` behind a load balancer answers alike. It admits the
**auditor** and **admin** roles (a bearer token, ``quitus tokens create``): the figures hold
no personal data, but they tell how busy the company is and whether its nightly job runs —
not for the public. Give Prometheus a token of its own (an auditor user, e.g. ``prometheus``),
revocable on its own. Outside ``/api/v1`` and the OpenAPI document: it is for the scraper,
at the path Prometheus asks for by default.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from quitus.api.auth import require
from quitus.api.context import ApiContext
from quitus.operations import PROMETHEUS_CONTENT_TYPE, prometheus_text, take_snapshot
from storage.access_store import Principal, Role
from storage.ledger_outcomes import LedgerOutcomeTally

__all__ = ["METRICS_ROLES", "router"]

METRICS_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})
"""Who may scrape ``/metrics``."""

router = APIRouter(tags=["operations"])


def _tally(request: Request, context: ApiContext) -> LedgerOutcomeTally:
    """This process's tally: the first scrape counts the whole ledger, the next ones what is new."""
    state = request.app.state
    tally: LedgerOutcomeTally | None = getattr(state, "ledger_tally", None)
    if tally is None or tally.database is not context.app.store.database:
        tally = state.ledger_tally = LedgerOutcomeTally(context.app.store.database)
    return tally


@router.get("/metrics", name="metrics", include_in_schema=False)
async def metrics(
    request: Request, _principal: Annotated[Principal, Depends(require(*METRICS_ROLES))]
) -> Response:
    """Prometheus text exposition (version 0.0.4) of :func:`quitus.operations.take_snapshot`."""
    context: ApiContext = request.app.state.quitus
    tally = _tally(request, context)
    snapshot = await run_in_threadpool(take_snapshot, context.app.store, tally=tally)
    return Response(prometheus_text(snapshot), media_type=PROMETHEUS_CONTENT_TYPE)
