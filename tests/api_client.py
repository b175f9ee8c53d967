"""The API as a client uses it: an initialized installation, users of every role, a TestClient.

``ApiHarness`` opens ``create_app`` over a fresh ``QUITUS_HOME`` (on the database the
``database`` fixture gives: SQLite or PostgreSQL), adds one user per role with a token,
and says how to call as each of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from quitus.api import create_app
from quitus.api.context import ApiContext
from quitus.settings import Settings
from quitus.wiring import initialize
from reports.samples import Sample, generate_samples
from reports.templates import TemplateCatalog
from storage.access_store import Role
from storage.ledger.events import decode_entry

__all__ = ["ApiHarness", "open_harness", "process_reports", "redactor_engine", "sample_reports"]


def sample_reports(count: int = 6, *, seed: int = 11) -> list[Sample]:
    """Valid, finished generated reports with small photos, dated a few days ago.

    Recent, so that no policy has moved them to intermediate archiving (restricted) yet.
    """
    samples = generate_samples(TemplateCatalog.load(), count * 3, seed=seed, photo_size=(160, 120))
    chosen = [s for s in samples if s.expected == "valid" and not s.unfinished][:count]
    recent = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    moved = []
    for sample in chosen:
        day = sample.payload["arrival"][:10]
        payload = json.loads(json.dumps(sample.payload).replace(f'"{day}T', f'"{recent}T'))
        moved.append(dataclasses.replace(sample, payload=payload))
    return moved


class ApiHarness:
    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.tokens: dict[str, str] = {}
        for role in Role:
            self.add_user(f"{role.value}-1", role)
        self.add_user("technician-2", Role.TECHNICIAN)

    @property
    def context(self) -> ApiContext:
        context: ApiContext = self.client.app.state.quitus  # type: ignore[attr-defined]
        return context

    def add_user(self, handle: str, role: Role) -> str:
        access = self.context.access
        access.add_user(handle, role, actor="test-admin")
        self.tokens[handle] = access.create_token(handle, actor="test-admin")[1]
        return self.tokens[handle]

    def auth(self, who: str) -> dict[str, str]:
        """Headers for ``who``: a role (its first user) or a handle."""
        handle = who if who in self.tokens else f"{who}-1"
        return {"Authorization": f"Bearer {self.tokens[handle]}"}

    def capture(self, payload: Mapping[str, Any], who: str = "technician") -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/reports",
            content=json.dumps(payload, ensure_ascii=False).encode(),
            headers={**self.auth(who), "Content-Type": "application/json"},
        )
        assert response.status_code in (200, 202), response.text
        body: dict[str, Any] = response.json()
        return body

    def ledger_events(self, report_id: str | None = None, step: str | None = None) -> list[dict[str, Any]]:
        ledger = self.context.app.ledger
        if report_id is not None:
            entries = [decode_entry(e.entry) for e in ledger.entries_for_report(report_id)]
        else:
            with ledger.database.session() as session:
                from storage.models import LedgerEntryRecord

                entries = [decode_entry(e) for e in session.scalars(_all_entries(LedgerEntryRecord))]
        return [e for e in entries if step is None or e["step"] == step]


def _all_entries(record: Any) -> Any:
    from sqlalchemy import select

    return select(record.entry).order_by(record.seq)


@contextmanager
def open_harness(home: Path, database_url: str | None = None, **settings: Any) -> Iterator[ApiHarness]:
    """An initialized installation in ``home`` and the API over it, lifespan running."""
    config = Settings(home=home, database_url=database_url, **settings)
    initialize(config)
    with TestClient(create_app(config)) as client:
        yield ApiHarness(client, config)


@functools.cache
def redactor_engine() -> Any:
    """The PII engine (spaCy's French model loads once per test process)."""
    from anonymization import PiiEngine, load_vocabulary

    return PiiEngine(load_vocabulary(TemplateCatalog.load()))


def process_reports(harness: ApiHarness) -> None:
    """What the intake flow does: validate the captured reports, then redact, render, seal, archive."""
    from anonymization import ReportRedactor
    from storage.states import ReportState
    from workflows.stages import Pipeline

    app = harness.context.app
    for report_id in app.store.ids_in_state(ReportState.CAPTURED, limit=1000):
        app.intake.validate(report_id)
    engine = redactor_engine()
    Pipeline(
        app.store,
        app.catalog,
        harness.settings.seal_dir,
        redactor_factory=lambda: ReportRedactor(
            engine, pseudonym_key=app.store.keys.index_key, style="placeholder"
        ),
    ).run_pending(batch_size=50)
