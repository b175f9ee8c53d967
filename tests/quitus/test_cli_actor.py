"""Who the audit ledger names for a command: ``quitus --as``, else ``QUITUS_ACTOR``, else the OS user."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from quitus.settings import load_settings
from quitus.wiring import App, open_app
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.ledger.events import decode_entry
from tests.cli_runner import run_quitus

quitus = run_quitus


@pytest.fixture(autouse=True)
def _no_actor_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUITUS_ACTOR", raising=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    result = quitus(tmp_path / "home", "init")
    assert result.returncode == 0, result.stderr
    return tmp_path / "home"


@pytest.fixture
def report_id(home: Path, tmp_path: Path) -> str:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (sample,) = generate_samples(
        TemplateCatalog.load(), 1, seed=5, invalid_share=0, unfinished_share=0, photo_size=(96, 72)
    )
    (inbox / "0.json").write_text(json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8")
    ingested = quitus(home, "ingest", "--format", "jsonl", str(inbox))
    assert ingested.returncode == 0, ingested.stderr
    return str(json.loads(ingested.stdout)["report_id"])


@pytest.fixture
def app(home: Path) -> Iterator[App]:
    opened = open_app(load_settings({"QUITUS_HOME": str(home)}))
    yield opened
    opened.close()


def last_actor(app: App, step: str) -> str:
    entry = app.ledger.last_entry(step)
    assert entry is not None, f"no {step} event in the ledger"
    return str(decode_entry(entry.entry)["actor"])


def test_as_names_the_operator_who_places_a_hold(home: Path, report_id: str, app: App) -> None:
    placed = quitus(home, "--as", "dpo-01", "holds", "place", "--reason", "RG-2026-7", "--report", report_id)
    assert placed.returncode == 0, placed.stderr
    assert "warning" not in placed.stderr  # no user table yet: nothing to check the handle against
    assert last_actor(app, "hold.place") == "dpo-01"
    captured = [decode_entry(e.entry) for e in app.ledger.entries_for_report(report_id)]
    assert {e["actor"] for e in captured} == {f"os:{getpass.getuser()}"}  # ingested without --as


def test_without_as_the_ledger_names_the_os_user(home: Path, app: App) -> None:
    rotated = quitus(home, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert last_actor(app, "kek.rotate") == f"os:{getpass.getuser()}"


def test_quitus_actor_names_the_process_and_as_wins_over_it(
    home: Path, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUITUS_ACTOR", "svc-archive")
    assert quitus(home, "keys", "rotate").returncode == 0
    assert last_actor(app, "kek.rotate") == "svc-archive"
    assert quitus(home, "--as", "dpo-01", "keys", "rotate").returncode == 0
    assert last_actor(app, "kek.rotate") == "dpo-01"


@pytest.mark.parametrize(
    ("handle", "said"),
    [
        ("Jean Dupont", "a staff identifier such as dpo-01"),
        ("", "a staff identifier such as dpo-01"),
        ("x" * 65, "a staff identifier such as dpo-01"),
        ("os:root", "cannot start with os: or job:"),
        ("job:retention", "cannot start with os: or job:"),
        ("jeanne.leroy@exemple.fr", "looks like an e-mail address"),
        ("0611223344", "looks like a telephone number"),
        ("+33611223344", "looks like a telephone number"),
    ],
)
def test_a_handle_the_ledger_cannot_hold_is_refused_before_anything_is_done(
    home: Path, app: App, handle: str, said: str
) -> None:
    size = app.ledger.size()
    refused = quitus(home, "--as", handle, "keys", "rotate")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: --as") and said in " ".join(refused.stderr.split())
    assert "Traceback" not in refused.stderr and refused.stdout == ""
    assert handle == "" or handle not in refused.stderr  # never quoted back
    assert app.ledger.size() == size


def test_a_bad_quitus_actor_is_named(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUITUS_ACTOR", "Jean Dupont")
    refused = quitus(home, "keys", "rotate")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: QUITUS_ACTOR: an actor is") and "Traceback" not in refused.stderr


def test_a_handle_missing_from_the_user_table_is_warned_about_not_refused(home: Path, app: App) -> None:
    bootstrap = quitus(home, "--as", "admin-01", "users", "add", "admin-01", "--role", "admin")
    assert bootstrap.returncode == 0, bootstrap.stderr
    assert "warning" not in bootstrap.stderr
    assert last_actor(app, "user.add") == "admin-01"

    known = quitus(home, "--as", "admin-01", "keys", "rotate")
    assert known.returncode == 0 and "warning" not in known.stderr

    unknown = quitus(home, "--as", "intern-9", "keys", "rotate")
    assert unknown.returncode == 0, unknown.stderr
    assert "warning: intern-9 is not a quitus user" in unknown.stderr
    assert last_actor(app, "kek.rotate") == "intern-9"

    assert quitus(home, "--as", "admin-01", "users", "disable", "admin-01").returncode == 0
    disabled = quitus(home, "--as", "admin-01", "keys", "rotate")
    assert disabled.returncode == 0 and "warning: user admin-01 is disabled" in disabled.stderr
