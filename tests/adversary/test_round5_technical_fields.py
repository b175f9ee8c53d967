"""Round-5 adversary: personal data typed in fields the anonymized copy prints as they are."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.adversary.round4_support import ingest_payloads, new_home, process, valid_samples
from tests.cli_runner import run_quitus

pytestmark = pytest.mark.slow


def _ingest_one(home: Path, payload: dict[str, object], folder: Path) -> subprocess.CompletedProcess[str]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return run_quitus(home, "ingest", str(path))


@pytest.mark.parametrize(
    ("field", "value"),
    [("serial_number", "tel:0612345678"), ("model", "M Dupont"), ("model", "chez dupont")],
    ids=["tel-prefix", "civility-no-period", "chez-lower-case"],
)
def test_personal_data_in_an_equipment_field_is_refused(tmp_path: Path, field: str, value: str) -> None:
    home = new_home(tmp_path)
    (sample,) = valid_samples(1, unfinished=False, category="chaudiere_gaz")
    payload = json.loads(json.dumps(sample.payload))
    payload["submission_id"] = str(uuid.uuid4())
    payload["equipment"][field] = value
    result = _ingest_one(home, payload, tmp_path / "in")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "technical_personal" in result.stdout, result.stdout
    assert value not in result.stdout + result.stderr


def test_a_phone_typed_as_a_team_identifier_is_not_in_the_anonymized_pdf(tmp_path: Path) -> None:
    home = new_home(tmp_path)
    (sample,) = valid_samples(1, unfinished=False)
    payload = json.loads(json.dumps(sample.payload))
    payload["team"] = [{"id": "0612345678", "name": "Zoé Leblanc"}]
    (report_id,) = ingest_payloads(home, [payload], tmp_path / "in")
    process(home)
    shown = json.loads(run_quitus(home, "reports", "show", report_id, "--json").stdout)
    if shown["state"] == "rejected":  # refused as a technical_personal value: nothing printed
        assert [i["path"] for i in shown["issues"] if i["code"] == "technical_personal"] == ["team[0].id"]
        assert "0612345678" not in json.dumps(shown)
        return
    pdf = tmp_path / "anonymise.pdf"
    written = run_quitus(home, "reports", "pdf", report_id, "--redacted", "-o", str(pdf))
    assert written.returncode == 0, written.stdout + written.stderr
    text = "".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
    assert "Leblanc" not in text  # the name is redacted, as docs/web.md says
    assert "0612345678" not in text, "the phone typed as an identifier is in the anonymized copy"
