"""A client generated from the published contract works against a real server.

``quitus serve`` runs on loopback; its ``/openapi.json`` is given to openapi-python-client
(offline: any network access would go through a proxy that does not exist) in a
temporary folder; the generated package is imported and the main calls are made with it,
each answer parsed into the generated models: health, capture a report (with an
``Idempotency-Key``), its status, the list of reports (a page and its cursor), a hold,
the list of holds, and an error answer parsed as the ``ErrorBody`` problem.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from quitus.settings import Settings
from quitus.wiring import initialize, open_app
from storage.access_store import AccessStore, Role
from tests.api_client import sample_reports
from tests.cli_runner import serving_quitus

pytestmark = pytest.mark.slow  # a server process and a code generator: about 10 s

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "quitus_generated_client"


def _tokens(home: Path) -> dict[str, str]:
    settings = Settings(home=home)
    initialize(settings)
    opened = open_app(settings)
    try:
        access = AccessStore(opened.store)
        tokens = {}
        for handle, role in (("tech-1", Role.TECHNICIAN), ("dpo-1", Role.COMPLIANCE)):
            access.add_user(handle, role, actor="test")
            tokens[handle] = access.create_token(handle, actor="test")[1]
        return tokens
    finally:
        opened.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("generated-client")
    home = root / "home"
    tokens = _tokens(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "QUITUS_DATABASE_URL"}
    with serving_quitus({**env, "QUITUS_HOME": str(home), "NO_COLOR": "1"}, root / "serve.log") as (url, _):
        yield url, tokens


@pytest.fixture(scope="module")
def client_package(
    served: tuple[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModuleType]:
    base_url, _ = served
    out = tmp_path_factory.mktemp("generated")
    spec = out / "openapi.json"
    spec.write_bytes(httpx.get(f"{base_url}/openapi.json", timeout=30).content)
    offline = {
        **os.environ,
        "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}",  # its ruff post-hooks
        "HTTP_PROXY": "http://127.0.0.1:9",  # nothing listens there: a download would fail
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "ALL_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    generated = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--output-path",
            str(out / PACKAGE),
        ],
        env=offline,
        cwd=out,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert (out / PACKAGE / "api" / "reports" / "capture_report.py").is_file(), generated.stdout
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_the_main_calls_work_with_a_client_generated_from_the_contract(
    served: tuple[str, dict[str, str]], client_package: ModuleType
) -> None:
    base_url, tokens = served
    api = client_package
    technician = api.AuthenticatedClient(base_url=base_url, token=tokens["tech-1"])
    compliance = api.AuthenticatedClient(base_url=base_url, token=tokens["dpo-1"])
    models = _module(api, "models")

    health = _module(api, "api.service.health").sync_detailed(client=api.Client(base_url=base_url))
    assert health.status_code == 200 and health.parsed.status == "ok"

    payload = json.loads(json.dumps(sample_reports(1, seed=91)[0].payload))
    report = models.InterventionReport.from_dict(payload)
    capture = _module(api, "api.reports.capture_report")
    captured = capture.sync_detailed(client=technician, body=report, idempotency_key="generated-client-1")
    assert captured.status_code == 202, captured.content[:300]
    receipt = captured.parsed
    assert isinstance(receipt, models.CaptureReceipt) and receipt.receipt == "new"
    again = capture.sync_detailed(client=technician, body=report, idempotency_key="generated-client-1")
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.parsed.report_id == receipt.report_id

    status = _module(api, "api.reports.report_status").sync_detailed(receipt.report_id, client=technician)
    assert status.status_code == 200 and status.parsed.id == receipt.report_id
    assert status.parsed.state in {"captured", "validated", "rejected"}

    listed = _module(api, "api.reports.list_reports").sync_detailed(client=compliance, limit=1)
    assert listed.status_code == 200
    assert [r.id for r in listed.parsed.reports] == [receipt.report_id]
    assert listed.parsed.next_cursor is None  # a single report: one page

    request = models.HoldRequest(reason="RG-CLIENT-1", report_ids=[receipt.report_id])
    placed = _module(api, "api.retention.place_hold").sync_detailed(client=compliance, body=request)
    assert placed.status_code == 201 and isinstance(placed.parsed, models.HoldOut)
    holds = _module(api, "api.retention.list_holds").sync_detailed(client=compliance)
    assert holds.status_code == 200 and [h.id for h in holds.parsed] == [placed.parsed.id]

    unknown = _module(api, "api.reports.report_status").sync_detailed(
        "RI-00000000000000000000000000", client=compliance
    )
    assert unknown.status_code == 404
    assert isinstance(unknown.parsed, models.ErrorBody) and unknown.parsed.code == "report_not_found"
    assert unknown.parsed.type_ == "urn:quitus:problem:report_not_found"
