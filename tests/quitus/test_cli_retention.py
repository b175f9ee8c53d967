"""Retention from the command line, as a compliance officer uses it."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.blind_index import legacy_phone_digest
from storage.keys import load_key_material
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
    number = json.loads(quitus(home, "reports", "show", ids[0], "--json").stdout)["number"]
    assert f"{number}  HELD" in plan.stdout
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
    package = zipfile.ZipFile(tmp_path / "s.zip")
    assert {"subject.json", "resume.html"} <= set(package.namelist())
    (report,) = json.loads(package.read("subject.json"))["reports"]
    assert report["report_id"] == ids[0] and report["retention"]["due"] and report["purposes"]
    number = json.loads(quitus(home, "reports", "show", ids[0], "--json").stdout)["number"]
    erased = quitus(home, "subject", "erase", "--email", email, "--yes")
    assert erased.returncode == 0
    assert erased.stdout.startswith(f"{number}  ")  # the number people read, kept after erasure
    assert "erased" in erased.stdout or "restricted" in erased.stdout
    nobody = quitus(home, "subject", "erase", "--email", "nobody@nowhere.example", "--yes")
    assert "no report of this person" in nobody.stdout

    # the register of requests: every request, found or not, without the values
    register = quitus(home, "subject", "requests", "--format", "json")
    assert register.returncode == 0, register.stderr
    assert [(r["kind"], r["found"], r["terms"]) for r in json.loads(register.stdout)] == [
        ("access", 1, ["email"]),
        ("erasure", 1, ["email"]),
        ("erasure", 0, ["email"]),
    ]
    listed = quitus(home, "subject", "requests")
    assert listed.stdout.count("erasure") == 2 and "found 0" in listed.stdout
    assert "nobody" not in register.stdout + listed.stdout and email not in register.stdout


def test_init_reindexes_phones_written_by_an_older_version(
    installation: tuple[Path, list[str], list[dict]], tmp_path: Path
) -> None:
    home, ids, payloads = installation
    phone = payloads[2]["client"]["phone"]
    digits = re.sub(r"\D", "", phone)
    assert digits.startswith("0")
    index_key = load_key_material(home.parent / f"{home.name}-keys").index_key
    engine = create_engine(f"sqlite:///{home / 'quitus.db'}")
    with engine.begin() as connection:  # the index as version 1 left it: national digits
        connection.execute(text("DELETE FROM subject_index WHERE kind = 'phone'"))
        connection.execute(
            text("INSERT INTO subject_index (report_id, kind, digest) VALUES (:r, 'phone', :d)"),
            {"r": ids[2], "d": legacy_phone_digest(index_key, phone)},
        )
        connection.execute(text("UPDATE subject_index_meta SET version = 1"))
    engine.dispose()
    written_otherwise = f"+33 (0){digits[1]} {digits[2:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}"
    out = str(tmp_path / "p.zip")

    refused = quitus(home, "subject", "export", "--phone", written_otherwise, "-o", out)
    assert refused.returncode == 2 and "quitus subject reindex" in refused.stderr
    by_email = quitus(home, "subject", "export", "--email", payloads[2]["client"]["email"], "-o", out)
    assert by_email.returncode == 0, by_email.stderr

    init = quitus(home, "init")
    assert init.returncode == 0, init.stderr
    with_phone = sum(1 for p in payloads if p["client"].get("phone"))
    assert f"blind index version 2: {len(ids)} report(s) read, {with_phone} re-indexed" in init.stdout
    found = quitus(home, "subject", "export", "--phone", written_otherwise, "-o", out)
    assert found.returncode == 0, found.stderr
    assert "1 report(s)" in found.stdout
    answer = json.loads(zipfile.ZipFile(out).read("subject.json"))
    assert [r["report_id"] for r in answer["reports"]] == [ids[2]]
    again = quitus(home, "subject", "reindex")
    assert again.returncode == 0 and "0 re-indexed" in again.stdout
    assert "blind index" not in quitus(home, "init").stdout  # up to date: nothing to do
    assert quitus(home, "audit", "verify").returncode == 0


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
    assert refused.returncode == 4
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


def test_certificates_of_disposition_and_the_register(
    installation: tuple[Path, list[str], list[dict]], tmp_path: Path
) -> None:
    import datetime as dt
    import hashlib
    import subprocess

    home, ids, payloads = installation
    live = quitus(home, "retention", "certificate", ids[0])
    assert live.returncode == 1
    assert "not disposed of" in live.stderr and "retention plan" in live.stderr
    shredded = [
        i
        for i in ids
        if quitus(home, "reports", "shred", i, "--reason", "subject_request", "--yes").returncode == 0
    ]
    assert shredded, "no report of the installation could be shredded"
    report_id = shredded[0]
    pdf_path, json_path = tmp_path / "c.pdf", tmp_path / "c.json"
    written = quitus(home, "retention", "certificate", report_id, "-o", str(pdf_path))
    assert written.returncode == 0, written.stderr
    assert quitus(home, "retention", "certificate", report_id, "--json", "-o", str(json_path)).returncode == 0
    certificate = json.loads(json_path.read_bytes())
    assert certificate["purpose"] == "erasure_request" and certificate["requested_by"]
    assert certificate["company"]
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Certificat de destruction" in text and report_id in text
    today = dt.datetime.now(dt.UTC).date().isoformat()
    register = quitus(home, "retention", "disposed", "--since", today, "--format", "json")
    assert register.returncode == 0, register.stderr
    rows = {r["report_id"]: r for r in json.loads(register.stdout)}
    assert set(rows) == set(shredded)
    assert rows[report_id]["certificate_sha256"] == hashlib.sha256(json_path.read_bytes()).hexdigest()
    assert rows[report_id]["pdf_issued"] is True
    assert rows[report_id]["certificate_pdf_sha256"] == hashlib.sha256(pdf_path.read_bytes()).hexdigest()
    csv_path = tmp_path / "register.csv"
    assert (
        quitus(
            home, "retention", "disposed", "--since", today, "--format", "csv", "-o", str(csv_path)
        ).returncode
        == 0
    )
    assert csv_path.read_text(encoding="utf-8").splitlines()[0].startswith("report_id,number,disposed_at,")
    table = quitus(home, "retention", "disposed", "--since", today)
    assert f"{len(shredded)} disposed item(s)" in table.stdout
    backwards = quitus(home, "retention", "disposed", "--since", today, "--until", "2000-01-01")
    assert backwards.returncode == 2 and "before --since" in backwards.stderr
    # The last day a date can name has no day after it to end the register at: no overflow.
    last = quitus(
        home, "retention", "disposed", "--since", today, "--until", "9999-12-31", "--format", "json"
    )
    assert last.returncode == 0, last.stderr
    assert {r["report_id"] for r in json.loads(last.stdout)} == set(shredded)
    everything = register.stdout + table.stdout + text + json_path.read_text(encoding="utf-8")
    for payload in payloads:
        for value in (
            payload["client"].get("email"),
            payload["client"]["name"],
            payload["technician"]["name"],
        ):
            assert not value or value not in everything
    assert quitus(home, "audit", "verify").returncode == 0


def test_a_run_refuses_a_report_whose_dates_were_edited_and_fails_loudly(
    installation: tuple[Path, list[str], list[dict]],
) -> None:
    """An intruder with the database file moves an intervention date back 40 years."""
    home, ids, _ = installation
    engine = create_engine(f"sqlite:///{home / 'quitus.db'}")
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE reports SET intervention_date = '1986-01-10' WHERE id = :id"), {"id": ids[1]}
        )
    engine.dispose()
    # the plan and the explanation say what the gate will do: refuse it, not dispose of it
    plan = quitus(home, "retention", "plan")
    assert plan.returncode == 0, plan.stderr
    assert len([line for line in plan.stdout.splitlines() if "TAMPERED (refused" in line]) == 1, plan.stdout
    assert "TAMPERED" in plan.stdout.splitlines()[-1]  # the summary counts it
    explained = quitus(home, "policies", "explain", ids[1])
    assert "TAMPERED" in explained.stdout and "retention facts" in explained.stdout, explained.stdout
    run = quitus(home, "retention", "run")
    assert run.returncode == 1, run.stdout
    assert f"TAMPERING FOUND: {ids[1]}: its retention facts" in " ".join(run.stderr.split())
    assert "quitus audit verify" in run.stderr
    assert "erased" not in quitus(home, "reports", "show", ids[1]).stdout.split("\n")[0]
    assert quitus(home, "audit", "verify").returncode != 0
