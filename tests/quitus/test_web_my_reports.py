"""*Mes rapports* (``/technicien/rapports``): a technician's own reports and the copy their role reads.

Through the real application (``create_app`` over an initialized home, the intake stages
run for real): each technician sees the reports they sent — and only those — with the
readable number, date and state, and, once archived, a link to the sealed *anonymized*
PDF, the one copy the role matrix (``quitus.api.roles``) lets a technician download.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quitus.api.roles import ENDPOINT_ROLES
from storage.access_store import Role
from tests.api_client import ApiHarness, open_harness, process_reports, sample_reports

pytestmark = pytest.mark.slow  # the intake stages load the PII engine


@dataclass(frozen=True)
class Installation:
    harness: ApiHarness
    mine: list[str]
    """Report ids technician-1 sent (archived)."""
    theirs: str
    """A report technician-2 sent."""


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    home: Path = tmp_path_factory.mktemp("my-reports") / "home"
    with open_harness(home) as harness:
        samples = sample_reports(3)
        mine = [harness.capture(s.payload, "technician-1")["report_id"] for s in samples[:2]]
        theirs = harness.capture(samples[2].payload, "technician-2")["report_id"]
        process_reports(harness)
        yield Installation(harness, mine, theirs)


def _page_client(installation: Installation, handle: str) -> TestClient:
    client = TestClient(installation.harness.client.app, follow_redirects=False)
    answer = client.post("/connexion", data={"token": installation.harness.tokens[handle]})
    assert answer.status_code == 303, answer.text
    return client


def _rows(page: str) -> dict[str, str]:
    """report id → its row's HTML."""
    return dict(re.findall(r'<tr data-report="(RI-[0-9A-Z]+)">(.*?)</tr>', page, flags=re.S))


def test_a_technician_lists_their_own_reports_with_number_date_and_state(installation: Installation) -> None:
    store = installation.harness.context.app.store
    answer = _page_client(installation, "technician-1").get("/technicien/rapports")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    rows = _rows(html.unescape(answer.text))
    assert sorted(rows) == sorted(installation.mine)
    assert list(rows) == sorted(installation.mine, reverse=True)  # newest first
    for report_id, row in rows.items():
        summary = store.get(report_id)
        assert summary.number and re.fullmatch(r"RI-\d{4}-\d{6}", summary.number)
        assert f'<a href="/technicien/rapports/{report_id}">{summary.number}</a>' in row
        assert "archivé" in row
        assert summary.intervention_date is not None
        assert str(summary.intervention_date.year) in row


def test_another_technicians_report_is_not_listed(installation: Installation) -> None:
    page = _page_client(installation, "technician-2").get("/technicien/rapports").text
    assert list(_rows(page)) == [installation.theirs]
    for report_id in installation.mine:
        assert report_id not in page


def test_the_link_is_the_copy_the_role_may_read_and_it_downloads(installation: Installation) -> None:
    assert Role.TECHNICIAN in ENDPOINT_ROLES["report_pdf_redacted"]
    assert Role.TECHNICIAN not in ENDPOINT_ROLES["report_pdf_full"]
    client = _page_client(installation, "technician-1")
    rows = _rows(client.get("/technicien/rapports").text)
    for report_id, row in rows.items():
        link = re.search(r'class="pdf-link" href="([^"]+)"', row)
        assert link is not None, row
        assert link.group(1) == f"/api/v1/reports/{report_id}/pdf/redacted"
        assert "/pdf/full" not in row
        pdf = client.get(link.group(1))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        # The full copy stays closed to the technician, even for their own report.
        assert client.get(f"/api/v1/reports/{report_id}/pdf/full").status_code == 403
    # Another technician's copy answers 404, as an unknown report does.
    theirs = f"/api/v1/reports/{installation.theirs}/pdf/redacted"
    assert client.get(theirs).status_code == 404


def test_no_personal_value_appears_in_the_list(installation: Installation) -> None:
    page = html.unescape(_page_client(installation, "technician-1").get("/technicien/rapports").text)
    for sample in sample_reports(3)[:2]:
        client = sample.payload["client"]
        assert client["name"] not in page
        assert client["address"]["street"] not in page


@pytest.mark.parametrize("role", [Role.COMPLIANCE, Role.AUDITOR, Role.ADMIN])
def test_other_roles_get_the_polite_403(installation: Installation, role: Role) -> None:
    answer = _page_client(installation, f"{role.value}-1").get("/technicien/rapports")
    assert answer.status_code == 403 and "Accès non autorisé" in html.unescape(answer.text)


def test_without_a_session_the_list_goes_to_the_sign_in_page(installation: Installation) -> None:
    answer = TestClient(installation.harness.client.app, follow_redirects=False).get("/technicien/rapports")
    assert answer.status_code == 303 and answer.headers["location"] == "/connexion"
