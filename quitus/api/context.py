"""What a request handler reaches: the opened installation, its access store, and per-caller views."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

from fastapi import Request

from quitus.settings import Settings
from quitus.wiring import App
from reports.intake import Intake
from storage.access_store import AccessStore, Principal
from storage.report_store import ReportStore

__all__ = ["ApiContext", "context_of"]


CAPTURE_SLOTS = max(2, os.cpu_count() or 2)


@dataclass
class ApiContext:
    app: App
    access: AccessStore
    capture_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CAPTURE_SLOTS))
    """Captures processed at once; the others wait their turn in arrival order.

    Capture is CPU-bound (photo sanitizing) and writes to the database: more at once only
    makes them contend for the interpreter and the database's write lock — on SQLite a
    waiting writer backs off and can be overtaken again and again — so latency grows
    unevenly. Queueing here keeps it fair.
    """

    @property
    def settings(self) -> Settings:
        return self.app.settings

    def store_for(self, principal: Principal) -> ReportStore:
        """The report store whose ledger events name ``principal`` (their handle)."""
        return self.app.store.acting_as(principal.handle)

    def intake_for(self, principal: Principal) -> Intake:
        """Capture as ``principal`` (correcting only their own reports), with the installation's
        catalog, photo limits and company (the server's, never the client's)."""
        from quitus.api.ownership import capture_store  # noqa: PLC0415 - ownership imports auth, which imports us

        store = capture_store(self.app.store, principal)
        return Intake(
            store,
            self.app.catalog,
            photo_limits=self.app.intake.photo_limits,
            company=self.app.intake.company,
        )


def context_of(request: Request) -> ApiContext:
    """FastAPI dependency: the context opened at start-up (see ``create_app``)."""
    context: ApiContext = request.app.state.quitus
    return context
