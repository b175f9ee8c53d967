"""Planner, executor, holds, reviews and data-subject requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select, text

from anonymization import ReportRedactor
from policies.loading import PolicySet
from retention.clock import FixedClock
from retention.executor import run_retention
from retention.holds import HoldService
from retention.planner import plan_dispositions
from retention.review import ReviewQueue
from retention.subjects import erase_subject, export_subject, find_subject_reports, register_request
from storage.errors import DatabaseError
from storage.ledger.events import decode_entry
from storage.models import Base, StatisticalRecord
from storage.report_store import ReportStore
from storage.states import ReportState
from tests.retention.conftest import MakeReport, loaded

LATER = dt.date(2030, 1, 1)


def snapshot(store: ReportStore, tmp_path: Path) -> str:
    """A digest of every row and every file: what "writes nothing" is checked against."""
    digest = hashlib.sha256()
    with store.database.engine.connect() as connection:
        for table in sorted(Base.metadata.tables):
            rows = connection.execute(text(f"SELECT * FROM {table}")).fetchall()
            digest.update(repr(sorted(map(repr, rows))).encode())
    for path in sorted((tmp_path / "blobs").rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    for path in sorted((tmp_path / "keys").glob("datakeys.db")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def steps(store: ReportStore, report_id: str) -> list[str]:
    return [decode_entry(e.entry)["step"] for e in store.ledger.entries_for_report(report_id)]


def test_the_plan_writes_nothing(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, tmp_path: Path
) -> None:
    for kind in ("particulier", "professionnel"):
        make_report(kind=kind)
    before = snapshot(store, tmp_path)
    plan = list(plan_dispositions(store, policies, HoldService(store).active(), LATER))
    assert {p.action for p in plan} == {"anonymize", "delete"}
    assert snapshot(store, tmp_path) == before


def test_run_disposes_what_is_due_with_a_certificate_and_nothing_else(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    old_private = make_report(
        kind="particulier", day=dt.date(2020, 1, 10), postcode="69003", email="secret.person@exemple.fr"
    )
    old_pro = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    recent = make_report(kind="particulier", day=dt.date(2029, 6, 1))
    summary = run_retention(store, policies, clock=FixedClock(LATER), k=1)
    assert summary.total == 2
    assert store.get(old_private).state == ReportState.ERASED
    assert store.get(old_pro).state == ReportState.ERASED
    assert store.get(recent).state == ReportState.VALIDATED
    certificate = decode_entry(store.ledger.entries_for_report(old_pro)[-1].entry)
    assert certificate["step"] == "dispose"
    assert certificate["policy"] == "del-pros@v1"
    assert certificate["details"]["action"] == "delete"
    assert certificate["details"]["due"] == "2022-01-10"
    with store.database.session() as session:
        record = session.scalars(select(StatisticalRecord)).one()  # k=1: the one anonymized, in full
        assert (record.area, record.period, record.equipment_category) == ("69", "2020-01", "climatisation")
        dumped = repr([getattr(record, column.key) for column in StatisticalRecord.__table__.columns])
    assert old_private not in dumped
    content = store.ledger.entries_for_report(old_private)
    assert all(b"secret.person" not in e.entry for e in content)
    assert "secret.person" not in dumped
    assert "client" not in dumped
    assert "observations" not in dumped
    # idempotent: a second run has nothing left to do
    assert run_retention(store, policies, clock=FixedClock(LATER), k=1).total == 0


class KeyStoreCalls:
    """Records, in order, each key destruction (and whether it scrubbed) and each scrub."""

    def __init__(self, store: ReportStore, monkeypatch: pytest.MonkeyPatch, *, fail_at: int = 0) -> None:
        self.calls: list[str] = []
        destroy_many, keystore = store.keystore.destroy_many, store.keystore

        def destroy(report_ids: Sequence[str], *, scrub: bool = True) -> set[str]:
            self.calls.append("destroy+scrub" if scrub else "destroy")
            if len(self.calls) == fail_at:
                raise DatabaseError("the key store went away")
            return destroy_many(report_ids, scrub=scrub)

        monkeypatch.setattr(keystore, "destroy_many", destroy)
        monkeypatch.setattr(keystore, "scrub", lambda: self.calls.append("scrub"))


def test_a_run_scrubs_the_key_store_once_after_its_batches(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL a scrub is a VACUUM of the whole key table: once per batch, it made
    # large runs slower per report as the archive grew.
    for _ in range(3):
        make_report(kind="professionnel")
    monkeypatch.setattr("retention.executor.EXECUTION_BATCH", 1)
    recorder = KeyStoreCalls(store, monkeypatch)
    assert run_retention(store, policies, clock=FixedClock(LATER)).total == 3
    assert recorder.calls == ["destroy", "destroy", "destroy", "scrub"]


def test_a_run_that_fails_still_scrubs_the_keys_it_destroyed(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_report(kind="professionnel"), make_report(kind="professionnel")
    monkeypatch.setattr("retention.executor.EXECUTION_BATCH", 1)
    recorder = KeyStoreCalls(store, monkeypatch, fail_at=2)
    with pytest.raises(DatabaseError):
        run_retention(store, policies, clock=FixedClock(LATER))
    assert recorder.calls == ["destroy", "destroy", "scrub"]
    assert {store.get(first).state, store.get(second).state} == {ReportState.ERASED, ReportState.VALIDATED}


def test_small_groups_are_generalized_for_k_anonymity(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    for n in range(3):
        make_report(kind="particulier", day=dt.date(2020, 1 + n, 10), postcode=f"{69 + n}001")
    run_retention(store, policies, clock=FixedClock(LATER), k=3)
    with store.database.session() as session:
        records = session.scalars(select(StatisticalRecord)).all()
    assert len(records) == 3
    # three départements, three months: they make a class of 3 once month and area are gone
    assert {(r.area, r.period) for r in records} == {("*", "2020")}


def test_a_held_report_is_never_disposed_until_released(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    held = make_report(kind="professionnel")
    free = make_report(kind="professionnel")
    holds = HoldService(store)
    hold = holds.place(reason="RG-2025-118", scope_kind="reports", scope={"report_ids": [held]})
    plan = list(plan_dispositions(store, policies, holds.active(), LATER))
    assert [p.held_by for p in plan if p.report_id == held] == [(hold.id,)]
    summary = run_retention(store, policies, clock=FixedClock(LATER))
    assert (summary.total, summary.held) == (1, 1)
    assert store.get(held).state == ReportState.VALIDATED
    assert store.get(free).state == ReportState.ERASED
    holds.release(hold.id)
    assert run_retention(store, policies, clock=FixedClock(LATER)).total == 1
    assert store.get(held).state == ReportState.ERASED
    assert [decode_entry(e.entry)["step"] for e in store.ledger.entries_for_report(held)][-1] == "dispose"


def test_holds_by_person_and_by_query(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    from storage.blind_index import subject_digests

    person = make_report(kind="professionnel", email="litige@exemple.fr")
    by_date = make_report(kind="professionnel", day=dt.date(2019, 5, 5))
    other = make_report(kind="professionnel", day=dt.date(2020, 5, 5))
    holds = HoldService(store)
    holds.place(
        reason="case-1",
        scope_kind="subject",
        scope={"digests": sorted(subject_digests(store.keys.index_key, [("email", "LITIGE@exemple.fr")]))},
    )
    holds.place(
        reason="case-2",
        scope_kind="query",
        scope={"template_id": "climatisation.mise_en_service", "intervention_to": "2019-12-31"},
    )
    run_retention(store, policies, clock=FixedClock(LATER))
    assert store.get(person).state == ReportState.VALIDATED
    assert store.get(by_date).state == ReportState.VALIDATED
    assert store.get(other).state == ReportState.ERASED


def test_review_queue_approve_extend_relabel(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    approve, extend, relabel = (make_report(kind="particulier", tags=("litige",)) for _ in range(3))
    # due when the longest period (3 years) ends
    run_retention(store, policies, clock=FixedClock(dt.date(2023, 6, 1)))
    queue = ReviewQueue(store, policies)
    assert {i.report_id for i in queue.pending()} == {approve, extend, relabel}
    assert run_retention(store, policies, clock=FixedClock(dt.date(2023, 6, 2))).total == 0  # already queued
    queue.approve(approve)
    assert store.get(approve).state == ReportState.ERASED
    queue.extend(extend, dt.date.today() + dt.timedelta(days=400), reason="litige en cours avec Mme Julien")
    queue.relabel(relabel, "anon-particuliers", reason="plus de litige")
    assert steps(store, extend)[-1] == "review.extend"
    run_retention(store, policies, clock=FixedClock(dt.date.today()))
    assert store.get(extend).state == ReportState.VALIDATED  # kept until the new date
    assert store.get(relabel).state == ReportState.ERASED  # anon-particuliers: 3 years, long over
    run_retention(store, policies, clock=FixedClock(dt.date.today() + dt.timedelta(days=401)))
    assert {i.report_id for i in queue.pending()} == {extend}  # back for review at the new date


def test_subject_export_and_erasure_with_a_legal_obligation(
    store: ReportStore, make_report: MakeReport, subject_redactor: ReportRedactor
) -> None:
    kept = make_report(kind="particulier", email="jeanne@exemple.fr", day=dt.date.today())
    gone = make_report(kind="particulier", email="jeanne@exemple.fr", day=dt.date(2010, 1, 1))
    stranger = make_report(kind="particulier", email="autre@exemple.fr")
    ids = find_subject_reports(store, [("email", " Jeanne@Exemple.FR ")])
    assert sorted(ids) == sorted([kept, gone])
    accounting = PolicySet([loaded("compta", "P10Y", "delete", obligation=True)])
    request = register_request(store, "access", [("email", " Jeanne@Exemple.FR ")])
    package = zipfile.ZipFile(
        io.BytesIO(export_subject(store, accounting, request, redactor=subject_redactor))
    )
    exported = json.loads(package.read("subject.json"))
    assert {r["report_id"] for r in exported["reports"]} == set(ids)
    assert all(r["content"]["client"]["email"] == "jeanne@exemple.fr" for r in exported["reports"])
    assert "subject.export" in steps(store, kept)
    outcomes = {o.report_id: o for o in erase_subject(store, accounting, ids)}
    assert outcomes[kept].result == "restricted"
    assert "Art. 17(3)(b)" in outcomes[kept].explanation
    assert outcomes[gone].result == "erased"
    assert store.get(gone).state == ReportState.ERASED
    assert store.get(kept).state == ReportState.VALIDATED
    assert store.get(stranger).state == ReportState.VALIDATED
    assert find_subject_reports(store, [("email", "jeanne@exemple.fr")]) == [kept]
