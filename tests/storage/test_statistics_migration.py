"""Migration 0007: the statistical records written before lose their link to the reports."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from storage.database import MIGRATIONS_DIR
from storage.report_store import new_report_id
from tests.conftest import POSTGRES_ADMIN_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (the shared one is already at the newest revision)."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"quitus_migration_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(make_url(POSTGRES_ADMIN_URL).set(database=name))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def old_record(template: str | None, kind: str, period: str | None, **data: Any) -> dict[str, Any]:
    return {
        "report_id": new_report_id(),
        "template_id": template,
        "client_kind": kind,
        "area": "69",
        "period": period,
        "data": json.dumps(data),
        "created_at": dt.datetime(2026, 1, 5, 3, 0, tzinfo=dt.UTC),
    }


def rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(text("SELECT * FROM statistical_records")).mappings()]


def test_old_records_keep_only_their_coarsest_class_and_no_report_id(engine: Engine) -> None:
    migrate(engine, "0006")
    equipment = {"category": "climatisation", "brand": "Daikin", "model": "FTXM25R", "installed_year": 2017}
    crowd = [
        old_record("climatisation.mise_en_service", "particulier", f"2021-0{1 + n % 3}", equipment=equipment)
        for n in range(6)
    ]
    few = [old_record("pompe_a_chaleur.depannage", "professionnel", "2022", equipment={}) for _ in range(4)]
    undated = [old_record("climatisation.mise_en_service", "particulier", None) for _ in range(5)]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO statistical_records (report_id, template_id, client_kind, area, period,"
                " data, created_at) VALUES (:report_id, :template_id, :client_kind, :area, :period,"
                " :data, :created_at)"
            ),
            crowd + few + undated,
        )

    migrate(engine, "0007")
    records = rows(engine)
    assert len(records) == len(crowd)
    assert all(re.fullmatch(r"stat-[0-9a-f]{16}", r["id"]) for r in records)
    coarse = {key: value for key, value in records[0].items() if key != "id"}
    assert coarse == {
        "template_id": "climatisation.mise_en_service",
        "client_kind": "particulier",
        "equipment_category": "climatisation",
        "period": "2021",
        "outcome": "*",
        "brand": "*",
        "model": "*",
        "installed_decade": "*",
        "duration": "*",
        "area": "*",
        "parts_used": "*",
        "checklist_anomalies": "*",
    }
    assert all({k: v for k, v in r.items() if k != "id"} == coarse for r in records)
    dumped = repr(records)
    assert not any(old["report_id"] in dumped or old["report_id"][3:] in dumped for old in crowd)

    migrate(engine, "0006", down=True)
    back = rows(engine)
    assert sorted(r["report_id"] for r in back) == sorted(r["id"] for r in records)
    assert {(r["template_id"], r["client_kind"], r["area"], r["period"]) for r in back} == {
        ("climatisation.mise_en_service", "particulier", None, "2021")
    }
    migrate(engine, "0007")
    assert len(rows(engine)) == len(crowd)
