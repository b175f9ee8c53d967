"""Readable report numbers (issue 18, finding 4): ``RI-<year>-<n>`` per year, without gaps,
given when a report is accepted, safe under concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.errors import ReportNotFoundError
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LedgerEntryRecord
from storage.report_numbers import format_number, is_report_number
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
