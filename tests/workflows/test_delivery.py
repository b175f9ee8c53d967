"""Delivery of sealed reports by e-mail to a real SMTP server (aiosmtpd on 127.0.0.1), and
the follow-up requests of unfinished interventions; on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import email.policy
import hashlib
import io
import ipaddress
import json
import logging
import re
import socket
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from rich.console import Console
from sqlalchemy import select

from anonymization import PiiEngine, ReportRedactor, load_vocabulary
from quitus.commands.delivery import portal_delivery_of, print_followups
from quitus.settings import SettingsError, load_settings
from reports.intake import Intake, Submission
from reports.mail import NoClientEmailError, compose_report_mail, french_long_date, report_message_id
from reports.pdf import create_company_ca, verify_sealed_pdf
from reports.samples import generate_samples
from reports.schema import PARIS, InterventionReport
from reports.templates import TemplateCatalog
from storage.access_store import AccessStore, PortalLinkError, PortalLinkRecord
from storage.database import Database
from storage.delivery_store import DeliveryStatus, DeliveryStore, FollowupStatus
from storage.ledger.events import decode_entry
from storage.models import Base, ReportRecord
from storage.report_store import ReportStore
from storage.states import ReportState
from tests.api_client import open_harness, process_reports, sample_reports
from workflows.delivery import (
    PortalDelivery,
    RetryPolicy,
    SmtpSettings,
    SmtpSetupError,
    deliver_reports,
)
from workflows.stages import Pipeline

COMPANY = "Thermi'Clim Services"
SENDER = "rapports@thermiclim.example"


# -- a real SMTP server -----------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps what it accepts, and can answer with given codes first."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.rcpt_replies: list[str] = []
        """Replies to RCPT TO before accepting recipients again, e.g. ``451 4.3.0 try later``."""
        self.data_replies: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        message = BytesParser(policy=email.policy.default).parsebytes(envelope.content)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 2.0.0 accepted"


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Bound to port 0: learn which free port the system gave before connecting to it.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def start_server(inbox: Inbox, **smtp_options: Any) -> _Controller:
    controller = _Controller(inbox, hostname="127.0.0.1", port=0, server_hostname="mx.test", **smtp_options)
    controller.start()
    return controller


@pytest.fixture
def server() -> Iterator[tuple[Inbox, SmtpSettings]]:
    inbox = Inbox()
    controller = start_server(inbox)
    yield inbox, plain_smtp(controller.port)
    controller.stop()


def plain_smtp(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, starttls=False, sender=SENDER, timeout=10)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- archived reports ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redactor_engine() -> PiiEngine:
    return PiiEngine(load_vocabulary(TemplateCatalog.load()))


@pytest.fixture(scope="session")
def payloads() -> dict[str, dict[str, Any]]:
    """A completed and an unfinished intervention, with recognizable client addresses."""
    samples = [
        s
        for s in generate_samples(
            TemplateCatalog.load(), 12, seed=21, photo_size=(96, 72), unfinished_share=0.3
        )
        if s.expected == "valid"
    ]
    completed = next(s.payload for s in samples if not s.unfinished)
    unfinished = next(s.payload for s in samples if s.unfinished)
    assert unfinished["outcome"]["reschedule"]["preferred_date"]
    return {"completed": completed, "unfinished": unfinished}


@pytest.fixture
def seal(tmp_path: Path) -> bytes:
    """The company CA's certificate (what a client trusts to check the seal)."""
    create_company_ca(tmp_path / "seal", COMPANY)
    return (tmp_path / "seal" / "ca.pem").read_bytes()


@pytest.fixture
def archive(
    store: ReportStore,
    intake: Intake,
    catalog: TemplateCatalog,
    tmp_path: Path,
    seal: bytes,
    redactor_engine: PiiEngine,
) -> Any:
    """archive(payload, ...) → their report ids, taken through the pipeline to ``archived``."""

    def run(*payloads: dict[str, Any]) -> list[str]:
        ids = [intake.ingest(Submission(json.dumps(p).encode(), "json")).report.id for p in payloads]
        Pipeline(
            store,
            catalog,
            tmp_path / "seal",
            redactor_factory=lambda: ReportRedactor(redactor_engine, style="placeholder"),
        ).run_pending()
        assert [store.get(i).state for i in ids] == [ReportState.ARCHIVED] * len(ids)
        return ids

    return run


def with_email(payload: dict[str, Any], address: str | None) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    variant = hashlib.sha256((address or "").encode()).hexdigest()[:8]
    changed["submission_id"] = f"{payload['submission_id']}-{variant}"
    changed["client"].pop("email", None)
    if address is not None:
        changed["client"]["email"] = address
    return changed


def events(store: ReportStore, report_id: str, step: str = "deliver") -> list[dict[str, Any]]:
    entries = [decode_entry(e.entry) for e in store.ledger.entries_for_report(report_id)]
    return [e for e in entries if e["step"] == step]


def every_row(store: ReportStore) -> str:
    """Every row of every table, as text: what an address must never be found in."""
    with store.database.session() as session:
        return "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in session.execute(select(table))
        )


def sealed_pdf(store: ReportStore, report_id: str) -> bytes:
    return store.read_blob(report_id, store.latest_blob(report_id, "pdf_full") or "")


# -- delivery -----------------------------------------------------------------------------------


def test_archived_reports_are_e_mailed_once_with_their_sealed_pdf(
    store: ReportStore,
    archive: Any,
    payloads: dict[str, dict[str, Any]],
    server: tuple[Inbox, SmtpSettings],
    seal: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, smtp = server
    addresses = ["anne.client-livraison@exemple-client.fr", "bruno.client-suivi@exemple-client.fr"]
    completed, no_email, unfinished = archive(
        with_email(payloads["completed"], addresses[0]),
        with_email(payloads["completed"], None),
        with_email(payloads["unfinished"], addresses[1]),
    )
    deliveries = DeliveryStore(store)
    now = dt.datetime.now(dt.UTC)
    due = deliveries.due_report_ids(limit=10, now=now)
    assert sorted(due) == sorted([completed, no_email, unfinished])
    # Reports archived before the age limit are not taken up (an upgrade does not e-mail the backlog).
    assert deliveries.due_report_ids(limit=10, now=now, archived_since=now + dt.timedelta(seconds=1)) == []
    caplog.set_level(logging.DEBUG)

    result = deliver_reports(store, due, smtp=smtp, company_name=COMPANY)

    assert sorted(result.sent) == sorted([completed, unfinished])
    assert result.skipped == {no_email: "no_email"}
    assert result.followups == [unfinished]
    assert not result.failed and not result.retrying
    assert len(inbox.messages) == 2
    received = {m["Message-ID"]: (m, rcpt) for m, rcpt in zip(inbox.messages, inbox.recipients, strict=True)}
    for report_id, address in ((completed, addresses[0]), (unfinished, addresses[1])):
        message, rcpt = received[report_message_id(report_id, SENDER)]
        assert rcpt == [address] and message["To"] == address
        assert message["Subject"].startswith("Votre rapport d'intervention du ")
        assert message["Subject"].endswith(f"— {COMPANY}")
        (sender,) = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == (COMPANY, SENDER)
        # The client reads the report's number (RI-2026-000123); the id stays in the Message-ID.
        number = store.get(report_id).number
        assert number is not None and number != report_id
        body = message.get_body(("plain",))
        assert body is not None and f"Référence du rapport : {number}\r\n" in body.get_content()
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_filename() == f"rapport-{number}.pdf"
        assert attachment.get_content_type() == "application/pdf"
        pdf = attachment.get_content()
        assert pdf == sealed_pdf(store, report_id)
        assert verify_sealed_pdf(pdf, [seal]).ok
        # No tracking: one plain-text body, no HTML, no remote content, no read receipt.
        assert [p.get_content_type() for p in message.walk()] == [
            "multipart/mixed",
            "text/plain",
            "application/pdf",
        ]
        body = message.get_body(("plain",))
        assert body is not None and number in body.get_content() and "http" not in body.get_content()
        assert message["Disposition-Notification-To"] is None
        row = deliveries.delivery(report_id)
        assert row is not None and row.status == DeliveryStatus.SENT and row.attempts == 1
        assert row.message_id_hash == hashlib.sha256(message["Message-ID"].encode()).hexdigest()
        (event,) = events(store, report_id)
        assert event["outcome"] == "sent"
        assert event["details"]["pdf_sha256"] == hashlib.sha256(pdf).hexdigest()
        assert list(event["artifacts"]) == [store.latest_blob(report_id, "pdf_full")]
    unfinished_body = received[report_message_id(unfinished, SENDER)][0].get_body(("plain",))
    assert unfinished_body is not None and "nouvelle intervention" in unfinished_body.get_content()
    skipped = deliveries.delivery(no_email)
    assert skipped is not None and (skipped.status, skipped.last_error_code) == (
        DeliveryStatus.SKIPPED,
        "no_email",
    )
    assert [(e["outcome"], e["details"]["error"]) for e in events(store, no_email)] == [
        ("skipped", "no_email")
    ]
    assert [e["outcome"] for e in events(store, unfinished, "followup.request")] == ["open"]

    # A second run finds nothing to do and sends nothing.
    assert deliveries.due_report_ids(limit=10, now=dt.datetime.now(dt.UTC)) == []
    again = deliver_reports(store, [completed, no_email, unfinished], smtp=smtp, company_name=COMPANY)
    assert again.untouched == {completed: "done", no_email: "done", unfinished: "done"}
    assert not again.sent and not again.followups and len(inbox.messages) == 2
    assert len(events(store, completed)) == 1

    # No address anywhere in the database (ledger included) or in quitus's logs (the test
    # server's own log, "mail.log", does show them).
    stored = every_row(store)
    returned = json.dumps(dataclasses.asdict(result))  # what a Prefect task would return
    assert completed in returned
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))
    assert completed in stored and completed in logged
    for address in addresses:
        for part in (address, address.split("@")[0]):
            assert part not in stored
            assert part not in returned
            assert part not in logged


def test_unfinished_interventions_are_listed_for_rescheduling(
    store: ReportStore, archive: Any, payloads: dict[str, dict[str, Any]], server: tuple[Inbox, SmtpSettings]
) -> None:
    completed, unfinished = archive(
        with_email(payloads["completed"], None), with_email(payloads["unfinished"], None)
    )
    now = dt.datetime.now(dt.UTC)
    result = deliver_reports(store, [completed, unfinished], smtp=server[1], company_name=COMPANY, now=now)
    assert result.followups == [unfinished]

    def listing(status: FollowupStatus | None, at: dt.datetime) -> str:
        out = Console(file=io.StringIO(), width=200)
        print_followups(store, status=status, now=at, out=out)
        return out.file.getvalue()  # type: ignore[attr-defined]

    text = listing(FollowupStatus.OPEN, now + dt.timedelta(days=3))
    numbers = store.numbers([unfinished, completed])  # a person reads the number, not the id
    assert numbers[unfinished] in text and numbers[completed] not in text
    assert payloads["unfinished"]["outcome"]["reschedule"]["preferred_date"] in text
    assert "3 d" in text and "1 open follow-up request\n" in text
    client = payloads["unfinished"]["client"]
    for personal in (
        client["name"],
        client["address"]["street"],
        payloads["unfinished"]["technician"]["name"],
    ):
        assert personal not in text

    deliveries = DeliveryStore(store)
    assert deliveries.set_followup_status(unfinished, FollowupStatus.SCHEDULED, now=now)
    assert numbers[unfinished] not in listing(FollowupStatus.OPEN, now)
    assert "scheduled" in listing(None, now)
    assert [e["outcome"] for e in events(store, unfinished, "followup.update")] == ["scheduled"]
    # Registering it again (a second run) opens nothing new.
    again = deliver_reports(store, [unfinished], smtp=server[1], company_name=COMPANY, now=now)
    assert again.followups == [] and len(events(store, unfinished, "followup.request")) == 1


@pytest.mark.parametrize("command", ["RCPT", "DATA"])
def test_a_temporary_refusal_is_retried_after_a_backoff_and_a_permanent_one_fails(
    store: ReportStore,
    archive: Any,
    payloads: dict[str, dict[str, Any]],
    server: tuple[Inbox, SmtpSettings],
    command: str,
) -> None:
    inbox, smtp = server
    address = "chloe.refusee@exemple-client.fr"
    (report_id,) = archive(with_email(payloads["completed"], address))
    replies = inbox.rcpt_replies if command == "RCPT" else inbox.data_replies
    replies += [f"451 4.3.0 {address} mailbox busy, try later", f"550 5.1.1 {address} unknown"]
    deliveries = DeliveryStore(store)
    retry = RetryPolicy(first_delay=dt.timedelta(minutes=10))
    start = dt.datetime.now(dt.UTC)
    stage = command.lower()

    first = deliver_reports(store, [report_id], smtp=smtp, company_name=COMPANY, retry=retry, now=start)
    assert first.retrying == {report_id: f"{stage}_451"}
    row = deliveries.delivery(report_id)
    assert row is not None and (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert row.next_attempt_at == start + dt.timedelta(minutes=10)

    soon = start + dt.timedelta(minutes=5)  # within the backoff: not due, nothing sent
    assert deliveries.due_report_ids(limit=10, now=soon) == []
    assert deliver_reports(
        store, [report_id], smtp=smtp, company_name=COMPANY, retry=retry, now=soon
    ).untouched == {report_id: "not_due"}

    later = start + dt.timedelta(minutes=11)
    assert deliveries.due_report_ids(limit=10, now=later) == [report_id]
    # A delivery already started is finished whatever its age.
    assert deliveries.due_report_ids(limit=10, now=later, archived_since=later) == [report_id]
    final = deliver_reports(store, [report_id], smtp=smtp, company_name=COMPANY, retry=retry, now=later)
    assert final.failed == {report_id: f"{stage}_550"}
    row = deliveries.delivery(report_id)
    assert row is not None and (row.status, row.attempts, row.last_error_code) == (
        DeliveryStatus.FAILED,
        2,
        f"{stage}_550",
    )
    assert [(e["outcome"], e["details"]["error"]) for e in events(store, report_id)] == [
        ("pending", f"{stage}_451"),
        ("failed", f"{stage}_550"),
    ]
    assert not inbox.messages
    assert address not in every_row(store)

    # Once the cause is fixed, a failed delivery can be queued again, and goes out.
    assert deliveries.requeue_failed(now=later) == [report_id]
    sent = deliver_reports(store, [report_id], smtp=smtp, company_name=COMPANY, retry=retry, now=later)
    assert sent.sent == [report_id] and len(inbox.messages) == 1


def test_temporary_errors_give_up_after_the_last_attempt(
    store: ReportStore, archive: Any, payloads: dict[str, dict[str, Any]], server: tuple[Inbox, SmtpSettings]
) -> None:
    inbox, smtp = server
    (report_id,) = archive(with_email(payloads["completed"], "denis.attente@exemple-client.fr"))
    inbox.data_replies += ["452 4.3.1 insufficient storage"] * 3
    retry = RetryPolicy(max_attempts=2, first_delay=dt.timedelta(0))
    first = deliver_reports(store, [report_id], smtp=smtp, company_name=COMPANY, retry=retry)
    second = deliver_reports(store, [report_id], smtp=smtp, company_name=COMPANY, retry=retry)
    assert (first.retrying, second.failed) == ({report_id: "data_452"}, {report_id: "data_452"})
    last = events(store, report_id)[-1]
    assert (last["outcome"], last["details"]["gave_up"]) == ("failed", "max_attempts")


def test_an_unreachable_server_leaves_the_deliveries_pending(
    store: ReportStore, archive: Any, payloads: dict[str, dict[str, Any]]
) -> None:
    first_id, second_id = archive(
        with_email(payloads["completed"], "emile.patient@exemple-client.fr"),
        with_email(payloads["unfinished"], "fanny.patiente@exemple-client.fr"),
    )
    start = dt.datetime.now(dt.UTC)
    result = deliver_reports(
        store, [first_id, second_id], smtp=plain_smtp(closed_port()), company_name=COMPANY, now=start
    )
    assert result.retrying == {first_id: "connection_refused", second_id: "connection_refused"}
    assert result.followups == [second_id]  # the follow-up does not wait for the e-mail
    rows = {r.report_id: r for r in DeliveryStore(store).deliveries()}
    assert {(r.status, r.attempts) for r in rows.values()} == {(DeliveryStatus.PENDING, 1)}

    inbox = Inbox()
    controller = start_server(inbox)
    try:
        later = start + dt.timedelta(minutes=11)
        due = DeliveryStore(store).due_report_ids(limit=10, now=later)
        recovered = deliver_reports(
            store, due, smtp=plain_smtp(controller.port), company_name=COMPANY, now=later
        )
    finally:
        controller.stop()
    assert sorted(recovered.sent) == sorted([first_id, second_id]) and len(inbox.messages) == 2


def test_an_accented_address_fails_on_a_server_without_smtputf8_and_the_batch_goes_on(
    store: ReportStore, archive: Any, payloads: dict[str, dict[str, Any]]
) -> None:
    accented, plain = archive(
        with_email(payloads["completed"], "jérôme.accent@exemple-client.fr"),
        with_email(payloads["unfinished"], "karine.simple@exemple-client.fr"),
    )
    inbox = Inbox()
    controller = start_server(inbox, enable_SMTPUTF8=False)
    try:
        result = deliver_reports(
            store, [accented, plain], smtp=plain_smtp(controller.port), company_name=COMPANY
        )
    finally:
        controller.stop()
    assert result.failed == {accented: "smtputf8_unsupported"}
    assert result.sent == [plain] and inbox.recipients == [["karine.simple@exemple-client.fr"]]


def test_a_send_cut_short_by_a_crash_is_sent_again_with_the_same_message_id(
    store: ReportStore, archive: Any, payloads: dict[str, dict[str, Any]], server: tuple[Inbox, SmtpSettings]
) -> None:
    inbox, smtp = server
    report_id, last_try = archive(
        with_email(payloads["completed"], "gilles.relance@exemple-client.fr"),
        with_email(payloads["unfinished"], "helene.relance@exemple-client.fr"),
    )
    deliveries = DeliveryStore(store)
    start = dt.datetime.now(dt.UTC)
    retry = RetryPolicy(lease=dt.timedelta(minutes=15))
    # A worker claimed the deliveries, then died before recording what happened.
    for claimed in (report_id, last_try):
        assert deliveries.claim(claimed, None, now=start, lease=retry.lease, message_id_hash="0" * 64)

    # A message that crashed its last allowed attempt is not sent again (it could crash again).
    after_lease = start + dt.timedelta(minutes=16)
    last = deliver_reports(
        store, [last_try], smtp=smtp, company_name=COMPANY, retry=RetryPolicy(max_attempts=1), now=after_lease
    )
    assert last.failed == {last_try: "interrupted"} and not inbox.messages

    during = start + dt.timedelta(minutes=1)
    busy = deliver_reports(store, [report_id], smtp=smtp, company_name=COMPANY, retry=retry, now=during)
    assert busy.untouched == {report_id: "in_progress"} and not inbox.messages

    after = start + dt.timedelta(minutes=16)
    assert deliveries.due_report_ids(limit=10, now=after) == [report_id]
    resent = deliver_reports(store, [report_id], smtp=smtp, company_name=COMPANY, retry=retry, now=after)
    assert resent.sent == [report_id]
    assert inbox.messages[0]["Message-ID"] == report_message_id(report_id, SENDER)
    (event,) = events(store, report_id)
    assert (event["outcome"], event["details"]["attempt"], event["details"]["resumed"]) == (
        "sent",
        2,
        "interrupted_send",
    )


def test_reports_not_archived_or_restricted_are_not_sent(
    store: ReportStore,
    archive: Any,
    intake: Intake,
    payloads: dict[str, dict[str, Any]],
    server: tuple[Inbox, SmtpSettings],
) -> None:
    (restricted,) = archive(with_email(payloads["completed"], "hugo.restreint@exemple-client.fr"))
    pending = intake.ingest(
        Submission(
            json.dumps(with_email(payloads["unfinished"], "ines.attente@exemple-client.fr")).encode(), "json"
        )
    ).report.id
    with store.database.session() as session:
        record = session.get(ReportRecord, restricted)
        assert record is not None
        record.restriction_reason = "art18"
    now = dt.datetime.now(dt.UTC)
    assert DeliveryStore(store).due_report_ids(limit=10, now=now) == []
    result = deliver_reports(store, [restricted, pending], smtp=server[1], company_name=COMPANY)
    assert result.untouched == {restricted: "restricted", pending: "not_archived"}
    assert not server[0].messages and DeliveryStore(store).deliveries() == []


def test_starttls_and_login_and_a_refused_login(
    store: ReportStore, archive: Any, payloads: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    (report_id,) = archive(with_email(payloads["completed"], "julie.tls@exemple-client.fr"))
    certificate, key = _self_signed("127.0.0.1", tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    inbox = Inbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> AuthResult:
        return AuthResult(success=(auth.login, auth.password) == (b"quitus", b"s3cret"), handled=False)

    controller = start_server(inbox, tls_context=context, require_starttls=True, authenticator=authenticator)
    try:
        settings = SmtpSettings(
            host="127.0.0.1",
            port=controller.port,
            starttls=True,
            username="quitus",
            password="wrong",
            sender=SENDER,
            ca_file=certificate,
            timeout=10,
        )
        with pytest.raises(SmtpSetupError, match="refused the login"):
            deliver_reports(store, [report_id], smtp=settings, company_name=COMPANY)
        assert DeliveryStore(store).delivery(report_id) is None  # nothing recorded, nothing consumed
        good = SmtpSettings(**{**settings.__dict__, "password": "s3cret"})
        assert deliver_reports(store, [report_id], smtp=good, company_name=COMPANY).sent == [report_id]
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


# -- composing and settings (no database) -------------------------------------------------------


def test_the_message_is_french_plain_and_its_id_comes_from_the_report(
    payloads: dict[str, dict[str, Any]],
) -> None:
    report = InterventionReport.model_validate(with_email(payloads["completed"], "karim@exemple-client.fr"))
    when = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    first = compose_report_mail(
        report,
        report_id="RI-01TEST",
        pdf=b"%PDF-1.7",
        sender=f"Service <{SENDER}>",
        company_name=COMPANY,
        date=when,
    )
    again = compose_report_mail(
        report, report_id="RI-01TEST", pdf=b"%PDF-1.7", sender=SENDER, company_name=COMPANY
    )
    assert first["Message-ID"] == again["Message-ID"] == "<RI-01TEST.rapport@thermiclim.example>"
    assert first["From"] == f"Service <{SENDER}>" and again["From"] == f"{COMPANY} <{SENDER}>"
    assert first["Auto-Submitted"] == "auto-generated"
    day = french_long_date(report.intervention_date)
    assert first["Subject"] == f"Votre rapport d'intervention du {day} — {COMPANY}"
    body = first.get_body(("plain",))
    assert body is not None and body["Content-Language"] == "fr"
    assert body.get_content().startswith(
        f"Bonjour,\n\nVeuillez trouver ci-joint le rapport de l'intervention du {day}"
    )
    (attachment,) = list(first.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("rapport-RI-01TEST.pdf", b"%PDF-1.7")


@pytest.mark.parametrize(
    ("day", "expected"),
    [(dt.date(2026, 3, 1), "1er mars 2026"), (dt.date(2026, 8, 15), "15 août 2026")],
)
def test_french_dates(day: dt.date, expected: str) -> None:
    assert french_long_date(day) == expected


def test_a_client_without_e_mail_cannot_be_sent_to(payloads: dict[str, dict[str, Any]]) -> None:
    report = InterventionReport.model_validate(with_email(payloads["completed"], None))
    with pytest.raises(NoClientEmailError) as caught:
        compose_report_mail(report, report_id="RI-1", pdf=b"", sender=SENDER, company_name=COMPANY)
    assert caught.value.code == "no_email"


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"use_tls": True, "starttls": True}, "exclude each other"),
        ({"starttls": False, "username": "u", "password": "p"}, "unencrypted"),
        ({"username": "u"}, "go together"),
        ({"sender": "rapports"}, "with a domain"),
        ({"host": " "}, "QUITUS_SMTP_HOST"),
        ({"timeout": 0}, "QUITUS_SMTP_TIMEOUT"),
    ],
)
def test_unusable_smtp_settings_are_refused(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(SmtpSetupError, match=problem):
        SmtpSettings(**{"host": "smtp.example", "sender": SENDER, **settings})


def test_smtp_settings_from_config_name_unknown_and_missing_keys() -> None:
    with pytest.raises(SmtpSetupError, match="QUITUS_SMTP_HOTS"):
        SmtpSettings.from_config({"hots": "smtp.example", "sender": SENDER})
    with pytest.raises(SmtpSetupError, match="QUITUS_SMTP_SENDER"):
        SmtpSettings.from_config({"host": "smtp.example"})
    settings = SmtpSettings.from_config(
        {"host": "smtp.example", "sender": SENDER, "use_tls": True, "starttls": False}
    )
    assert settings.resolved_port == 465
    assert "password" not in repr(SmtpSettings(host="h.example", sender=SENDER, username="u", password="p"))


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 10), (2, 20), (4, 80), (30, 480)])
def test_the_backoff_doubles_up_to_its_ceiling(attempts: int, minutes: int) -> None:
    assert RetryPolicy().delay_after(attempts) == dt.timedelta(minutes=minutes)


def _self_signed(host: str, folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mx.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "mx.pem", folder / "mx.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


# -- portal link --------------------------------------------------------------------------------

PUBLIC_URL = "https://rapports.exemple.fr"
PORTAL_URL = re.compile(re.escape(PUBLIC_URL) + r"/portail/(\S+)")


def portal_links(store: ReportStore, report_id: str) -> list[PortalLinkRecord]:
    with store.database.session() as session:
        rows = list(session.scalars(select(PortalLinkRecord).where(PortalLinkRecord.report_id == report_id)))
        session.expunge_all()
        return rows


def test_with_a_public_url_the_mail_carries_a_portal_link_that_opens_the_sealed_report(
    database: Database,
    tmp_path: Path,
    server: tuple[Inbox, SmtpSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, smtp = server
    address = "irene.portail@exemple-client.fr"
    with open_harness(tmp_path / "home", database.url, public_url=PUBLIC_URL, portal_link_days=10) as harness:
        report_id: str = harness.capture(with_email(sample_reports(1, seed=21)[0].payload, address))[
            "report_id"
        ]
        process_reports(harness)
        store = harness.context.app.store
        portal = portal_delivery_of(harness.settings)
        assert portal == PortalDelivery(public_url=PUBLIC_URL, link_days=10, attach_pdf=True)
        caplog.set_level(logging.DEBUG)
        start = dt.datetime.now(dt.UTC)

        result = deliver_reports(store, [report_id], smtp=smtp, company_name=COMPANY, portal=portal)

        assert result.sent == [report_id]
        (message,) = inbox.messages
        assert message["Message-ID"] == report_message_id(report_id, SENDER)
        body = message.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        found = PORTAL_URL.search(text)
        assert found is not None
        token = found.group(1)
        # The PDF is attached as before, and the link opens the same sealed report.
        (attachment,) = list(message.iter_attachments())
        pdf = sealed_pdf(store, report_id)
        assert attachment.get_content() == pdf
        response = harness.client.get(f"/api/v1/portal/{token}/pdf")
        assert response.status_code == 200 and response.content == pdf
        page = harness.client.get(f"/portail/{token}")
        assert page.status_code == 200 and f"/api/v1/portal/{token}/pdf" in page.text
        # Valid for QUITUS_PORTAL_LINK_DAYS, and the French text says until when.
        (link,) = portal_links(store, report_id)
        expires_at = link.expires_at.replace(tzinfo=link.expires_at.tzinfo or dt.UTC)
        assert abs(expires_at - (start + dt.timedelta(days=10))) < dt.timedelta(minutes=1)
        assert f"jusqu'au {french_long_date(expires_at.astimezone(PARIS).date())}" in text
        assert link.created_by == store.actor
        assert link.id == token.partition(".")[0]
        # The ledger names the link by its id; the token (its signature) is nowhere but in the mail.
        (created,) = events(store, report_id, "portal.link")
        assert created["details"] == {"link": link.id, "for": "email"} and created["actor"] == store.actor
        (sent,) = events(store, report_id)
        assert sent["details"]["portal_link"] == link.id and sent["details"]["attached"] == "yes"
        signature = token.partition(".")[2]
        # (the test server's "mail.log" and the test client's "httpx" are not quitus's logs)
        logged = "\n".join(
            r.getMessage() for r in caplog.records if not r.name.startswith(("mail.", "httpx"))
        )
        for place in (every_row(store), json.dumps(dataclasses.asdict(result)), logged):
            assert signature not in place and address not in place

        # Delivered once: a second run sends nothing and creates no other link.
        again = deliver_reports(store, [report_id], smtp=smtp, company_name=COMPANY, portal=portal)
        assert again.untouched == {report_id: "done"} and len(inbox.messages) == 1
        assert len(portal_links(store, report_id)) == 1


def test_without_the_attachment_the_mail_holds_only_the_link_and_a_retry_reuses_it(
    store: ReportStore, archive: Any, payloads: dict[str, dict[str, Any]], server: tuple[Inbox, SmtpSettings]
) -> None:
    inbox, smtp = server
    (report_id,) = archive(with_email(payloads["completed"], "jules.lien@exemple-client.fr"))
    portal = PortalDelivery(public_url=PUBLIC_URL + "/", link_days=30, attach_pdf=False)
    retry = RetryPolicy(first_delay=dt.timedelta(minutes=10))
    inbox.data_replies.append("451 4.3.0 try later")
    start = dt.datetime.now(dt.UTC)

    first = deliver_reports(
        store, [report_id], smtp=smtp, company_name=COMPANY, retry=retry, portal=portal, now=start
    )
    assert first.retrying == {report_id: "data_451"} and not inbox.messages
    (link,) = portal_links(store, report_id)

    later = start + dt.timedelta(minutes=11)
    sent = deliver_reports(
        store, [report_id], smtp=smtp, company_name=COMPANY, retry=retry, portal=portal, now=later
    )
    assert sent.sent == [report_id]
    # The retry used the link the first attempt created: one link, one portal.link event.
    assert [r.id for r in portal_links(store, report_id)] == [link.id]
    assert len(events(store, report_id, "portal.link")) == 1
    (message,) = inbox.messages
    assert message["Message-ID"] == report_message_id(report_id, SENDER)
    assert [p.get_content_type() for p in message.walk()] == ["text/plain"]
    assert not list(message.iter_attachments())
    text = message.get_content()
    found = PORTAL_URL.search(text)
    assert found is not None and "//portail" not in text
    assert found.group(1).partition(".")[0] == link.id
    assert "ci-joint" not in text and "expire" in text
    assert AccessStore(store).open_portal_link(found.group(1)) == report_id
    assert events(store, report_id)[-1]["details"]["attached"] == "no"


def test_a_delivery_link_is_reused_until_revoked_or_nearly_expired(
    store: ReportStore, archive: Any, payloads: dict[str, dict[str, Any]]
) -> None:
    (report_id,) = archive(with_email(payloads["completed"], None))
    access = AccessStore(store)
    now = dt.datetime.now(dt.UTC)
    days = dt.timedelta(days=30)

    def link(at: dt.datetime) -> str:
        return access.delivery_portal_link(
            report_id, actor="test", valid_for=days, channel="email", now=at
        ).token

    first = link(now)
    assert link(now + dt.timedelta(days=2)) == first
    # Past half its validity, a retry (e.g. re-queued weeks later) gets a fresh link.
    second = link(now + dt.timedelta(days=16))
    assert second != first
    access.revoke_portal_link(second, actor="test")
    with pytest.raises(PortalLinkError):
        access.open_portal_link(second)
    third = link(now + dt.timedelta(days=16))
    assert third not in (first, second)
    assert access.open_portal_link(third) == report_id
    assert len(portal_links(store, report_id)) == 3


def test_the_portal_settings_and_the_attachment_without_a_public_url_is_refused() -> None:
    with pytest.raises(SettingsError, match="QUITUS_DELIVERY_ATTACH_PDF=false needs QUITUS_PUBLIC_URL"):
        load_settings({"QUITUS_DELIVERY_ATTACH_PDF": "false"})
    with pytest.raises(SettingsError, match="QUITUS_PORTAL_LINK_DAYS"):
        load_settings({"QUITUS_PUBLIC_URL": PUBLIC_URL, "QUITUS_PORTAL_LINK_DAYS": "366"})
    default = load_settings({})
    assert (default.portal_link_days, default.delivery_attach_pdf) == (30, True)
    assert portal_delivery_of(default) is None  # no public URL: the e-mail is as before
    settings = load_settings(
        {
            "QUITUS_PUBLIC_URL": PUBLIC_URL,
            "QUITUS_DELIVERY_ATTACH_PDF": "false",
            "QUITUS_PORTAL_LINK_DAYS": "7",
        }
    )
    assert portal_delivery_of(settings) == PortalDelivery(
        public_url=PUBLIC_URL, link_days=7, attach_pdf=False
    )
