"""Reports with chosen retention facts, made directly through the store (no intake needed)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from policies.loading import LoadedPolicy, PolicySet
from policies.model import Policy
from reports.intake import subject_terms
from reports.samples import generate_samples
from reports.schema import InterventionReport
from reports.templates import TemplateCatalog
from storage.blind_index import subject_digests
from storage.report_store import ReportStore
from storage.states import ReportState

if TYPE_CHECKING:
    from anonymization import ReportRedactor

MakeReport = Callable[..., str]


@pytest.fixture(scope="session")
def subject_redactor() -> ReportRedactor:
    """What an access answer redacts other people with (the spaCy model: loaded once)."""
    from anonymization import PiiEngine, ReportRedactor, load_vocabulary

    return ReportRedactor(PiiEngine(load_vocabulary(TemplateCatalog.load())), style="placeholder")


@pytest.fixture(scope="session")
def base_payload() -> dict[str, Any]:
    sample = next(
        s
        for s in generate_samples(TemplateCatalog.load(), 8, seed=4, photo_size=(64, 48))
        if s.expected == "valid" and s.template_id == "climatisation.mise_en_service"
    )
    payload = copy.deepcopy(sample.payload)
    payload["photos"] = []
    payload["client_signature"] = payload["technician_signature"] = None
    return payload


@pytest.fixture
def make_report(store: ReportStore, base_payload: dict[str, Any]) -> MakeReport:
    counter = iter(range(1_000_000))

    def make(
        *,
        kind: str = "particulier",
        day: dt.date = dt.date(2020, 1, 10),
        tags: tuple[str, ...] = (),
        email: str | None = None,
        postcode: str = "69003",
    ) -> str:
        n = next(counter)
        payload = copy.deepcopy(base_payload)
        payload["submission_id"] = f"retention-{n}"
        payload["client"]["kind"] = kind
        payload["client"]["address"]["postal_code"] = postcode
        payload["site"] = None
        payload["arrival"], payload["departure"] = f"{day}T09:00:00", f"{day}T10:30:00"
        payload["request"]["date"] = str(day - dt.timedelta(days=3))
        if email:
            payload["client"]["email"] = email
        payload["tags"] = list(tags)
        report = InterventionReport.model_validate(payload)
        receipt = store.receive(
            json.dumps(payload).encode(), source="json", submission_id=payload["submission_id"]
        )
        store.save_capture(
            receipt.report_id,
            content=report.model_dump_json().encode(),
            template_id="climatisation.mise_en_service",
            client_kind=kind,
            intervention_date=day,
            outcome="completed",
            tags=tags,
            site_country="FR",
            subjects=subject_digests(store.keys.index_key, subject_terms(report)),
        )
        store.transition(receipt.report_id, ReportState.VALIDATED)
        return receipt.report_id

    return make


def loaded(
    pid: str, duration: str, action: str, *, obligation: bool = False, **scope: list[str]
) -> LoadedPolicy:
    model = Policy.model_validate(
        {
            "id": pid,
            "title": pid,
            "legal_basis": {"text": "t", "references": ["r"], "obligation": obligation},
            "scope": scope,
            "trigger": {"kind": "intervention_date"},
            "duration": duration,
            "action": action,
        }
    )
    return LoadedPolicy(model, Path(f"{pid}.yaml"), "v1", "")


@pytest.fixture
def policies() -> PolicySet:
    """Particuliers: anonymize after 3 years; professionnels: delete after 2; tag 'litige': review after 1."""
    return PolicySet(
        [
            loaded("anon-particuliers", "P3Y", "anonymize", client_kinds=["particulier"]),
            loaded("del-pros", "P2Y", "delete", client_kinds=["professionnel"]),
            loaded("review-litige", "P1Y", "review", tags=["litige"], client_kinds=["particulier"]),
        ]
    )
