"""The equipment's history reaches the sealed PDF: a second report about the same unit,
through the real intake stages, prints the first one as its *dernière intervention*."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.api_client import open_harness, process_reports, sample_reports

pytestmark = pytest.mark.slow  # the intake stages load the PII engine


def test_the_second_report_about_a_unit_names_the_first(tmp_path: Path) -> None:
    with open_harness(tmp_path / "home") as harness:
        samples = sample_reports(8, seed=17)
        first, second = next(
            (a, b) for n, a in enumerate(samples) for b in samples[n + 1 :] if a.template_id == b.template_id
        )
        unit = {**first.payload["equipment"], "serial_number": "SN-TEST-000042"}
        for sample in (first, second):
            sample.payload["equipment"] = unit
        ids = [harness.capture(s.payload)["report_id"] for s in (first, second)]
        process_reports(harness)
        store = harness.context.app.store
        numbers = [store.get(i).number for i in ids]
        pdf = harness.client.get(f"/api/v1/reports/{ids[1]}/pdf/redacted", headers=harness.auth("technician"))
        assert pdf.status_code == 200
        path = tmp_path / "second.pdf"
        path.write_bytes(pdf.content)
        text = " ".join(
            subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout.split()
        )
        day = store.get(ids[0]).intervention_date
        assert day is not None
        assert re.search(rf"Dernière intervention : {day.strftime('%d/%m/%Y')}, .*\({numbers[0]}\)", text), (
            text[:2000]
        )
