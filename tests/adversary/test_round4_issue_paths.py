"""Round-4 adversary: a rejected report's issues quote what was submitted.

docs/api.md: issues carry "a stable code and a message in English and French — never a
submitted value"; "An unknown field is named only as `(unknown field)`". docs/capture.md and
ARCHITECTURE.md: the database files hold none of the captured values. A key of a submitted
mapping (a field of ``client``, a ``selections`` choice) or an unknown checklist/measurement id
is copied into the issue's path and message, which are stored in clear in ``reports.issues``
and printed by ``reports show --json`` (and the API's report status).
"""

from __future__ import annotations

import copy
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.adversary.round4_support import ingest_payloads, new_home, valid_samples
from tests.cli_runner import run_quitus

pytestmark = pytest.mark.slow

NAME_KEY = "zoe_quenouille_0611223344"  # a client's name and phone typed where a key goes
NAME_TEXT = "Zoé Quenouille 06 11 22 33 44"


def _unknown_client_field(payload: dict[str, Any]) -> str:
    payload["client"][NAME_KEY] = "x"
    return NAME_KEY


def _selection_key_with_spaces(payload: dict[str, Any]) -> str:
    payload.setdefault("selections", {})[NAME_TEXT] = "Bon"
    return NAME_TEXT


def _unknown_selection(payload: dict[str, Any]) -> str:
    payload.setdefault("selections", {})[NAME_KEY] = "Bon"
    return NAME_KEY


def _unknown_checklist_item(payload: dict[str, Any]) -> str:
    payload["checklist"].append({"id": NAME_KEY, "status": "fait"})
    return NAME_KEY


def _unknown_measurement(payload: dict[str, Any]) -> str:
    payload["measurements"].append({"id": NAME_KEY, "value": 1, "unit": "ppm"})
    return NAME_KEY


@pytest.mark.parametrize(
    "inject",
    [
        _unknown_client_field,
        _selection_key_with_spaces,
        _unknown_selection,
        _unknown_checklist_item,
        _unknown_measurement,
    ],
    ids=lambda f: f.__name__.lstrip("_"),
)
def test_a_rejected_report_keeps_no_submitted_key_in_clear(
    tmp_path: Path, inject: Callable[[dict[str, Any]], str]
) -> None:
    home = new_home(tmp_path)
    payload = copy.deepcopy(valid_samples(1, unfinished=False, category="chaudiere_gaz")[0].payload)
    payload["submission_id"] = str(uuid.uuid4())
    value = inject(payload)
    [report_id] = ingest_payloads(home, [payload], tmp_path / "inbox")
    shown = run_quitus(home, "reports", "show", report_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert '"rejected"' in shown.stdout, shown.stdout  # rejected, as it should be
    with sqlite3.connect(home / "quitus.db") as db:
        stored = "\n".join(str(row[0]) for row in db.execute("SELECT issues FROM reports"))
    assert value not in shown.stdout
    assert "quenouille" not in stored.lower()  # the surname, however the JSON column escapes it
