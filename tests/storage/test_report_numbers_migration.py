"""Migration 0013: reports accepted before it get numbers in capture order, per year."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from storage.report_store import new_report_id
from tests.storage.test_statistics_migration import engine, migrate

__all__ = ["engine"]


def _insert(engine: Engine, state: str, created: dt.datetime, *, archived: bool = False) -> str:
    report_id = new_report_id()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO reports (id, state, source, issues, revision, tags, created_at, updated_at, "
                "archived_at) VALUES (:id, :state, 'json', '[]', 1, '[]', :at, :at, :archived)"
            ),
            {"id": report_id, "state": state, "at": created, "archived": created if archived else None},
        )
    return report_id


def test_existing_reports_are_numbered_in_capture_order_and_new_ones_follow(engine: Engine) -> None:
    migrate(engine, "0012")
    utc = dt.UTC
    late_2025 = _insert(engine, "archived", dt.datetime(2025, 12, 31, 23, 30, tzinfo=utc))  # 2026 in Paris
    first_2025 = _insert(engine, "archived", dt.datetime(2025, 3, 1, tzinfo=utc))
    rejected = _insert(engine, "rejected", dt.datetime(2025, 4, 1, tzinfo=utc))
    erased = _insert(engine, "erased", dt.datetime(2025, 5, 1, tzinfo=utc), archived=True)
    pending = _insert(engine, "captured", dt.datetime(2026, 1, 2, tzinfo=utc))
    signed_2026 = _insert(engine, "signed", dt.datetime(2026, 2, 1, tzinfo=utc))
    migrate(engine, "head")
    with engine.connect() as connection:
        numbers = dict(connection.execute(text("SELECT id, number FROM reports")).all())
        counters = dict(connection.execute(text("SELECT year, last FROM report_number_counters")).all())
    assert numbers[first_2025] == "RI-2025-000001"
    assert numbers[erased] == "RI-2025-000002"
    assert numbers[late_2025] == "RI-2026-000001"
    assert numbers[signed_2026] == "RI-2026-000002"
    assert numbers[rejected] is None
    assert numbers[pending] is None
    assert counters == {2025: 2, 2026: 2}
    migrate(engine, "0012", down=True)
    migrate(engine, "head")
