"""Cursor pagination of the lists: ``limit`` and an opaque ``cursor``; the next page in the
``Link`` header (and ``next``/``next_cursor`` in ``GET /reports``); offset kept, deprecated."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from quitus.api.pagination import MAX_LIMIT
from tests.api_client import ApiHarness, open_harness, sample_reports


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    with open_harness(tmp_path_factory.mktemp("pages") / "home") as harness:
        for sample in sample_reports(5, seed=81):
            harness.capture(sample.payload)
        yield harness


def link_of(response: httpx.Response) -> str | None:
    match = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers.get("link", ""))
    return match.group(1) if match else None


def all_report_ids(harness: ApiHarness) -> list[str]:
    answer = harness.client.get(f"/api/v1/reports?limit={MAX_LIMIT}", headers=harness.auth("auditor"))
    return [r["id"] for r in answer.json()["reports"]]


def test_reports_are_read_page_by_page_following_next(harness: ApiHarness) -> None:
    auditor = harness.auth("auditor")
    url: str | None = "/api/v1/reports?limit=2"
    seen: list[str] = []
    pages = 0
    while url is not None:
        answer = harness.client.get(url, headers=auditor)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert len(body["reports"]) <= 2
        assert body["next"] == link_of(answer)
        if body["next"] is not None:
            assert f"cursor={body['next_cursor']}" in body["next"] and "limit=2" in body["next"]
        seen += [r["id"] for r in body["reports"]]
        url = body["next"]
        pages += 1
        if pages == 1:  # a report captured between two pages is read once, on a later page
            harness.capture(sample_reports(1, seed=82)[0].payload)
    assert pages >= 3
    assert seen == all_report_ids(harness) and len(seen) == len(set(seen)) == 6


def test_a_filter_is_kept_from_page_to_page(harness: ApiHarness) -> None:
    first = harness.client.get("/api/v1/reports?state=captured&limit=1", headers=harness.auth("auditor"))
    following = harness.client.get(first.json()["next"], headers=harness.auth("auditor"))
    assert "state=captured" in first.json()["next"]
    assert {r["state"] for r in following.json()["reports"]} == {"captured"}


def test_the_deprecated_offset_still_pages_but_not_with_a_cursor(harness: ApiHarness) -> None:
    auditor = harness.auth("auditor")
    ids = all_report_ids(harness)
    skipped = harness.client.get("/api/v1/reports?offset=2&limit=2", headers=auditor).json()
    assert [r["id"] for r in skipped["reports"]] == ids[2:4]
    assert "offset" not in skipped["next"]  # the next page is read by cursor
    both = harness.client.get(f"/api/v1/reports?offset=1&cursor={skipped['next_cursor']}", headers=auditor)
    assert both.status_code == 422 and both.json()["code"] == "cursor_with_offset"


@pytest.mark.parametrize("cursor", ["garbage", "WyJob2xkcyIsIngiLCJ5Il0", "W10"])
def test_a_cursor_not_given_by_this_list_is_refused(harness: ApiHarness, cursor: str) -> None:
    # "WyJob2xkcyIsIngiLCJ5Il0" is ["holds","x","y"]: another list's; "W10" is [].
    answer = harness.client.get(f"/api/v1/reports?cursor={cursor}", headers=harness.auth("auditor"))
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_cursor"
    assert answer.json()["where"] == "query.cursor"


@pytest.mark.parametrize("limit", [0, MAX_LIMIT + 1])
def test_the_limit_is_bounded(harness: ApiHarness, limit: int) -> None:
    for path in ("/api/v1/reports", "/api/v1/holds", "/api/v1/review"):
        answer = harness.client.get(f"{path}?limit={limit}", headers=harness.auth("compliance"))
        assert answer.status_code == 422 and answer.json()["problems"][0]["where"] == "query.limit", path


def test_holds_are_read_page_by_page_through_the_link_header(harness: ApiHarness) -> None:
    compliance = harness.auth("compliance")
    placed = {
        harness.client.post(
            "/api/v1/holds",
            json={
                "reason": f"RG-PAGE-{n}",
                "allow_empty": True,
                "query": {"intervention_from": f"202{n}-01-01"},
            },
            headers=compliance,
        ).json()["id"]
        for n in range(3)
    }
    url: str | None = "/api/v1/holds?limit=2"
    seen: list[str] = []
    while url is not None:
        answer = harness.client.get(url, headers=compliance)
        assert answer.status_code == 200 and len(answer.json()) <= 2
        seen += [h["id"] for h in answer.json()]
        url = link_of(answer)
    assert placed <= set(seen) and len(seen) == len(set(seen))
    last = harness.client.get("/api/v1/holds", headers=compliance)
    assert "link" not in last.headers  # one page holds them all


def test_the_contract_declares_cursor_and_limit_and_deprecates_offset(harness: ApiHarness) -> None:
    spec = harness.client.get("/openapi.json").json()
    for path in (
        "/api/v1/reports",
        "/api/v1/holds",
        "/api/v1/review",
        "/api/v1/retention/disposed",
        "/api/v1/retention/plan",
    ):
        parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert {"cursor", "limit"} <= set(parameters), path
        assert parameters["limit"]["schema"]["maximum"] == (5000 if path.endswith("/plan") else MAX_LIMIT)
        assert "`invalid_cursor`" in spec["paths"][path]["get"]["responses"]["422"]["description"]
    reports = {p["name"]: p for p in spec["paths"]["/api/v1/reports"]["get"]["parameters"]}
    assert reports["offset"]["deprecated"] is True
    listed = spec["components"]["schemas"]["ReportList"]["properties"]
    assert {"next", "next_cursor"} <= set(listed)


def test_the_plan_is_read_page_by_page_with_its_counts_over_everything(harness: ApiHarness) -> None:
    auditor = harness.auth("auditor")
    far = (dt.date.today() + dt.timedelta(days=365 * 40)).isoformat()
    whole = harness.client.get(f"/api/v1/retention/plan?at={far}&limit=5000", headers=auditor).json()
    assert len(whole["items"]) >= 5 and whole["truncated"] is False and whole["next"] is None
    url: str | None = f"/api/v1/retention/plan?at={far}&limit=2"
    seen: list[str] = []
    while url is not None:
        answer = harness.client.get(url, headers=auditor)
        page = answer.json()
        assert page["counts"] == whole["counts"] and len(page["items"]) <= 2
        assert page["truncated"] is (page["next"] is not None) and page["next"] == link_of(answer)
        seen += [i["report_id"] for i in page["items"]]
        url = page["next"]
    assert seen == [i["report_id"] for i in whole["items"]]
