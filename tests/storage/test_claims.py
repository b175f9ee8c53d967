"""Batch claims: workers sharing one database take disjoint batches; dead workers' leases lapse."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import text, update

from storage.claims import ReportClaims, new_worker_id
from storage.database import Database
from storage.models import ReportRecord
from storage.report_store import ReportStore
from storage.states import ReportState


def _add_reports(database: Database, count: int, state: ReportState = ReportState.VALIDATED) -> list[str]:
    ids = [f"RI-{number:04d}" for number in range(count)]
    with database.session() as session:
        session.add_all(
            ReportRecord(id=report_id, state=state, source="json", issues=[], revision=1) for report_id in ids
        )
    return ids


def _claimed_by(database: Database) -> dict[str, str | None]:
    with database.session() as session:
        return {row[0]: row[1] for row in session.execute(text("SELECT id, claimed_by FROM reports"))}


def test_workers_take_disjoint_batches_oldest_first(database: Database) -> None:
    ids = _add_reports(database, 10)
    with database.session() as session:
        session.add(
            ReportRecord(id="RI-9999", state=ReportState.REDACTED, source="json", issues=[], revision=1)
        )
    first, second = ReportClaims(database, worker="host-a:1:aa"), ReportClaims(database, worker="host-b:2:bb")

    assert first.claim(ReportState.VALIDATED, 4) == ids[:4]
    assert second.claim(ReportState.VALIDATED, 100) == ids[4:]
    assert first.claim(ReportState.VALIDATED, 100) == []
    assert first.held() == ids[:4]
    owners = _claimed_by(database)
    assert {owners[i] for i in ids[:4]} == {"host-a:1:aa"}
    assert {owners[i] for i in ids[4:]} == {"host-b:2:bb"}
    assert owners["RI-9999"] is None


def test_release_ends_only_the_workers_own_claims(database: Database) -> None:
    ids = _add_reports(database, 6)
    first, second = ReportClaims(database, worker="a"), ReportClaims(database, worker="b")
    first.claim(ReportState.VALIDATED, 3)
    second.claim(ReportState.VALIDATED, 3)

    assert first.release(ids) == 3  # b's three are not first's to release
    assert second.held() == ids[3:]
    assert second.claim(ReportState.VALIDATED, 10) == ids[:3]


def test_an_expired_lease_is_claimed_again_and_the_old_holder_cannot_release_it(database: Database) -> None:
    ids = _add_reports(database, 3)
    crashed, survivor = ReportClaims(database, worker="crashed"), ReportClaims(database, worker="survivor")
    assert crashed.claim(ReportState.VALIDATED, 10) == ids
    assert survivor.claim(ReportState.VALIDATED, 10) == []

    with database.session() as session:  # the crashed worker's 15 minutes have run out
        session.execute(
            update(ReportRecord).values(claim_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    assert crashed.held() == []
    assert survivor.claim(ReportState.VALIDATED, 10) == ids
    assert crashed.release(ids) == 0
    assert survivor.held() == ids


def test_a_short_lease_lapses_by_itself(database: Database) -> None:
    ids = _add_reports(database, 2)
    hasty = ReportClaims(database, worker="hasty", lease=dt.timedelta(milliseconds=1))
    assert hasty.claim(ReportState.VALIDATED, 10) == ids
    time.sleep(0.05)
    assert ReportClaims(database, worker="next").claim(ReportState.VALIDATED, 10) == ids


def test_a_report_moving_on_leaves_its_claim_behind(store: ReportStore) -> None:
    report_id = store.receive(b'{"x": 1}', source="json", submission_id="claims-1").report_id
    first, second = ReportClaims(store.database, worker="a"), ReportClaims(store.database, worker="b")
    assert first.claim(ReportState.CAPTURED, 10) == [report_id]

    store.transition(report_id, ReportState.VALIDATED, expected=ReportState.CAPTURED, step="validate")

    assert first.held() == []
    assert second.claim(ReportState.VALIDATED, 10) == [report_id]


def test_concurrent_workers_never_claim_a_report_twice(database: Database) -> None:
    ids = _add_reports(database, 60)
    workers = [ReportClaims(database, worker=f"w{number}") for number in range(6)]
    start = threading.Barrier(len(workers))
    batches: dict[str, list[str]] = {}

    def work(claims: ReportClaims) -> None:
        start.wait()
        batches[claims.worker] = [i for _ in range(3) for i in claims.claim(ReportState.VALIDATED, 4)]

    threads = [threading.Thread(target=work, args=(claims,)) for claims in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(batches) == len(workers)

    times = Counter(i for batch in batches.values() for i in batch)
    assert max(times.values()) == 1, "a report was claimed by two workers"
    owners = _claimed_by(database)
    assert all(owners[i] == worker for worker, batch in batches.items() for i in batch)
    sweep = ReportClaims(database, worker="sweeper").claim(ReportState.VALIDATED, 100)
    assert sorted([*times, *sweep]) == ids


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_on_postgresql_rows_being_claimed_are_skipped_not_waited_for(database: Database) -> None:
    ids = _add_reports(database, 5)
    with database.engine.connect() as other:  # another worker, inside its claim transaction
        other.execute(text("SELECT id FROM reports WHERE id IN ('RI-0000', 'RI-0001') FOR UPDATE"))
        result: list[list[str]] = []
        claimer = threading.Thread(
            target=lambda: result.append(ReportClaims(database, worker="b").claim(ReportState.VALIDATED, 3))
        )
        claimer.start()
        claimer.join(timeout=20)
        finished = not claimer.is_alive()
        other.rollback()
        claimer.join()
    assert finished, "the claim waited for the other transaction's locks"
    assert result == [ids[2:5]]


def test_worker_ids_name_a_process_not_a_person() -> None:
    first, second = new_worker_id(), new_worker_id()
    assert first != second
    host, pid, suffix = first.rsplit(":", 2)
    assert socket.gethostname().startswith(host)
    assert pid.isdigit() and len(suffix) == 8 and len(first) <= 64


@pytest.mark.parametrize(
    ("worker", "lease"),
    [("", dt.timedelta(minutes=1)), ("x" * 65, dt.timedelta(minutes=1)), ("w", dt.timedelta(0))],
)
def test_bad_worker_ids_and_leases_are_refused(worker: str, lease: dt.timedelta) -> None:
    with pytest.raises(ValueError):
        ReportClaims(Database("sqlite://"), worker=worker, lease=lease)


def test_the_claims_of_a_dead_process_on_this_host_are_free_at_once(database: Database) -> None:
    import subprocess
    import sys

    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    host = socket.gethostname()
    ids = _add_reports(database, 6)
    dead = ReportClaims(database, worker=f"{host}:{dead_pid.pid}:dead")
    remote = ReportClaims(database, worker=f"another-machine-{host}:{dead_pid.pid}:far")
    assert remote.claim(ReportState.VALIDATED, 3) == ids[:3]
    assert dead.claim(ReportState.VALIDATED, 3) == ids[3:]

    survivor = ReportClaims(database)  # this process: alive, on this host
    assert survivor.claim(ReportState.VALIDATED, 10) == ids[3:], "the dead local worker's lease is ended"
    assert survivor.claim(ReportState.VALIDATED, 10) == [], "its own claims and a remote worker's stay"
    assert remote.held() == ids[:3]
