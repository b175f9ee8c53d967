"""Property: no report is ever disposed before its due date or while held — and every
report that is due and free is disposed."""

from __future__ import annotations

import copy
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.decision import decide
from policies.loading import PolicySet
from retention.clock import FixedClock
from retention.executor import run_retention
from retention.facts import facts_of
from retention.holds import HoldService
from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.keys import create_key_files, load_key_material, read_key_file
from storage.keystore import DataKeyStore
from storage.ledger.checkpoint import load_signer
from storage.ledger.store import Ledger
from storage.models import ReviewItemRecord
from storage.report_store import ReportStore
from storage.states import ReportState
from tests.retention.conftest import loaded

POLICIES = PolicySet(
    [
        loaded("anon-particuliers", "P3Y", "anonymize", client_kinds=["particulier"]),
        loaded("del-pros", "P2Y", "delete", client_kinds=["professionnel"]),
        loaded("review-litige", "P1Y6M", "review", tags=["litige"]),
        loaded("keep-factures", "P4Y", "delete", tags=["facturee"]),
    ]
)

report_strategy = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["particulier", "professionnel"]),
        "day": st.dates(min_value=dt.date(2018, 1, 1), max_value=dt.date(2026, 12, 31)),
        "tags": st.lists(st.sampled_from(["litige", "facturee", "autre"]), max_size=2, unique=True),
        "held": st.booleans(),
    }
)


def new_store(root: Path) -> ReportStore:
    create_key_files(root / "keys")
    keys = load_key_material(root / "keys")
    database = Database(f"sqlite:///{root / 'quitus.db'}")
    database.upgrade()
    keystore = DataKeyStore(f"sqlite:///{root / 'keys' / 'datakeys.db'}", keys)
    keystore.ensure_schema()
    ledger = Ledger(database, load_signer("quitus.test", read_key_file(root / "keys" / "ledger.key")))
    return ReportStore(database, keystore, BlobStore(LocalBlobBackend(root / "blobs")), ledger)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    reports=st.lists(report_strategy, min_size=1, max_size=6),
    at=st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2032, 12, 31)),
)
def test_nothing_is_disposed_early_or_while_held(
    base_payload: dict[str, Any], reports: list[dict[str, Any]], at: dt.date
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = new_store(Path(tmp))
        ids = []
        for n, spec in enumerate(reports):
            payload = copy.deepcopy(base_payload)
            payload["submission_id"] = f"p-{n}"
            receipt = store.receive(json.dumps(payload).encode(), source="json", submission_id=f"p-{n}")
            store.save_capture(
                receipt.report_id,
                content=json.dumps(payload).encode(),
                template_id="climatisation.mise_en_service",
                client_kind=spec["kind"],
                intervention_date=spec["day"],
                outcome="completed",
                tags=spec["tags"],
            )
            ids.append(receipt.report_id)
        held = [i for i, spec in zip(ids, reports, strict=True) if spec["held"]]
        if held:
            HoldService(store).place(reason="case", scope_kind="reports", scope={"report_ids": held})
        expected = {i: decide(facts, POLICIES) for i in ids if (facts := facts_of(store.database, i))}
        run_retention(store, POLICIES, clock=FixedClock(at), k=1)
        with store.database.session() as session:
            queued = {r.report_id for r in session.query(ReviewItemRecord)}
        for report_id in ids:
            decision = expected[report_id]
            acted = store.get(report_id).state == ReportState.ERASED or report_id in queued
            due_and_free = decision.is_due(at) and report_id not in held
            assert acted == due_and_free, (report_id, decision.reasons, at)
            if report_id in queued:
                assert decision.action == "review"
        store.database.dispose()
        store.keystore.dispose()
