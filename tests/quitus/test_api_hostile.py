"""A hostile technician and an anonymous caller against the API (issue 14).

Each test is a finding of the security review: taking over another technician's
rejected report, unauthenticated 500s (a non-ASCII portal signature, a huge offset),
unthrottled failed sign-ins, a redirect built from the Host header.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storage.states import ReportState
from tests.api_client import ApiHarness, open_harness, sample_reports


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    with open_harness(tmp_path_factory.mktemp("hostile") / "home") as harness:
        yield harness


def _post(harness: ApiHarness, payload: dict[str, Any], who: str) -> Any:
    return harness.client.post(
        "/api/v1/reports",
        content=json.dumps(payload, ensure_ascii=False).encode(),
        headers={**harness.auth(who), "Content-Type": "application/json"},
    )


@pytest.mark.parametrize("original_is_rejected", [True, False])
def test_another_technician_cannot_take_over_a_report_by_its_submission_id(
    harness: ApiHarness, original_is_rejected: bool
) -> None:
    valid = sample_reports(1, seed=31 if original_is_rejected else 32)[0].payload
    submission_id = valid["submission_id"]
    first = valid if not original_is_rejected else {"submission_id": submission_id, "not_a_field": 1}
    original = _post(harness, first, "technician-1").json()
    assert original["state"] == ("rejected" if original_is_rejected else "captured")
    report_id = original["report_id"]
    before = harness.client.get(f"/api/v1/reports/{report_id}", headers=harness.auth("technician-1")).json()

    takeover = _post(harness, {**valid, "summary": "tech-2 was here"}, "technician-2")

    assert takeover.status_code == 202
    answer = takeover.json()
    assert answer["receipt"] == "conflict"
    assert answer["state"] == "rejected"
    assert answer["report_id"] != report_id
    assert report_id not in takeover.text
    assert [i["code"] for i in answer["issues"]] == ["submission_id_taken"]
    # tech-2 still cannot reach tech-1's report, which is as it was.
    status = harness.client.get(f"/api/v1/reports/{report_id}", headers=harness.auth("technician-2"))
    assert status.status_code == 404
    pdf_path = f"/api/v1/reports/{report_id}/pdf/redacted"
    pdf = harness.client.get(pdf_path, headers=harness.auth("technician-2"))
    assert pdf.status_code == 404
    after = harness.client.get(f"/api/v1/reports/{report_id}", headers=harness.auth("technician-1")).json()
    assert (after["revision"], after["state"], after["issues"]) == (
        before["revision"],
        before["state"],
        before["issues"],
    )
    # tech-2 follows their own kept report.
    own = harness.client.get(answer["status_url"], headers=harness.auth("technician-2"))
    assert own.status_code == 200 and own.json()["state"] == ReportState.REJECTED


def test_the_sender_corrects_their_own_rejected_report(harness: ApiHarness) -> None:
    valid = sample_reports(1, seed=33)[0].payload
    original = _post(harness, {"submission_id": valid["submission_id"], "oops": 1}, "technician-1").json()
    corrected = _post(harness, valid, "technician-1").json()
    assert (corrected["receipt"], corrected["report_id"]) == ("correction", original["report_id"])


@pytest.mark.parametrize("signature", ["é" * 32, "%00%01", "%C3%A9", "ü", "%ED%A0%80"])
def test_a_non_ascii_portal_signature_is_an_invalid_link_not_a_500(
    harness: ApiHarness, signature: str
) -> None:
    report_id = harness.capture(sample_reports(1, seed=34)[0].payload)["report_id"]
    link = harness.context.access.create_portal_link(
        report_id, actor="test", valid_for=__import__("datetime").timedelta(days=1)
    )
    link_id = link.token.partition(".")[0]
    for path in (f"/api/v1/portal/{link_id}.{signature}/pdf", f"/portail/{link_id}.{signature}"):
        answer = harness.client.get(path)
        assert answer.status_code == 404, (path, answer.status_code)


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/v1/reports?offset=9223372036854775808", "compliance"),
        ("/api/v1/reports?offset=99999999999999999999999", "admin"),
        ("/api/v1/reports?limit=9223372036854775808", "compliance"),
        ("/api/v1/retention/plan?limit=9223372036854775808", "compliance"),
    ],
)
def test_huge_integers_in_queries_are_refused_with_422(harness: ApiHarness, path: str, who: str) -> None:
    answer = harness.client.get(path, headers=harness.auth(who))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"


def test_the_largest_accepted_offset_answers(harness: ApiHarness) -> None:
    from quitus.api.params import MAX_OFFSET

    answer = harness.client.get(f"/api/v1/reports?offset={MAX_OFFSET}", headers=harness.auth("admin"))
    assert answer.status_code == 200
    assert answer.json()["reports"] == []


def test_the_trailing_slash_redirect_is_relative_whatever_the_host_header(harness: ApiHarness) -> None:
    answer = harness.client.get(
        "/api/v1/reports/?state=captured",
        headers={**harness.auth("admin"), "Host": "evil.example"},
        follow_redirects=False,
    )
    assert answer.status_code in (307, 308)
    location = answer.headers["location"]
    assert location == "/api/v1/reports?state=captured"
    assert "evil" not in location


@pytest.mark.slow
def test_failed_sign_ins_are_throttled_per_client_with_retry_after(tmp_path: Path) -> None:
    from quitus.api.auth import MAX_FAILED_SIGN_INS

    with open_harness(tmp_path / "home") as harness:
        client, valid = harness.client, harness.auth("admin")
        # The same wrong token again and again (an expired token retried) is one failure.
        for _ in range(3 * MAX_FAILED_SIGN_INS):
            same = client.get("/api/v1/me", headers={"Authorization": "Bearer qt_expired-token-retried"})
            assert same.status_code == 401
        assert client.get("/api/v1/me", headers=valid).status_code == 200
        # Guessing: distinct wrong tokens, as fast as a script sends them.
        answers = [
            client.get("/api/v1/me", headers={"Authorization": f"Bearer qt_{secrets.token_urlsafe(32)}"})
            for _ in range(60)
        ]
        codes = [a.status_code for a in answers]
        assert codes[: MAX_FAILED_SIGN_INS - 1] == [401] * (MAX_FAILED_SIGN_INS - 1)
        assert set(codes[MAX_FAILED_SIGN_INS:]) == {429}
        refused = answers[-1]
        assert refused.json()["error"]["code"] == "too_many_failed_sign_ins"
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        # While it lasts the address is refused, valid token or not; another address is not.
        assert client.get("/api/v1/me", headers=valid).status_code == 429
        page = client.post("/connexion", data={"token": harness.tokens["admin-1"]}, follow_redirects=False)
        assert page.status_code == 429 and "Retry-After" in page.headers
        with TestClient(client.app, client=("192.0.2.7", 40000)) as elsewhere:
            assert elsewhere.get("/api/v1/me", headers=valid).status_code == 200
        # No token at all is not a failed sign-in: public endpoints still answer.
        assert client.get("/api/v1/health").status_code == 200


def test_the_throttle_forgets_failures_once_they_leave_the_window() -> None:
    from quitus.api.auth import SignInThrottle

    now = [1000.0]
    throttle = SignInThrottle(max_failures=3, window_seconds=60, clock=lambda: now[0])
    keys = ["address:198.51.100.1"]
    for n in range(3):
        assert throttle.retry_after(keys) == 0
        throttle.failed(keys, f"qt_guess-{n}")
        now[0] += 10
    assert throttle.retry_after(keys) == 30  # at t=1030, the first failure (t=1000) leaves at 1060
    now[0] = 1060.5
    assert throttle.retry_after(keys) == 0
    assert throttle.retry_after(["address:198.51.100.2"]) == 0
