"""``quitus visits plan|list|move|cancel``, as an operator and a script use them (real subprocesses).

Each ``--json`` output validates against its model in quitus/cli_json.py; the human output
and the JSON name ids, days, slots and technicians' identifiers, never the client.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from quitus.cli_json import JSON_OUTPUTS
from quitus.exit_codes import ExitCode
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

pytestmark = pytest.mark.slow  # a dozen quitus processes

CLIENT = "Eulalie Repérable-Partout"


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], str]:
    """A home with two unfinished reports and one finished, accepted: (home, unfinished numbers, finished)."""
    base = tmp_path_factory.mktemp("visits-cli")
    home, inbox = base / "home", base / "inbox"
    assert run_quitus(home, "init").returncode == 0
    for handle in ("tech-001", "tech-002"):
        assert run_quitus(home, "users", "add", handle, "--role", "technician").returncode == 0
    inbox.mkdir()
    samples = generate_samples(
        TemplateCatalog.load(), 12, seed=8, invalid_share=0, unfinished_share=0.5, photo_size=(32, 24)
    )
    chosen = [s for s in samples if s.unfinished][:2] + [s for s in samples if not s.unfinished][:1]
    for position, sample in enumerate(chosen):
        payload = {**sample.payload, "client": {**sample.payload["client"], "name": CLIENT}}
        (inbox / f"{position}.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    ingested = run_quitus(home, "ingest", "--format", "jsonl", str(inbox))
    assert ingested.returncode == 0, ingested.stderr
    by_file = {Path(r["input"]).stem: r for r in map(json.loads, ingested.stdout.splitlines())}
    assert all(r["number"] for r in by_file.values()), by_file
    return home, [by_file["0"]["number"], by_file["1"]["number"]], by_file["2"]["number"]


def _json(home: Path, command: str, *args: str) -> BaseModel:
    result = run_quitus(home, *command.split(), *args, "--json")
    assert result.returncode == 0, result.stderr
    assert CLIENT not in result.stdout
    return JSON_OUTPUTS[command].model_validate_json(result.stdout)


def test_plan_list_move_cancel(installation: tuple[Path, list[str], str]) -> None:
    home, (first, second), _ = installation
    planned = _json(
        home,
        "visits plan",
        first,
        "--day",
        "2030-03-04",
        "--slot",
        "matin",
        "--technician",
        "tech-001",
        "--technician",
        "tech-002",
        "--note",
        "Code portail 4521",
    )
    visit = planned.visit  # type: ignore[attr-defined]
    assert planned.changed and visit.continues == first and visit.status == "planned"  # type: ignore[attr-defined]
    assert visit.technicians == ["tech-001", "tech-002"] and visit.slot == "matin"
    other = _json(home, "visits plan", second, "--day", "2030-03-06", "--technician", "tech-002").visit  # type: ignore[attr-defined]
    assert other.slot == "journee"

    week = _json(
        home, "visits list", "--from", "2030-03-02", "--to", "2030-03-08", "--technician", "tech-002"
    )
    assert [v.id for v in week.visits] == [visit.id, other.id]  # type: ignore[attr-defined]
    mine = _json(home, "visits list", "--from", "2030-03-02", "--technician", "tech-001")
    assert [v.id for v in mine.visits] == [visit.id]  # type: ignore[attr-defined]

    moved = _json(home, "visits move", visit.id, "--day", "2030-03-05", "--slot", "apres_midi")
    assert moved.changed and moved.visit.day.isoformat() == "2030-03-05"  # type: ignore[attr-defined]
    again = _json(home, "visits move", visit.id, "--day", "2030-03-05")
    assert again.changed is False  # type: ignore[attr-defined]

    cancelled = _json(home, "visits cancel", other.id, "--reason", "client_request")
    assert cancelled.changed and cancelled.visit.status == "cancelled"  # type: ignore[attr-defined]
    assert _json(home, "visits cancel", other.id, "--reason", "client_request").changed is False  # type: ignore[attr-defined]
    every = _json(home, "visits list", "--from", "2030-01-01", "--status", "all")
    assert {v.id: v.status for v in every.visits} == {visit.id: "planned", other.id: "cancelled"}  # type: ignore[attr-defined]

    table = run_quitus(home, "visits", "list", "--from", "2030-01-01")
    assert table.returncode == 0 and visit.id in table.stdout and first in table.stdout
    assert "1 visit" in table.stdout and CLIENT not in table.stdout and "4521" not in table.stdout
    # The operator is named in the ledger entries, which say nothing of the client.
    entries = run_quitus(home, "audit", "verify")
    assert entries.returncode == 0, entries.stdout + entries.stderr


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (
            ["visits", "plan", "RI-2030-999999", "--day", "2030-03-04", "--technician", "t-1"],
            ExitCode.NOT_FOUND,
            "no report",
        ),
        (
            ["visits", "plan", "{finished}", "--day", "2030-03-04", "--technician", "t-1"],
            ExitCode.REFUSED,
            "not an unfinished",
        ),
        (
            ["visits", "plan", "{first}", "--day", "04/03/2030", "--technician", "t-1"],
            ExitCode.USAGE,
            "YYYY-MM-DD",
        ),
        (
            ["visits", "plan", "{first}", "--day", "2030-03-04", "--slot", "soir", "--technician", "t-1"],
            ExitCode.USAGE,
            "matin",
        ),
        (
            ["visits", "plan", "{first}", "--day", "2030-03-04", "--technician", "Jean Dupont"],
            ExitCode.REFUSED,
            "not an identifier",
        ),
        (["visits", "move", "PV-0000000000000000", "--day", "2030-03-04"], ExitCode.NOT_FOUND, "no visit"),
        (["visits", "move", "PV-0000000000000000"], ExitCode.USAGE, "say what moves"),
        (
            ["visits", "cancel", "PV-0000000000000000", "--reason", "Mme Dupont"],
            ExitCode.REFUSED,
            "not a code",
        ),
    ],
)
def test_mistakes_say_what_was_wrong_with_their_exit_code(
    installation: tuple[Path, list[str], str], args: list[str], code: ExitCode, says: str
) -> None:
    home, (first, _), finished = installation
    result = run_quitus(home, *[a.format(first=first, finished=finished) for a in args])
    assert result.returncode == code, result.stdout + result.stderr
    assert says in result.stderr
    assert "Dupont" not in result.stderr
