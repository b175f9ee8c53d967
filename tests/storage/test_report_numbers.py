"""Readable report numbers (issue 18, finding 4): ``RI-<year>-<n>`` per year, without gaps,
given when a report is accepted, safe under concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.erasure import ShredRequest, shred_reports
from storage.errors import ReportNotFoundError
from storage.keys import load_key_material, read_key_file
from storage.keystore import DataKeyStore
from storage.ledger.checkpoint import load_signer
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger
from storage.models import LedgerEntryRecord
from storage.report_numbers import counter_problems, format_number, is_report_number
from storage.report_store import ReportStore
from storage.states import ReportState

THIS_YEAR = dt.datetime.now(ZoneInfo("Europe/Paris")).year


def _captured(store: ReportStore) -> str:
    raw = json.dumps({"submission_id": secrets.token_hex(8)}).encode()
    receipt = store.receive(raw, source="json", submission_id=json.loads(raw)["submission_id"])
    store.save_capture(receipt.report_id, content=b"{}")
    return receipt.report_id


def _accepted(store: ReportStore) -> str:
    report_id = _captured(store)
    return store.transition(report_id, ReportState.VALIDATED, expected=ReportState.CAPTURED).id


def test_numbers_follow_each_other_in_the_year_and_rejections_take_none(store: ReportStore) -> None:
    first = _accepted(store)
    rejected = _captured(store)
    store.transition(rejected, ReportState.REJECTED, issues=[{"code": "x", "path": "", "message": "m"}])
    second = _accepted(store)
    assert store.get(first).number == f"RI-{THIS_YEAR}-000001"
    assert store.get(rejected).number is None
    assert store.get(rejected).shown_number == rejected
    assert store.get(second).number == f"RI-{THIS_YEAR}-000002"


def test_a_corrected_report_takes_its_number_when_accepted_and_keeps_it(store: ReportStore) -> None:
    report_id = _captured(store)
    store.transition(report_id, ReportState.VALIDATED)
    number = store.get(report_id).number
    # validated → rejected (a later stage refuses it) → corrected → validated again: same number
    store.transition(report_id, ReportState.REJECTED, issues=[{"code": "x", "path": "", "message": "m"}])
    store.transition(report_id, ReportState.CAPTURED, step=LedgerStep.CAPTURE)
    store.transition(report_id, ReportState.VALIDATED)
    assert store.get(report_id).number == number
    assert _accepted(store) != report_id
    assert store.get(_accepted(store)).number == f"RI-{THIS_YEAR}-000003"


def test_the_number_is_recorded_in_the_signed_validate_entry(store: ReportStore) -> None:
    report_id = _accepted(store)
    with store.database.session() as session:
        entries = [
            decode_entry(e)
            for e in session.scalars(
                select(LedgerEntryRecord.entry).where(
                    LedgerEntryRecord.report_id == report_id, LedgerEntryRecord.step == LedgerStep.VALIDATE
                )
            )
        ]
    assert [e["details"]["number"] for e in entries] == [store.get(report_id).number]


def test_a_report_is_found_by_its_number_or_its_id(store: ReportStore) -> None:
    report_id = _accepted(store)
    number = store.get(report_id).number
    assert number is not None
    assert store.resolve(number) == report_id
    assert store.resolve(report_id) == report_id
    with pytest.raises(ReportNotFoundError, match=f"no report RI-{THIS_YEAR}-000099"):
        store.resolve(f"RI-{THIS_YEAR}-000099")


@pytest.mark.parametrize("workers", [8])
def test_concurrent_acceptances_number_one_to_n_without_gap_or_duplicate(
    store: ReportStore, workers: int
) -> None:
    count = 40
    with ThreadPoolExecutor(max_workers=workers) as pool:
        captured = list(pool.map(lambda _: _captured(store), range(count)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda rid: store.transition(rid, ReportState.VALIDATED), captured))
    numbers = sorted(store.get(rid).number or "" for rid in captured)
    assert numbers == [format_number(THIS_YEAR, n) for n in range(1, count + 1)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("RI-2026-000123", True), ("RI-2026-12345678", True), ("RI-2026-123", False), ("RI-01M8T8MRWV", False)],
)
def test_what_a_report_number_looks_like(value: str, expected: bool) -> None:
    assert is_report_number(value) is expected
    if expected:
        assert re.fullmatch(r"RI-\d{4}-\d+", value)


def _accept_in_a_process(url: str, home: str, report_ids: list[str]) -> None:
    """A process of its own (its own engine and connections) accepting ``report_ids``."""
    root = Path(home)
    database = Database(url)
    keystore = DataKeyStore(f"sqlite:///{root / 'keys' / 'datakeys.db'}", load_key_material(root / "keys"))
    ledger = Ledger(database, load_signer("quitus.test", read_key_file(root / "keys" / "ledger.key")))
    store = ReportStore(database, keystore, BlobStore(LocalBlobBackend(root / "blobs")), ledger, actor="test")
    try:
        for report_id in report_ids:
            store.transition(report_id, ReportState.VALIDATED)
    finally:
        keystore.dispose()
        database.dispose()


def test_acceptances_from_several_processes_number_one_to_n(store: ReportStore, tmp_path: Path) -> None:
    captured = [_captured(store) for _ in range(24)]
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_accept_in_a_process, args=(store.database.url, str(tmp_path), captured[index::4])
        )
        for index in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
        assert worker.exitcode == 0
    numbers = sorted(store.get(rid).number or "" for rid in captured)
    assert numbers == [format_number(THIS_YEAR, n) for n in range(1, 25)]


def test_what_a_person_reads_for_many_reports_and_an_erased_report_keeps_its_number(
    store: ReportStore,
) -> None:
    accepted, erased, pending = _accepted(store), _accepted(store), _captured(store)
    numbers = {i: store.get(i).number for i in (accepted, erased)}
    shred_reports(store, [ShredRequest(erased, reason="test")])
    assert store.get(erased).state == ReportState.ERASED
    asked = [accepted, erased, pending, "RI-UNKNOWN"]
    assert store.numbers(asked) == {accepted: numbers[accepted], erased: numbers[erased]}
    assert store.shown_numbers(asked) == {
        accepted: numbers[accepted],
        erased: numbers[erased],  # a number is no personal data: the tombstone keeps it
        pending: pending,  # not accepted: people read its id
        "RI-UNKNOWN": "RI-UNKNOWN",
    }
    assert store.resolve(str(numbers[erased])) == erased


def test_counter_problems_name_a_counter_moved_on_moved_back_or_deleted_and_a_gap() -> None:
    given = ["RI-2026-000001", "RI-2026-000002", "RI-2025-000001"]
    assert counter_problems({2026: 2, 2025: 1}, given) == []
    (moved_on,) = counter_problems({2026: 6, 2025: 1}, given)
    assert "says 6" in moved_on and "RI-2026-000002" in moved_on and "gap" in moved_on
    (moved_back,) = counter_problems({2026: 0, 2025: 1}, given)
    assert "twice" in moved_back
    (deleted,) = counter_problems({2025: 1}, given)
    assert "no row for the year" in deleted
    (gap,) = counter_problems({2026: 6, 2025: 1}, [*given, "RI-2026-000006"])
    assert "3 number(s) between RI-2026-000003 and RI-2026-000005" in gap
