"""``--json`` as a script reads it: each command's real output validates against the model
quitus/cli_json.py declares, and docs/cli-json.md shows that model's schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from quitus.cli_json import JSON_OUTPUTS, json_schema_text
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    base = tmp_path_factory.mktemp("json")
    home = base / "home"
    assert run_quitus(home, "init").returncode == 0
    inbox = base / "inbox"
    inbox.mkdir()
    samples = generate_samples(
        TemplateCatalog.load(), 3, seed=21, invalid_share=0, unfinished_share=0, photo_size=(96, 72)
    )
    for number, sample in enumerate(samples):
        payload = json.dumps(sample.payload, ensure_ascii=False)
        (inbox / f"{number}.json").write_text(payload, encoding="utf-8")
    lines = run_quitus(home, "ingest", "--format", "jsonl", str(inbox)).stdout.splitlines()
    ids = [json.loads(line)["report_id"] for line in lines]
    placed = run_quitus(home, "holds", "place", "--report", ids[0], "--reason", "litige en cours")
    assert placed.returncode == 0, placed.stderr
    return home, ids


def _json(home: Path, command: str, *args: str) -> BaseModel:
    result = run_quitus(home, *command.split(), *args, "--json")
    assert result.returncode == 0, result.stderr
    return JSON_OUTPUTS[command].model_validate_json(result.stdout)  # extra="forbid": no field undeclared


def test_reports_list_and_show(installation: tuple[Path, list[str]]) -> None:
    home, ids = installation
    listed = _json(home, "reports list")
    assert [r.id for r in listed.reports] == ids  # type: ignore[attr-defined]
    assert sum(listed.counts.values()) == len(ids)  # type: ignore[attr-defined]
    shown = _json(home, "reports show", ids[1])
    assert shown.id == ids[1] and shown.content is None  # type: ignore[attr-defined]
    assert shown.submissions[0].source == "json"  # type: ignore[attr-defined]
    text = run_quitus(home, "reports", "show", ids[1], "--json").stdout
    assert '"client":' not in text  # no personal data without --reveal
    revealed = _json(home, "reports show", ids[1], "--reveal")
    assert revealed.content is not None and "client" in revealed.content  # type: ignore[attr-defined]


def test_policies_plan_run_holds_review(installation: tuple[Path, list[str]]) -> None:
    home, ids = installation
    policies = _json(home, "policies list")
    assert policies.policies and all("@" in p.ref for p in policies.policies)  # type: ignore[attr-defined]
    plan = _json(home, "retention plan", "--at", "2060-01-01")
    items = plan.items  # type: ignore[attr-defined]
    assert {i.report_id for i in items} == set(ids)
    held = [i for i in items if i.report_id == ids[0]]
    assert held[0].status == "held" and held[0].held_by
    assert sum(plan.counts.values()) == len(ids)  # type: ignore[attr-defined]
    run = _json(home, "retention run")
    assert run.total == 0 and run.tampered == {}  # type: ignore[attr-defined]
    holds = _json(home, "holds list")
    assert len(holds.holds) == 1 and holds.holds[0].active  # type: ignore[attr-defined]
    assert holds.holds[0].reason == "litige en cours"  # type: ignore[attr-defined]
    review = _json(home, "review list")
    assert review.items == []  # type: ignore[attr-defined]


def test_every_json_output_is_tested_and_documented() -> None:
    doc = (ROOT / "docs" / "cli-json.md").read_text(encoding="utf-8")
    tested = Path(__file__).read_text(encoding="utf-8")
    for command in JSON_OUTPUTS:
        assert f"## `quitus {command} --json`" in doc
        assert json_schema_text(command) in doc, f"docs/cli-json.md: the schema of {command} is outdated"
        assert f'"{command}"' in tested
