"""Retention from the command line, as a compliance officer uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

quitus = run_quitus


@pytest.fixture
def installation(tmp_path: Path) -> tuple[Path, list[str], list[dict]]:
    home = tmp_path / "home"
    assert quitus(home, "init").returncode == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    samples = generate_samples(
        TemplateCatalog.load(), 4, seed=9, invalid_share=0, unfinished_share=0, photo_size=(96, 72)
    )
    for number, sample in enumerate(samples):
        (inbox / f"{number}.json").write_text(
            json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8"
        )
    lines = quitus(home, "ingest", "--format", "jsonl", str(inbox)).stdout.splitlines()
    return home, [json.loads(line)["report_id"] for line in lines], [s.payload for s in samples]


def test_a_bad_policy_file_is_named_with_its_line(installation: tuple[Path, list[str], list[dict]]) -> None:
    home, _, _ = installation
    (home / "policies" / "mine.yaml").write_text(
        "id: acme.x\ntitle: X\nduration: five years\n", encoding="utf-8"
    )
    result = quitus(home, "policies", "validate")
    assert result.returncode == 1
    assert "mine.yaml:3: duration: 'five years' is not an ISO 8601 duration" in result.stdout
    assert "mine.yaml:1: legal_basis: Field required" in result.stdout


def test_plan_hold_run_explain(installation: tuple[Path, list[str], list[dict]]) -> None:
    home, ids, _ = installation
    explained = quitus(home, "policies", "explain", ids[0])
    assert explained.returncode == 0
    assert "fr.preuve-contractuelle: applies" in explained.stdout
    held = quitus(home, "holds", "place", "--reason", "RG-2026-1", "--report", ids[0])
    assert held.returncode == 0 and "placed hold-" in held.stdout
    plan = quitus(home, "retention", "plan", "--at", "2040-01-01")
    assert f"{ids[0]}  HELD" in plan.stdout
    assert "dry run: nothing was changed" in plan.stdout
    # --at plans, it never executes: a run "as of 2040" is refused and points to the plan
    early = quitus(home, "retention", "run", "--at", "2040-01-01")
    assert early.returncode == 2
    assert "retention plan --at 2040-01-01" in early.stderr
    run = quitus(home, "retention", "run")
    assert run.returncode == 0, run.stderr
    assert "validated" in quitus(home, "reports", "show", ids[0]).stdout.split("\n")[0]  # kept: held
    firsts = [quitus(home, "reports", "show", i).stdout.split("\n")[0] for i in ids]
    assert not any("erased" in first for first in firsts)  # nothing generated today is due today
    assert quitus(home, "run", "retention", "--at", "2040-01-01").returncode == 2
    assert quitus(home, "audit", "verify").returncode == 0


def test_subject_export_and_erase(installation: tuple[Path, list[str], list[dict]], tmp_path: Path) -> None:
    home, ids, payloads = installation
    email = payloads[0]["client"]["email"]
    exported = quitus(home, "subject", "export", "--email", email.upper(), "-o", str(tmp_path / "s.zip"))
    assert exported.returncode == 0, exported.stderr
    assert "1 report(s)" in exported.stdout
    erased = quitus(home, "subject", "erase", "--email", email, "--yes")
    assert erased.returncode == 0
    assert ids[0] in erased.stdout
    assert "erased" in erased.stdout or "restricted" in erased.stdout
    nobody = quitus(home, "subject", "erase", "--email", "nobody@nowhere.example", "--yes")
    assert "no report of this person" in nobody.stdout


def test_erasure_under_a_legal_obligation_restricts_and_reading_then_needs_a_justification(
    installation: tuple[Path, list[str], list[dict]],
) -> None:
    home, ids, payloads = installation
    (home / "policies" / "obligation.yaml").write_text(
        "id: acme.obligation\ntitle: Tout garder dix ans\nlegal_basis:\n  text: Obligation.\n"
        "  references: [Test]\n  obligation: true\ntrigger:\n  kind: intervention_date\n"
        "duration: P99Y\naction: delete\n",
        encoding="utf-8",
    )
    erased = quitus(home, "subject", "erase", "--name", payloads[1]["client"]["name"], "--yes")
    assert "restricted" in erased.stdout and "Art. 17(3)(b)" in erased.stdout
    refused = quitus(home, "reports", "show", ids[1], "--reveal")
    assert refused.returncode == 2
    assert "needs --justify" in refused.stderr
    allowed = quitus(home, "reports", "show", ids[1], "--reveal", "--justify", "litigation")
    assert allowed.returncode == 0 and '"client"' in allowed.stdout
    bad = quitus(home, "reports", "show", ids[1], "--reveal", "--justify", "because I want")
    assert bad.returncode == 2 and "takes a code" in bad.stderr


def test_a_simulated_date_is_refused_in_a_real_home(
    installation: tuple[Path, list[str], list[dict]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, ids, _ = installation
    monkeypatch.setenv("QUITUS_SIMULATED_TODAY", "2040-01-01")
    run = quitus(home, "retention", "run")
    assert run.returncode == 2
    assert "only honoured in a simulation home" in run.stderr
    assert quitus(home, "review", "approve", ids[0]).returncode == 2
    became = quitus(home, "init", "--simulation")
    assert became.returncode == 2
    assert "only a new, empty home can become a simulation home" in became.stderr
    monkeypatch.delenv("QUITUS_SIMULATED_TODAY")
    assert not any("erased" in quitus(home, "reports", "show", i).stdout.split("\n")[0] for i in ids)


def test_a_simulation_home_runs_retention_at_its_simulated_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "simulation"
    created = quitus(home, "init", "--simulation")
    assert created.returncode == 0 and "simulation home" in created.stdout
    sample = next(s for s in generate_samples(TemplateCatalog.load(), 6, seed=8) if s.expected == "valid")
    (tmp_path / "r.json").write_text(json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8")
    quitus(home, "ingest", str(tmp_path / "r.json"))
    monkeypatch.setenv("QUITUS_SIMULATED_TODAY", "2060-01-01")
    run = quitus(home, "retention", "run")
    assert run.returncode == 0, run.stderr
    assert "retention run on 2060-01-01: 1 disposition(s)" in run.stdout
    assert quitus(home, "audit", "verify").returncode == 0
