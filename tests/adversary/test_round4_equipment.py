"""Round-4 adversary: the equipment fields are trusted verbatim.

A technician types the client's name and phone into the equipment's model (or serial number):
the report is accepted, the new equipment register (docs/web.md, *The equipment's history*)
copies the text **in clear** into the ``equipment`` table — ARCHITECTURE.md invariant 1: the
database files hold none of the captured values — and the *anonymized* sealed PDF prints it,
because the report's own brand, model and serial number are kept "whatever a recognizer
thinks" (docs/pii.md, *What is kept*), even when they are a civility, a surname and a phone.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.adversary.round4_support import ingest_payloads, new_home, process, valid_samples
from tests.cli_runner import run_quitus

pytestmark = pytest.mark.slow

SURNAME = "Quenouille"
PHONE = "06 11 22 33 44"


@pytest.mark.parametrize("field", ["model", "serial_number"])
def test_a_phone_typed_in_an_equipment_field_is_neither_stored_in_clear_nor_in_the_anonymized_pdf(
    tmp_path: Path, field: str
) -> None:
    """Found by the round-4 adversary; fixed by reports.technical_fields (the report is refused
    with a technical_personal issue that does not quote the value)."""
    assert shutil.which("pdftotext"), "poppler-utils is needed"
    home = new_home(tmp_path)
    payload = valid_samples(1, unfinished=False, category="chaudiere_gaz")[0].payload
    payload["equipment"][field] = f"Naneo chez Mme {SURNAME} {PHONE}"
    [report_id] = ingest_payloads(home, [payload], tmp_path / "inbox")
    process(home)
    with sqlite3.connect(home / "quitus.db") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        clear = {
            table: [
                row
                for row in db.execute(f'SELECT * FROM "{table}"')
                if SURNAME in json.dumps(row, default=str)
            ]
            for table in tables
        }
    assert {table: rows for table, rows in clear.items() if rows} == {}
    state = json.loads(run_quitus(home, "reports", "show", report_id, "--json").stdout)["state"]
    if state == "archived":  # accepted: what the anonymized PDF says
        pdf = tmp_path / "anonymise.pdf"
        written = run_quitus(home, "reports", "pdf", report_id, "--redacted", "-o", str(pdf))
        assert written.returncode == 0, written.stderr
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert PHONE not in text and PHONE.replace(" ", "") not in text
        assert SURNAME not in text
