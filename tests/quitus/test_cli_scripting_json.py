"""``--json`` as a script reads it: each command's real output validates against the model
quitus/cli_json.py declares, and docs/cli-json.md shows that model's schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from quitus.cli_json import JSON_OUTPUTS, json_schema_text
from quitus.exit_codes import ExitCode
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import free_port, run_quitus

# Among the suite's longest (tens of seconds): scheduled with the slow tests, first.
pytestmark = pytest.mark.slow

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


def test_policies_validate_show_explain(installation: tuple[Path, list[str]], tmp_path: Path) -> None:
    home, ids = installation
    valid = _json(home, "policies validate")
    assert valid.valid and valid.policies and valid.problems == []  # type: ignore[attr-defined]
    broken = tmp_path / "policies"
    broken.mkdir()
    (broken / "bad.yaml").write_text("id: x\nduration: forever\n", encoding="utf-8")
    refused = run_quitus(home, "policies", "validate", str(broken), "--json")
    assert refused.returncode == 1
    report = JSON_OUTPUTS["policies validate"].model_validate_json(refused.stdout)
    assert not report.valid and report.problems and "bad.yaml" in report.problems[0]  # type: ignore[attr-defined]
    ref = _json(home, "policies list").policies[0]  # type: ignore[attr-defined]
    shown = _json(home, "policies show", ref.id)
    assert shown.ref == ref.ref and f"id: {ref.id}" in shown.text  # type: ignore[attr-defined]
    explained = _json(home, "policies explain", ids[0])
    assert explained.report_id == ids[0] and not explained.erased  # type: ignore[attr-defined]
    assert explained.winner in explained.policies and explained.due  # type: ignore[attr-defined]
    assert explained.held_by and explained.reasons  # type: ignore[attr-defined]  # ids[0] is held
    missing = run_quitus(home, "policies", "explain", "RI-20990101-deadbeef", "--json")
    assert missing.returncode == ExitCode.NOT_FOUND and missing.stdout == ""


def test_policies_diff(installation: tuple[Path, list[str]], tmp_path: Path) -> None:
    home, _ids = installation
    in_force = _json(home, "policies list").policies  # type: ignore[attr-defined]
    kept, edited = in_force[0], in_force[1]
    proposed = tmp_path / "proposed"
    proposed.mkdir()
    (proposed / "kept.yaml").write_text(_json(home, "policies show", kept.id).text, encoding="utf-8")  # type: ignore[attr-defined]
    text = _json(home, "policies show", edited.id).text  # type: ignore[attr-defined]
    (proposed / "edited.yaml").write_text(text + "# relu par le DPO\n", encoding="utf-8")
    diff = _json(home, "policies diff", str(proposed))
    changes = {c.policy_id: c for c in diff.changes}  # type: ignore[attr-defined]
    assert kept.id not in changes
    assert changes[edited.id].change == "edited" and changes[edited.id].old_ref == edited.ref
    assert "+# relu par le DPO" in changes[edited.id].diff
    removed = {p.id for p in in_force} - {kept.id, edited.id}
    assert {i for i, c in changes.items() if c.change == "removed"} == removed


def test_templates_list_and_show(installation: tuple[Path, list[str]]) -> None:
    home, _ids = installation
    listed = _json(home, "templates list")
    assert listed.templates and listed.broken == []  # type: ignore[attr-defined]
    first = listed.templates[0]  # type: ignore[attr-defined]
    shown = _json(home, "templates show", first.id)
    assert shown.template["id"] == first.id  # type: ignore[attr-defined]
    assert len(shown.template["checklist"]) == first.checklist  # type: ignore[attr-defined]
    (home / "templates").mkdir(exist_ok=True)
    (home / "templates" / "x.yaml").write_text("id: broken.one\n", encoding="utf-8")
    try:
        result = run_quitus(home, "templates", "list", "--json")
        assert result.returncode == 1
        broken = JSON_OUTPUTS["templates list"].model_validate_json(result.stdout)
        assert broken.broken and broken.broken[0].problems  # type: ignore[attr-defined]
    finally:
        (home / "templates" / "x.yaml").unlink()


def _quitus_env(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUITUS_HOME": str(home), "NO_COLOR": "1", **extra}
    for name in list(env):
        if name.startswith("PREFECT_") or name == "QUITUS_DATABASE_URL":
            env.pop(name)
    return subprocess.run(
        [sys.executable, "-m", "quitus", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


class _Accepting:
    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.recipients.extend(envelope.rcpt_tos)
        return "250 2.0.0 accepted"


@pytest.mark.slow
def test_run_deliver_reschedule_verify_proof_requests(tmp_path: Path) -> None:
    """A day's flow through the JSON of every command a script reads: intake, delivery with a
    real SMTP server, follow-ups, the ledger's verification, a proof bundle, the register."""
    from aiosmtpd.controller import Controller

    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    samples = generate_samples(
        TemplateCatalog.load(), 4, seed=33, invalid_share=0, unfinished_share=0.5, photo_size=(96, 72)
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number, sample in enumerate(samples):
        (inbox / f"{number}.json").write_text(
            json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8"
        )
    assert run_quitus(home, "ingest", str(inbox)).returncode == 0

    ran = run_quitus(home, "run", "intake", "--json")
    assert ran.returncode == 0, ran.stderr
    intake = JSON_OUTPUTS["run"].model_validate(json.loads(ran.stdout))
    assert intake.flow == "intake" and intake.counts["archive"] == 4  # type: ignore[attr-defined]

    handler = _Accepting()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = {
            "QUITUS_SMTP_HOST": "127.0.0.1",
            "QUITUS_SMTP_PORT": str(port),
            "QUITUS_SMTP_STARTTLS": "false",
        }
        smtp["QUITUS_SMTP_SENDER"] = "rapports@example.fr"
        sent = _quitus_env(home, "deliver", "--json", **smtp)
    finally:
        controller.stop()
    assert sent.returncode == 0, sent.stderr
    delivery = JSON_OUTPUTS["deliver"].model_validate_json(sent.stdout)
    assert len(delivery.sent) + len(delivery.skipped) == 4 and delivery.failed == {}  # type: ignore[attr-defined]
    assert len(handler.recipients) == len(delivery.sent)  # type: ignore[attr-defined]
    assert "@" not in sent.stdout  # report ids and codes, never an address

    followups = _json(home, "reports reschedule", "--status", "all")
    assert sorted(f.report_id for f in followups.followups) == sorted(delivery.followups)  # type: ignore[attr-defined]
    assert delivery.followups and all(f.status == "open" for f in followups.followups)  # type: ignore[attr-defined]

    verified = _json(home, "audit verify")
    assert verified.ok and verified.entries > 0 and verified.problems == []  # type: ignore[attr-defined]

    report_id = json.loads(run_quitus(home, "reports", "list", "--json").stdout)["reports"][0]["id"]
    bundle = tmp_path / "proof.zip"
    assert run_quitus(home, "proof", "export", report_id, "-o", str(bundle)).returncode == 0
    fingerprint = run_quitus(home, "audit", "key").stdout.rsplit(" ", 1)[1].strip()
    proof = _json(home, "proof verify", str(bundle), "--fingerprint", fingerprint)
    assert proof.ok and proof.report_id == report_id and proof.entries > 0  # type: ignore[attr-defined]
    forged = run_quitus(home, "proof", "verify", str(bundle), "--fingerprint", "00" * 32, "--json")
    assert forged.returncode == ExitCode.REJECTED
    refused = JSON_OUTPUTS["proof verify"].model_validate_json(forged.stdout)
    assert not refused.ok and refused.problems  # type: ignore[attr-defined]

    email = samples[0].payload["client"]["email"]
    asked = run_quitus(home, "subject", "export", "--email", email, "-o", str(tmp_path / "s.zip"))
    assert asked.returncode == 0, asked.stderr
    register = _json(home, "subject requests")
    assert [r.kind for r in register.requests] == ["access"]  # type: ignore[attr-defined]
    assert register.requests[0].terms == ["email"] and register.requests[0].found >= 1  # type: ignore[attr-defined]
    text = run_quitus(home, "subject", "requests", "--json").stdout
    assert email not in text

    retention = _json(home, "run", "retention")
    assert retention.flow == "retention" and retention.counts["tampered"] == 0  # type: ignore[attr-defined]


def test_the_visits_commands_json_is_checked_by_their_own_tests() -> None:
    """``"visits list"``, ``"visits plan"``, ``"visits move"`` and ``"visits cancel"`` need unfinished
    reports: tests/quitus/test_cli_visits.py runs each and validates what it prints."""
    theirs = (ROOT / "tests" / "quitus" / "test_cli_visits.py").read_text(encoding="utf-8")
    for command in ("visits list", "visits plan", "visits move", "visits cancel"):
        assert f'_json(home, "{command}"' in theirs, command
