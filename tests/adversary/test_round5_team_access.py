"""Round-5 adversary: what a team member (not the technician who sent the report) may do with it."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import httpx
import pytest

from tests.adversary.round4_support import new_home, process, valid_samples
from tests.cli_runner import run_quitus, serving_quitus

pytestmark = pytest.mark.slow


def _token(home: Path, handle: str) -> str:
    assert run_quitus(home, "users", "add", handle, "--role", "technician").returncode == 0
    created = run_quitus(home, "tokens", "create", handle, "--label", "tablette")
    match = re.search(r"qt_[A-Za-z0-9_-]+", created.stdout)
    assert match, created.stdout + created.stderr
    return match.group(0)


def test_a_team_member_cannot_mint_a_portal_link_to_the_full_pdf(tmp_path: Path) -> None:
    home = new_home(tmp_path)
    _token(home, "tech-001")
    member = _token(home, "tech-002")
    (sample,) = valid_samples(1, unfinished=False)
    payload = json.loads(json.dumps(sample.payload))
    payload["submission_id"] = str(uuid.uuid4())
    payload["technician"]["id"] = "tech-001"
    payload["team"] = [{"id": "tech-002", "name": "Paul Martin"}]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    sent = run_quitus(home, "--as", "tech-001", "ingest", str(path))
    assert "accepted" in sent.stdout, sent.stdout + sent.stderr
    report_id = next(w for w in sent.stdout.split() if w.startswith("RI-01"))
    process(home)

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "QUITUS_DATABASE_URL"}
    env["QUITUS_HOME"] = str(home)
    with serving_quitus(env, tmp_path / "serve.log") as (base_url, _process):
        headers = {"Authorization": f"Bearer {member}"}
        api = f"{base_url}/api/v1"
        # The team member finds the report (docs/web.md, Several technicians) but not its full PDF.
        assert httpx.get(f"{api}/reports/{report_id}", headers=headers).status_code == 200
        assert httpx.get(f"{api}/reports/{report_id}/pdf/full", headers=headers).status_code == 403
        # A portal link is for "a report they sent" (docs/web.md, The client portal; docs/api.md, Roles).
        link = httpx.post(f"{api}/reports/{report_id}/portal-links", headers=headers, json={})
        full_pdf_status = None
        if link.status_code in (200, 201):
            full_pdf_status = httpx.get(f"{base_url}{link.json()['pdf_path']}").status_code
        assert link.status_code in (403, 404), (link.status_code, full_pdf_status)
