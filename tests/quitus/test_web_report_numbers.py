"""Issue 18: a person reads report numbers on the pages; the technician's status page opens by
the number as by the id, with the same rule on whose report it is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from quitus.api import create_app
from quitus.wiring import open_app
from storage.access_store import AccessStore, Role
from tests.quitus.test_web_company import Home, home, sign_in, text

__all__ = ["home"]  # the module fixture shared with test_web_company


@pytest.fixture
def client(home: Home) -> Iterator[TestClient]:
    with TestClient(create_app(home.settings), follow_redirects=False) as test_client:
        yield test_client


def _number(home: Home) -> str:
    opened = open_app(home.settings)
    try:
        number = opened.store.get(home.report_id).number
    finally:
        opened.close()
    assert number is not None
    return number


def test_the_status_page_opens_by_number_for_its_technician_only(client: TestClient, home: Home) -> None:
    number = _number(home)
    sign_in(client, home.tokens["tech-001"])
    by_number, by_id = (
        client.get(f"/technicien/rapports/{number}"),
        client.get(f"/technicien/rapports/{home.report_id}"),
    )
    assert by_number.status_code == by_id.status_code == 200
    assert number in text(by_number)
    assert client.get("/technicien/rapports/RI-2026-999999").status_code == 404
    opened = open_app(home.settings)
    try:
        AccessStore(opened.store).add_user("tech-002", Role.TECHNICIAN, actor="test")
        other = AccessStore(opened.store).create_token("tech-002", actor="test")[1]
    finally:
        opened.close()
    sign_in(client, other)
    # another technician's report by its number: the same answer as an unknown number
    assert client.get(f"/technicien/rapports/{number}").status_code == 404


def test_the_api_finds_a_report_by_number_with_the_same_role_checks(client: TestClient, home: Home) -> None:
    number = _number(home)
    own = {"Authorization": f"Bearer {home.tokens['tech-001']}"}
    by_number = client.get(f"/api/v1/reports/{number}", headers=own)
    assert by_number.status_code == 200, by_number.text
    assert by_number.json()["id"] == home.report_id and by_number.json()["number"] == number
    assert client.get(f"/api/v1/reports/{home.report_id}", headers=own).json() == by_number.json()
    opened = open_app(home.settings)
    try:
        AccessStore(opened.store).add_user("tech-003", Role.TECHNICIAN, actor="test")
        stranger = {
            "Authorization": f"Bearer {AccessStore(opened.store).create_token('tech-003', actor='test')[1]}"
        }
    finally:
        opened.close()
    others = client.get(f"/api/v1/reports/{number}", headers=stranger)
    unknown = client.get("/api/v1/reports/RI-2026-999999", headers=stranger)
    assert others.status_code == unknown.status_code == 404
    assert others.json()["code"] == unknown.json()["code"] == "report_not_found"
    # the same answer, but for the path it echoes: nothing says the number exists
    assert {k: v for k, v in others.json().items() if k != "instance"} == {
        k: v for k, v in unknown.json().items() if k != "instance"
    }
    assert home.report_id not in others.text
    assert client.get(f"/api/v1/reports/{number}").status_code == 401
