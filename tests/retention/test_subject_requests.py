"""Data-subject requests as GDPR Art. 15 asks (issue 13, finding 8), on SQLite and PostgreSQL.

The answer says why, on what basis, for how long, to whom and from where; it gives the
person's data without other people's; every request, found or not, is in the register.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

import pytest

from anonymization import ReportRedactor
from policies.loading import PolicySet
from reports.intake import subject_terms
from reports.schema import InterventionReport
from retention.holds import HoldService
from retention.subjects import PURPOSE, erase_subject, export_subject, register_request, subject_requests
from storage.blind_index import subject_digests
from storage.delivery_store import DeliveryStatus, DeliveryStore
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.report_store import ReportStore
from storage.states import ReportState
from tests.retention.conftest import loaded

CLIENT = {
    "kind": "particulier",
    "name": "Jeanne Leroy",
    "address": {"street": "12 rue des Lilas", "postal_code": "69003", "city": "Lyon", "country": "FR"},
    "phone": "06 12 34 56 78",
    "email": "jeanne.leroy@orange.fr",
}
OBSERVATIONS = (
    "Travail fait chez Jeanne Leroy, 12 rue des Lilas à Lyon. Clés chez son voisin Paul Martin, "
    "joignable au 07 11 22 33 44. Mme Leroy rappellera au 06 12 34 56 78."
)
POLICIES = PolicySet(
    [
        loaded("compta", "P10Y", "delete", obligation=True),
        loaded("anon-particuliers", "P3Y", "anonymize", client_kinds=["particulier"]),
    ]
)


@pytest.fixture
def redactor(subject_redactor: ReportRedactor) -> ReportRedactor:
    return subject_redactor


@pytest.fixture
def jeanne(store: ReportStore, base_payload: dict[str, Any]) -> str:
    """Jeanne's report: her neighbour is named in the observations; it was e-mailed to her."""
    payload = copy.deepcopy(base_payload)
    payload["submission_id"] = "jeanne-1"
    payload["client"] = copy.deepcopy(CLIENT)
    payload["site"] = None
    payload["observations"] = OBSERVATIONS
    payload["arrival"], payload["departure"] = "2026-03-10T09:00:00", "2026-03-10T10:30:00"
    payload["request"]["date"] = "2026-03-07"
    report = InterventionReport.model_validate(payload)
    receipt = store.receive(json.dumps(payload).encode(), source="pdf_form", submission_id="jeanne-1")
    store.save_capture(
        receipt.report_id,
        content=report.model_dump_json().encode(),
        template_id="climatisation.mise_en_service",
        client_kind="particulier",
        intervention_date=report.intervention_date,
        outcome="completed",
        site_country="FR",
        subjects=subject_digests(store.keys.index_key, subject_terms(report)),
    )
    store.transition(receipt.report_id, ReportState.VALIDATED)
    deliveries = DeliveryStore(store)
    sent_at = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)
    claimed = deliveries.claim(
        receipt.report_id, None, now=sent_at, lease=dt.timedelta(minutes=5), message_id_hash="0" * 64
    )
    assert claimed is not None
    deliveries.finish(claimed, DeliveryStatus.SENT, now=sent_at)
    return receipt.report_id


def answer(data: bytes) -> tuple[dict[str, Any], str, list[str]]:
    package = zipfile.ZipFile(io.BytesIO(data))
    return (
        json.loads(package.read("subject.json")),
        package.read("resume.html").decode(),
        package.namelist(),
    )


def test_the_answer_says_why_how_long_to_whom_and_from_where(
    store: ReportStore, jeanne: str, redactor: ReportRedactor
) -> None:
    hold = HoldService(store).place(reason="RG-2026-7", scope_kind="reports", scope={"report_ids": [jeanne]})
    request = register_request(store, "access", [("email", "Jeanne.Leroy@orange.fr")])
    subject, page, names = answer(export_subject(store, POLICIES, request, redactor=redactor))

    (report,) = subject["reports"]
    assert report["report_id"] == jeanne and report["your_role"] == ["client"]
    assert PURPOSE in report["purposes"]
    legal = report["legal_basis"]
    assert "RGPD art. 6.1.c : respect d'une obligation légale" in legal["lawful_basis"]
    assert {p["policy"].split("@")[0] for p in legal["policies"]} == {"compta", "anon-particuliers"}
    assert all(p["references"] and p["text"] for p in legal["policies"])
    # the effective decision: the winner (the explicit scope), its action, the longest period, holds
    retention = report["retention"]
    assert retention["policy"].startswith("anon-particuliers@") and retention["action"] == "anonymize"
    assert retention["due"] == "2036-03-10" and retention["obligation_until"] == "2036-03-10"
    assert retention["holds"] == [hold.id]
    assert report["recipients"] == [
        {
            "recipient": "client",
            "channel": "email",
            "sent_at": "2026-03-10T17:00:00+00:00",
            "what": "rapport d'intervention scellé (PDF)",
            "address": "jeanne.leroy@orange.fr",
        }
    ]
    source = report["source"]
    assert (source["capture"], source["technician_id"], source["collected_by"]) == (
        "pdf_form",
        report["content"]["technician"]["id"],
        "technician",
    )
    assert {r["right"] for r in subject["rights"]} >= {
        "rectification",
        "erasure",
        "restriction",
        "objection",
        "complaint",
    }
    assert subject["request"] == {"id": request.id, "kind": "access", "found_by": ["email"]}
    assert {"subject.json", "resume.html"} <= set(names)

    # resume.html: the same, in French, self-contained
    for sentence in (
        "Vos données personnelles",
        "conservé jusqu'au 10 mars 2036, puis anonymisé",
        "envoyé par e-mail à jeanne.leroy@orange.fr le 10 mars 2026",
        "formulaire PDF",
        "Réclamation auprès de la CNIL",
        "mesure de conservation",
    ):
        assert sentence in page, sentence
    assert not re.search(r"<(script|link|img|iframe|object)\b|\bsrc=|url\(|https?://", page, re.IGNORECASE)


def test_other_people_in_free_text_are_redacted_the_person_is_not(
    store: ReportStore, jeanne: str, redactor: ReportRedactor
) -> None:
    request = register_request(store, "access", [("phone", "+33 (0)6 12 34 56 78")])
    subject, page, _ = answer(export_subject(store, POLICIES, request, redactor=redactor))

    content = subject["reports"][0]["content"]
    assert content["client"] == {**CLIENT, "company_name": None}  # the client block is the person's own
    text = content["observations"]
    for own in ("Jeanne Leroy", "12 rue des Lilas", "Mme Leroy", "06 12 34 56 78"):
        assert own in text, own
    for other in ("Paul Martin", "07 11 22 33 44"):
        assert other not in text and other not in page, other
    assert "Jeanne Leroy" in page


def test_a_technician_asking_gets_the_clients_data_redacted(
    store: ReportStore, jeanne: str, redactor: ReportRedactor
) -> None:
    technician = json.loads(store.read_blob(jeanne, store.get(jeanne).content_blob_id or ""))["technician"][
        "name"
    ]
    request = register_request(store, "access", [("name", technician)])
    subject, page, _ = answer(export_subject(store, POLICIES, request, redactor=redactor))

    (report,) = subject["reports"]
    assert report["your_role"] == ["technician"]
    assert report["content"]["technician"]["name"] == technician
    serialized = json.dumps(subject, ensure_ascii=False)
    for value in ("Jeanne", "Leroy", "jeanne.leroy@orange.fr", "06 12 34 56 78", "12 rue des Lilas"):
        assert value not in serialized and value not in page, value


def test_every_request_is_in_the_register_found_or_not_without_the_values(
    store: ReportStore, jeanne: str, redactor: ReportRedactor
) -> None:
    nobody = register_request(store, "access", [("email", "personne@nulle-part.example")])
    assert nobody.report_ids == ()
    export_subject(store, POLICIES, nobody, redactor=redactor)
    erasure = register_request(
        store, "erasure", [("email", "jeanne.leroy@orange.fr"), ("phone", "0612345678")]
    )
    erase_subject(store, POLICIES, erasure.report_ids)

    register = subject_requests(store)
    assert [(r.kind, r.found, r.term_kinds, r.report_ids) for r in register] == [
        ("access", 0, ("email",), ()),
        ("erasure", 1, ("email", "phone"), (jeanne,)),
    ]
    assert register[0].actor == "test" and register[0].request_id == nobody.id
    entries = [e.entry.decode() for e in store.ledger.entries_for_report(jeanne)]
    entries += [
        json.dumps(decode_entry(e.entry))
        for e in (store.ledger.last_entry(LedgerStep.SUBJECT_REQUEST),)
        if e is not None
    ]
    for value in ("personne@nulle-part", "jeanne", "12 34 56 78", "612345678"):
        assert all(value not in e.lower() for e in entries), value


def test_each_report_given_names_its_request(
    store: ReportStore, jeanne: str, redactor: ReportRedactor
) -> None:
    request = register_request(store, "access", [("name", "LEROY Jeanne")])
    export_subject(store, POLICIES, request, redactor=redactor)
    exports = [
        decode_entry(e.entry)
        for e in store.ledger.entries_for_report(jeanne)
        if decode_entry(e.entry)["step"] == LedgerStep.SUBJECT_EXPORT
    ]
    assert [e["details"] for e in exports] == [{"request": request.id}]
