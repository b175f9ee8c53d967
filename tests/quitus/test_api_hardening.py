"""Hardening: size limits, upload types by content, security headers, logs and errors without data."""

from __future__ import annotations

import base64
import copy
import json
import logging
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reports.samples import make_photo
from retention.holds import HoldService
from tests.api_client import ApiHarness, open_harness, sample_reports

PERSONAL = {
    "name": "Jeanne Martin-Lefèvre",
    "email": "jeanne.martin@exemple.fr",
    "phone": "06 12 34 56 78",
    "street": "17 rue des Acacias",
}


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    with open_harness(tmp_path_factory.mktemp("hardening") / "home", max_request_bytes=256 * 1024) as harness:
        yield harness


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    values = [*PERSONAL.values(), "jeanne", "martin", "acacias", "0612345678"]
    return [v for v in values if v.lower() in lowered]


def _server_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the server logged (the test client's own request log is left out)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "PIL")))


def _json(harness: ApiHarness, who: str = "technician") -> dict[str, str]:
    return {**harness.auth(who), "Content-Type": "application/json"}


def test_bad_input_full_of_personal_data_is_refused_without_echoing_it(
    harness: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = harness.client
    payload: dict[str, Any] = copy.deepcopy(sample_reports(1, seed=5)[0].payload)
    payload["client"]["name"] = PERSONAL["name"]
    payload["client"]["email"] = PERSONAL["email"]
    payload["arrival"] = f"{PERSONAL['name']} {PERSONAL['phone']}"  # not a date
    payload["client"]["phone"] = {"nested": PERSONAL["phone"]}  # not a string
    payload[PERSONAL["email"]] = PERSONAL["street"]  # an unknown field named after a person
    answers = [
        client.post("/api/v1/reports", content=json.dumps(payload).encode(), headers=_json(harness)),
        client.post(
            "/api/v1/holds",
            json={
                "reason": f"dossier {PERSONAL['name']}",
                "subject": {"email": PERSONAL["email"], PERSONAL["name"]: PERSONAL["phone"]},
            },
            headers=harness.auth("compliance"),
        ),
        client.post(
            "/api/v1/subjects/erase", json={"name": PERSONAL["name"]}, headers=harness.auth("compliance")
        ),
        client.get(f"/api/v1/retention/plan?at={PERSONAL['email']}", headers=harness.auth("compliance")),
        client.get(f"/api/v1/reports/{PERSONAL['email']}", headers=harness.auth("compliance")),
        client.get(f"/api/v1/templates/{PERSONAL['name']}", headers=harness.auth("compliance")),
        client.post(
            "/api/v1/reports",
            content=b"{" + PERSONAL["street"].encode() + b"}",
            headers={**harness.auth("technician"), "Content-Type": "text/plain"},
        ),
    ]
    rejected = answers[0].json()
    assert answers[0].status_code == 202 and rejected["state"] == "rejected"
    assert {i["path"] for i in rejected["issues"]} >= {"arrival", "client.phone", "(unknown field)"}
    status = client.get(rejected["status_url"], headers=harness.auth("technician"))
    assert [a.status_code for a in answers[1:]] == [422, 422, 422, 422, 422, 415]
    for answer in [*answers, status]:
        assert not _leaks(answer.text), answer.text
    assert not _leaks(_server_log(caplog))
    unknown = [p["where"] for p in answers[1].json()["error"]["problems"]]
    assert "body.subject.(unknown field)" in unknown


def test_an_unexpected_error_answers_500_with_an_id_and_logs_no_message(
    harness: ApiHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: HoldService, *, include_released: bool = False) -> list[Any]:
        raise RuntimeError(f"row for {PERSONAL['name']} <{PERSONAL['email']}> is corrupt")

    monkeypatch.setattr(HoldService, "list", broken)
    caplog.set_level(logging.DEBUG)
    answer = harness.client.get("/api/v1/holds", headers=harness.auth("compliance"))
    assert answer.status_code == 500
    error = answer.json()["error"]
    assert error["code"] == "internal_error" and len(error["error_id"]) == 12
    assert not _leaks(answer.text)
    log = _server_log(caplog)
    assert error["error_id"] in log and "RuntimeError" in log
    assert "GET /api/v1/holds" in log
    assert not _leaks(log)


def test_the_access_log_names_route_templates_and_users_never_paths_or_queries(
    harness: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="quitus.api.access")
    report_id = harness.capture(sample_reports(1, seed=6)[0].payload)["report_id"]
    link = harness.client.post(
        f"/api/v1/reports/{report_id}/portal-links",
        json={"valid_days": 2},
        headers=harness.auth("technician"),
    ).json()
    harness.client.get(
        f"/api/v1/reports/{report_id}?q={PERSONAL['email']}", headers=harness.auth("technician")
    )
    harness.client.get(link["pdf_path"])
    harness.client.get(f"/nowhere/{PERSONAL['email']}")
    lines = [r.getMessage() for r in caplog.records if r.name == "quitus.api.access"]
    assert any(
        line.startswith("POST /api/v1/reports 202 ") and line.endswith(" technician-1") for line in lines
    )
    assert any(line.startswith("GET /api/v1/reports/{report_id} 200 ") for line in lines)
    assert any(
        line.startswith("GET /api/v1/portal/{token}/pdf 409 ") and line.endswith(" -") for line in lines
    )
    assert any(line.startswith("GET (unmatched) 404 ") for line in lines)
    text = "\n".join(lines)
    assert report_id not in text and link["path"].rpartition("/")[2] not in text
    assert not _leaks(text)


def test_security_headers_on_every_answer(harness: ApiHarness) -> None:
    for answer in (
        harness.client.get("/api/v1/health"),
        harness.client.get("/api/v1/me"),
        harness.client.get("/api/v1/templates", headers=harness.auth("auditor")),
    ):
        headers = answer.headers
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in headers
    https = TestClient(harness.client.app, base_url="https://quitus.example")
    assert https.get("/api/v1/health").headers["strict-transport-security"].startswith("max-age=")
    docs = harness.client.get("/docs")
    assert docs.status_code == 200 and "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert harness.client.get("/openapi.json").json()["paths"]["/api/v1/reports"]["post"]


def test_request_bodies_over_the_limit_are_refused_with_413(harness: ApiHarness) -> None:
    big = b"{" + b" " * (300 * 1024) + b"}"
    declared = harness.client.post("/api/v1/reports", content=big, headers=_json(harness))
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b" " * 10_000

    streamed = harness.client.post("/api/v1/reports", content=chunks(), headers=_json(harness))
    assert streamed.status_code == 413
    assert "QUITUS_MAX_REQUEST_BYTES" in streamed.json()["error"]["hint"]
    streamed_json = harness.client.post(
        "/api/v1/holds",
        content=chunks(),
        headers={**harness.auth("compliance"), "Content-Type": "application/json"},
    )
    assert streamed_json.status_code == 413


def _multipart_report(photo_ref: str) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(sample_reports(1, seed=8)[0].payload)
    payload["submission_id"] = f"multipart-{photo_ref}"
    payload["photos"][0]["image"] = {"file": photo_ref}
    return payload


def test_multipart_uploads_are_checked_by_content(harness: ApiHarness, tmp_path: Path) -> None:
    payload = _multipart_report("avant")
    jpeg = make_photo(random.Random(3), label="avant", size=(120, 90))
    ok = harness.client.post(
        "/api/v1/reports",
        data={"report": json.dumps(payload)},
        files={"avant": ("photo-jeanne-martin.jpg", jpeg, "image/jpeg")},
        headers=harness.auth("technician"),
    )
    assert ok.status_code == 202, ok.text
    assert ok.json()["state"] == "captured" and ok.json()["issues"] == []
    report_id = ok.json()["report_id"]
    assert harness.context.app.store.get(report_id).content_blob_id is None  # the flow reads it
    assert harness.context.app.intake.complete_capture(report_id).issues == []
    assert harness.context.app.store.get(report_id).content_blob_id is not None

    gif = b"GIF89a" + b"\x00" * 64
    for upload, expected in (
        (("photo-jeanne-martin.jpg", gif, "image/jpeg"), (415, "unsupported_upload_type")),
        (("x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (300 * 1024), "image/png"), (413, "request_too_large")),
    ):
        answer = harness.client.post(
            "/api/v1/reports",
            data={"report": json.dumps(_multipart_report("avant"))},
            files={"avant": upload},
            headers=harness.auth("technician"),
        )
        assert (answer.status_code, answer.json()["error"]["code"]) == expected
        assert not _leaks(answer.text)
    assert harness.client.post(
        "/api/v1/reports",
        data={"report": json.dumps(_multipart_report("apres"))},
        files={"avant": ("a.jpg", jpeg, "image/jpeg")},
        headers=harness.auth("technician"),
    ).json()["error"] == {
        "code": "missing_upload",
        "message": "the report names a file that is not among the uploaded parts",
        "where": "photos[0].image.file",
        "hint": "upload it as a part whose name (or file name) is the one the report gives; "
        "nothing was stored",
    }
    extra = harness.client.post(
        "/api/v1/reports",
        data={"report": json.dumps(_multipart_report("avant"))},
        files=[("avant", ("a.jpg", jpeg, "image/jpeg")), ("autre", ("b.jpg", jpeg, "image/jpeg"))],
        headers=harness.auth("technician"),
    )
    assert extra.json()["error"]["code"] == "unreferenced_part"


def test_multipart_capture_is_idempotent_and_equals_the_json_capture(harness: ApiHarness) -> None:
    payload = _multipart_report("photo1")
    jpeg = make_photo(random.Random(9), label="avant", size=(100, 80))

    def send() -> Any:
        return harness.client.post(
            "/api/v1/reports",
            data={"report": json.dumps(payload)},
            files={"photo1": ("p.jpg", jpeg, "image/jpeg")},
            headers=harness.auth("technician"),
        )

    first, again = send(), send()
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["report_id"] == first.json()["report_id"] and again.json()["receipt"] == "duplicate"
    inline = copy.deepcopy(payload)
    inline["photos"][0]["image"] = {"content_base64": base64.b64encode(jpeg).decode()}
    as_json = harness.client.post(
        "/api/v1/reports", content=json.dumps(inline, ensure_ascii=False).encode(), headers=_json(harness)
    )
    # Same submission_id, equivalent content but other bytes: a conflict, kept as its own report.
    assert as_json.status_code == 202 and as_json.json()["receipt"] == "conflict"
