"""Delivery: the sealed PDF of each archived report goes to its client by e-mail, and an
unfinished intervention registers its follow-up request.

:func:`deliver_reports` takes a batch of report ids (``DeliveryStore.due_report_ids``
picks them) and, for each archived report, in this order:

1. opens the follow-up request when the intervention is unfinished (``followup.request``);
2. reads the report and its sealed ``pdf_full``, composes the message
   (:func:`reports.mail.compose_report_mail`), or records ``skipped`` / ``no_email``;
3. claims the delivery (``sending``), hands the message to the SMTP server, and records
   the outcome with its ``deliver`` ledger event in one transaction.

**Portal link.** With :class:`PortalDelivery` (``QUITUS_PUBLIC_URL`` set), the message also
carries ``<public url>/portail/<token>``, a client-portal link valid for
``QUITUS_PORTAL_LINK_DAYS`` (:meth:`AccessStore.delivery_portal_link`: created once per
delivery with its ``portal.link`` event, found again by a retry, so that a message sent
again is the same message); with ``attach_pdf`` off, the link replaces the attachment.
The token goes into the message and nowhere else: not the logs, the result, the ledger.

How an SMTP problem is recorded (codes only — a server's reply may quote an address)::

    connection refused, timeout, 4xx, disconnect  pending, due again after a backoff that
                                                  doubles with each attempt; failed after the last
    5xx to RCPT or DATA (``rcpt_550``…)           failed (permanent); ``quitus deliver --retry-failed``
    4xx/5xx to MAIL FROM (``mail_553``…)          the sender is refused: pending, and the rest of
                                                  the batch is not sent either
    login refused, TLS failure, 5xx greeting      SmtpSetupError: the run stops, no report is touched

**Exactly once, as far as SMTP allows.** The row is ``sending`` before the message is
handed over and ``sent`` after. Between the server's "250 accepted" and that record,
a crash (or a connection lost before the reply is read) leaves the message sent but
not recorded: when the claim's lease ends, the next run sends it again, with the same
``Message-ID``. Delivery is therefore at least once, at most twice in practice, and a
duplicate is recognizable. Nothing else sends a report twice: the claim is a
compare-and-set and the row's primary key is (report, channel).

Nothing here logs, returns or records an address: results and logs carry report ids and
codes (a Prefect task may return :class:`DeliveryResult` as it is).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reports.mail import (
    MailError,
    NoClientEmailError,
    PortalLink,
    compose_report_mail,
    report_message_id,
    sender_address,
)
from reports.schema import InterventionReport
from storage.access_store import AccessStore
from storage.blob_kinds import BlobKind
from storage.delivery_store import EMAIL, FINAL_STATUSES, DeliveryRow, DeliveryStatus, DeliveryStore
from storage.errors import StorageError
from storage.models import utcnow
from storage.report_store import ReportStore, ReportSummary
from storage.states import ReportState

__all__ = [
    "DeliveryError",
    "DeliveryResult",
    "PortalDelivery",
    "RetryPolicy",
    "SmtpSettings",
    "SmtpSetupError",
    "deliver_reports",
]

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """Base class of the errors raised by the delivery stage."""


class SmtpSetupError(DeliveryError):
    """The SMTP settings are unusable, or the server refuses them (login, TLS): nothing was sent."""


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    """How to reach the company's SMTP server (the ``QUITUS_SMTP_*`` settings)."""

    host: str
    """Server name or address."""
    port: int | None = None
    """Default: 465 with ``use_tls``, 587 with ``starttls``, else 25."""
    use_tls: bool = False
    """Implicit TLS from the first byte (SMTPS, port 465)."""
    starttls: bool = True
    """Upgrade a plain connection with STARTTLS (submission, port 587); refused if the server cannot."""
    username: str | None = None
    """Login, when the server requires one (only over TLS)."""
    password: str | None = field(default=None, repr=False)
    sender: str
    """``From`` and envelope sender, e.g. ``Thermi'Clim <rapports@thermiclim.fr>``; its domain
    names the Message-IDs."""
    timeout: float = 30.0
    """Seconds for each network operation."""
    ca_file: Path | None = None
    """PEM bundle that the server's certificate must chain to (a private CA); the system's by default."""

    def __post_init__(self) -> None:
        if not self.host.strip():
            raise SmtpSetupError("QUITUS_SMTP_HOST is empty: name the SMTP server")
        if self.use_tls and self.starttls:
            raise SmtpSetupError(
                "QUITUS_SMTP_USE_TLS (implicit TLS, port 465) and QUITUS_SMTP_STARTTLS (port 587) "
                "exclude each other: set one"
            )
        if (self.username is None) != (self.password is None):
            raise SmtpSetupError(
                "QUITUS_SMTP_USERNAME and QUITUS_SMTP_PASSWORD go together: set both or none"
            )
        if self.username is not None and not (self.use_tls or self.starttls):
            raise SmtpSetupError(
                "a password is never sent over an unencrypted connection: set QUITUS_SMTP_STARTTLS "
                "or QUITUS_SMTP_USE_TLS"
            )
        if not 0 < self.timeout <= 600:
            raise SmtpSetupError("QUITUS_SMTP_TIMEOUT is in seconds, between 0 and 600")
        if self.port is not None and not 0 < self.port < 65536:
            raise SmtpSetupError("QUITUS_SMTP_PORT must be between 1 and 65535")
        try:
            sender_address(self.sender)
        except MailError as exc:
            raise SmtpSetupError(str(exc)) from exc

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        """From values named like the fields (``host``, ``port``…, as in ``QUITUS_SMTP_<NAME>``).

        An unknown name is an error (a typo is never silently ignored), and so is a missing
        ``host`` or ``sender``.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            names = ", ".join(f"QUITUS_SMTP_{name.upper()}" for name in unknown)
            raise SmtpSetupError(f"unknown SMTP setting {names}; known: {', '.join(sorted(known))}")
        missing = [name for name in ("host", "sender") if config.get(name) is None]
        if missing:
            names = ", ".join(f"QUITUS_SMTP_{name.upper()}" for name in missing)
            raise SmtpSetupError(f"{names} must be set for e-mail delivery")
        values = dict(config)
        if values.get("ca_file") is not None:
            values["ca_file"] = Path(values["ca_file"])
        return cls(**values)

    @property
    def resolved_port(self) -> int:
        if self.port is not None:
            return self.port
        return 465 if self.use_tls else 587 if self.starttls else 25


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """When a delivery that failed transiently is tried again, and when it is given up."""

    max_attempts: int = 12
    """Attempts before a transient error becomes ``failed``."""
    first_delay: dt.timedelta = dt.timedelta(minutes=10)
    """Wait after the first failed attempt; doubled after each next one."""
    max_delay: dt.timedelta = dt.timedelta(hours=8)
    lease: dt.timedelta = dt.timedelta(minutes=15)
    """How long a claim (``sending``) protects a delivery from other workers. It must outlast
    one send; after it, a claim is taken as abandoned by a crash and the message is sent again."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay_after(self, attempts: int) -> dt.timedelta:
        """Wait after ``attempts`` failed attempts: first_delay × 2^(attempts − 1), at most max_delay."""
        return min(self.first_delay * (1 << max(attempts - 1, 0)), self.max_delay)


@dataclass(frozen=True, kw_only=True)
class PortalDelivery:
    """A client-portal link in each message (``QUITUS_PUBLIC_URL``, ``QUITUS_PORTAL_LINK_DAYS``,
    ``QUITUS_DELIVERY_ATTACH_PDF``)."""

    public_url: str
    """Where clients reach ``quitus serve``, e.g. ``https://rapports.example.fr``."""
    link_days: int = 30
    """How long the link is valid."""
    attach_pdf: bool = True
    """Attach the PDF as well; off, the mailbox never holds the document, only a link that expires."""

    def __post_init__(self) -> None:
        if not self.public_url.startswith(("https://", "http://")):
            raise DeliveryError("QUITUS_PUBLIC_URL must start with https:// (or http://)")
        if not 1 <= self.link_days <= 365:
            raise DeliveryError("QUITUS_PORTAL_LINK_DAYS is between 1 and 365")

    def url(self, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/portail/{token}"


@dataclass
class DeliveryResult:
    """What one run did, as report ids and codes: no address, no server reply."""

    sent: list[str] = field(default_factory=list)
    retrying: dict[str, str] = field(default_factory=dict)
    """report id → error code: pending, tried again after the backoff."""
    failed: dict[str, str] = field(default_factory=dict)
    """report id → error code: permanently refused, given up, or unreadable."""
    skipped: dict[str, str] = field(default_factory=dict)
    """report id → why there is nothing to send (``no_email``)."""
    untouched: dict[str, str] = field(default_factory=dict)
    """report id → why nothing was done: ``not_archived``, ``restricted``, ``done`` (delivered,
    failed or skipped before), ``not_due`` (waiting for its backoff), ``in_progress`` (claimed
    by another worker)."""
    followups: list[str] = field(default_factory=list)
    """Follow-up requests opened by this run."""

    def counts(self) -> dict[str, int]:
        return {
            "sent": len(self.sent),
            "retrying": len(self.retrying),
            "failed": len(self.failed),
            "skipped": len(self.skipped),
            "untouched": len(self.untouched),
            "followups": len(self.followups),
        }


def deliver_reports(
    store: ReportStore,
    report_ids: Sequence[str],
    *,
    smtp: SmtpSettings,
    company_name: str,
    retry: RetryPolicy | None = None,
    portal: PortalDelivery | None = None,
    now: dt.datetime | None = None,
) -> DeliveryResult:
    """E-mail each archived report's sealed PDF to its client once; open follow-up requests.

    With ``portal``, each message carries a client-portal link to the report (beside the
    PDF, or instead of it). ``now`` fixes the clock (the due checks and every recorded time). Raises
    :class:`SmtpSetupError` when the server refuses the settings (login, TLS); the
    reports of the batch handled before that are recorded, the others untouched.
    """
    run = _DeliveryRun(
        store,
        DeliveryStore(store),
        _SmtpConnection(smtp),
        smtp=smtp,
        company_name=company_name,
        retry=retry or RetryPolicy(),
        clock=(lambda: now) if now is not None else utcnow,
        portal=portal,
    )
    try:
        for report_id in report_ids:
            run.deliver(report_id)
    finally:
        run.connection.close()
    counts = run.result.counts()
    log.info("delivery run: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return run.result


# -- one run ------------------------------------------------------------------------------


class _SendFailedError(Exception):
    """A message was not handed over. ``code`` is safe to record; the cause is not."""

    def __init__(self, code: str, *, permanent: bool, server_down: bool) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent
        self.server_down = server_down
        """Sending the rest of the batch now would fail the same way."""


@dataclass
class _DeliveryRun:
    store: ReportStore
    deliveries: DeliveryStore
    connection: _SmtpConnection
    smtp: SmtpSettings
    company_name: str
    retry: RetryPolicy
    clock: Callable[[], dt.datetime]
    portal: PortalDelivery | None = None
    result: DeliveryResult = field(default_factory=DeliveryResult)
    server_down: _SendFailedError | None = None
    """Set when the server cannot take messages in this run: the next ones are not tried."""

    def deliver(self, report_id: str) -> None:
        summary = self.store.get(report_id)
        if summary.state != ReportState.ARCHIVED:
            self._untouched(report_id, "not_archived")
            return
        if summary.restriction_reason:  # GDPR Art. 18: no processing beyond storage
            self._untouched(report_id, "restricted")
            return
        row = self.deliveries.delivery(report_id)
        not_due = _why_not_due(row, self.clock())
        wants_followup = summary.outcome == "unfinished" and not self.deliveries.has_followup(report_id)
        if not_due and not wants_followup:
            self._untouched(report_id, not_due)
            return
        try:
            report = self._content(summary)
        except StorageError as exc:
            self._unreadable(report_id, row, not_due, exc)
            return
        if wants_followup:
            self._open_followup(report_id, report)
        if not_due:
            self._untouched(report_id, not_due)
        else:
            self._deliver_to_client(report_id, row, report)

    def _deliver_to_client(self, report_id: str, row: DeliveryRow | None, report: InterventionReport) -> None:
        if (
            row is not None
            and row.status == DeliveryStatus.SENDING
            and row.attempts >= self.retry.max_attempts
        ):
            self._give_up_interrupted(report_id, row)
        elif report.client.email is None:
            self._skip(report_id, row, NoClientEmailError.code)
        else:
            self._send(report_id, row, report)

    # -- steps -----------------------------------------------------------------------------

    def _send(self, report_id: str, row: DeliveryRow | None, report: InterventionReport) -> None:
        message_id_hash = hashlib.sha256(report_message_id(report_id, self.smtp.sender).encode()).hexdigest()
        if self.server_down is None:
            try:
                self.connection.open()
            except _SendFailedError as failure:
                self.server_down = failure
        if self.server_down is not None:
            claimed = self._claim(report_id, row, message_id_hash)
            if claimed is not None:
                self._record_failure(claimed, self.server_down)
            return
        try:
            blob_id, pdf = self._sealed_pdf(report_id)
        except StorageError as exc:
            self._unreadable(report_id, row, None, exc)
            return
        link_id, link = self._portal_link(report_id)
        attach = self.portal is None or self.portal.attach_pdf
        message = compose_report_mail(
            report,
            report_id=report_id,
            pdf=pdf if attach else None,
            sender=self.smtp.sender,
            company_name=self.company_name,
            date=self.clock(),
            portal=link,
            report_number=self.store.get(report_id).number,
        )
        claimed = self._claim(report_id, row, message_id_hash)
        if claimed is None:
            return
        try:
            self.connection.send(message)
        except _SendFailedError as failure:
            if failure.server_down:
                self.server_down = failure
            self._record_failure(claimed, failure)
            return
        self.deliveries.finish(
            claimed,
            DeliveryStatus.SENT,
            now=self.clock(),
            artifacts=self._artifact(report_id, blob_id),
            details={
                "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
                **({"portal_link": link_id, "attached": "yes" if attach else "no"} if link_id else {}),
                **_resumed(row),
            },
        )
        self.result.sent.append(report_id)
        log.info("report %s: sent (attempt %d)", report_id, claimed.attempts)

    def _portal_link(self, report_id: str) -> tuple[str | None, PortalLink | None]:
        """This delivery's portal link (id, link): the one an earlier attempt created, or a new one."""
        if self.portal is None:
            return None, None
        link = AccessStore(self.store).delivery_portal_link(
            report_id,
            actor=self.store.actor,
            valid_for=dt.timedelta(days=self.portal.link_days),
            channel=EMAIL,
            now=self.clock(),
        )
        link_id = link.token.partition(".")[0]
        return link_id, PortalLink(url=self.portal.url(link.token), expires_at=link.expires_at)

    def _claim(
        self, report_id: str, row: DeliveryRow | None, message_id_hash: str | None
    ) -> DeliveryRow | None:
        claimed = self.deliveries.claim(
            report_id, row, now=self.clock(), lease=self.retry.lease, message_id_hash=message_id_hash
        )
        if claimed is None:
            self._untouched(report_id, "in_progress")
        return claimed

    def _record_failure(self, claimed: DeliveryRow, failure: _SendFailedError) -> None:
        now = self.clock()
        gave_up = not failure.permanent and claimed.attempts >= self.retry.max_attempts
        if failure.permanent or gave_up:
            self.deliveries.finish(
                claimed,
                DeliveryStatus.FAILED,
                now=now,
                error_code=failure.code,
                details={"gave_up": "max_attempts"} if gave_up else {},
            )
            self.result.failed[claimed.report_id] = failure.code
            log.warning(
                "report %s: not delivered (%s), attempt %d", claimed.report_id, failure.code, claimed.attempts
            )
            return
        self.deliveries.finish(
            claimed,
            DeliveryStatus.PENDING,
            now=now,
            error_code=failure.code,
            next_attempt_at=now + self.retry.delay_after(claimed.attempts),
        )
        self.result.retrying[claimed.report_id] = failure.code
        log.info("report %s: will retry (%s), attempt %d", claimed.report_id, failure.code, claimed.attempts)

    def _skip(self, report_id: str, row: DeliveryRow | None, code: str) -> None:
        now = self.clock()
        if row is None:
            recorded = self.deliveries.skip(report_id, code, now=now)
        else:
            claimed = self._claim(report_id, row, None)
            recorded = claimed is not None and self.deliveries.finish(
                claimed, DeliveryStatus.SKIPPED, now=now, error_code=code
            )
        if recorded:
            self.result.skipped[report_id] = code
            log.info("report %s: not e-mailed (%s)", report_id, code)
        else:
            self._untouched(report_id, "in_progress")

    def _unreadable(
        self, report_id: str, row: DeliveryRow | None, not_due: str | None, exc: StorageError
    ) -> None:
        """The report's content or PDF cannot be decrypted: a permanent failure to look into."""
        code = f"unreadable_{exc.__class__.__name__}"
        self.result.failed[report_id] = code
        log.error("report %s: cannot be read for delivery (%s)", report_id, code)
        if not_due is None:
            claimed = self.deliveries.claim(
                report_id, row, now=self.clock(), lease=self.retry.lease, message_id_hash=None
            )
            if claimed is not None:
                self.deliveries.finish(claimed, DeliveryStatus.FAILED, now=self.clock(), error_code=code)

    def _give_up_interrupted(self, report_id: str, row: DeliveryRow) -> None:
        """The last attempt was cut short by a crash: sending again could crash again, forever."""
        claimed = self._claim(report_id, row, row.message_id_hash)
        if claimed is not None:
            self.deliveries.finish(
                claimed,
                DeliveryStatus.FAILED,
                now=self.clock(),
                error_code="interrupted",
                details={"gave_up": "max_attempts"},
            )
            self.result.failed[report_id] = "interrupted"
            log.warning("report %s: not delivered (interrupted on its last attempt)", report_id)

    def _open_followup(self, report_id: str, report: InterventionReport) -> None:
        reschedule = report.outcome.reschedule
        opened = self.deliveries.open_followup(
            report_id, preferred_date=reschedule.preferred_date if reschedule else None, now=self.clock()
        )
        if opened:
            self.result.followups.append(report_id)
            log.info("report %s: follow-up request opened", report_id)

    def _untouched(self, report_id: str, why: str) -> None:
        self.result.untouched[report_id] = why

    # -- reading ---------------------------------------------------------------------------

    def _content(self, summary: ReportSummary) -> InterventionReport:
        if summary.content_blob_id is None:
            raise StorageError(f"report {summary.id} has no parsed content")
        content = self.store.read_blob(summary.id, summary.content_blob_id)
        try:
            return InterventionReport.model_validate_json(content)
        except ValidationError as exc:
            raise StorageError(
                f"report {summary.id}: its stored content no longer matches the schema"
            ) from exc

    def _sealed_pdf(self, report_id: str) -> tuple[str, bytes]:
        blob_id = self.store.latest_blob(report_id, BlobKind.PDF_FULL)
        if blob_id is None:
            raise StorageError(f"report {report_id} has no sealed PDF")
        return blob_id, self.store.read_blob(report_id, blob_id)

    def _artifact(self, report_id: str, blob_id: str) -> dict[str, str]:
        return {b.id: b.ciphertext_sha256 for b in self.store.blob_records(report_id) if b.id == blob_id}


def _why_not_due(row: DeliveryRow | None, now: dt.datetime) -> str | None:
    if row is None or row.due(now):
        return None
    if row.status in FINAL_STATUSES:
        return "done"
    return "in_progress" if row.status == DeliveryStatus.SENDING else "not_due"


def _resumed(row: DeliveryRow | None) -> dict[str, str | int | list[str]]:
    """Marks a send that repeats one a crash interrupted (it may have gone out already)."""
    return {"resumed": "interrupted_send"} if row is not None and row.status == DeliveryStatus.SENDING else {}


# -- SMTP ---------------------------------------------------------------------------------


class _SmtpConnection:
    """One SMTP session per run, reopened after a failed send."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        """Connect, STARTTLS and log in, unless connected.

        Raises :class:`_SendFailedError` (transient, server down) or :class:`SmtpSetupError`.
        """
        if self._smtp is not None:
            return
        s = self.settings
        context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
        try:
            smtp: smtplib.SMTP = (
                smtplib.SMTP_SSL(s.host, s.resolved_port, timeout=s.timeout, context=context)
                if s.use_tls
                else smtplib.SMTP(s.host, s.resolved_port, timeout=s.timeout)
            )
        except (smtplib.SMTPException, OSError) as exc:
            raise _session_failure(exc) from exc
        try:
            smtp.ehlo()
            if s.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.username is not None:
                smtp.login(s.username, s.password or "")
        except (smtplib.SMTPException, OSError) as exc:
            smtp.close()
            raise _session_failure(exc) from exc
        self._smtp = smtp

    def send(self, message: EmailMessage) -> None:
        self.open()
        assert self._smtp is not None
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            # A fresh session for the next message: the state of this one is unknown.
            self.close()
            raise _send_failure(exc) from None

    def close(self) -> None:
        if self._smtp is None:
            return
        smtp, self._smtp = self._smtp, None
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _session_failure(exc: BaseException) -> Exception:
    """Opening the session failed: a transient outage, or settings the server refuses."""
    problem = _setup_problem(exc)
    if problem is not None:
        return SmtpSetupError(problem)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _SendFailedError(f"connect_{_smtp_code(exc.smtp_code)}", permanent=False, server_down=True)
    return _SendFailedError(_network_code(exc) or "network_error", permanent=False, server_down=True)


def _setup_problem(exc: BaseException) -> str | None:
    """What to fix when the server refuses the settings; None for a transient failure.

    Never quotes the server's reply: only its code and the TLS library's own reason.
    """
    problem = None
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        problem = (
            f"the SMTP server refused the login (code {exc.smtp_code}): "
            "check QUITUS_SMTP_USERNAME and QUITUS_SMTP_PASSWORD"
        )
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        problem = (
            "the SMTP server does not offer STARTTLS or login as configured: check QUITUS_SMTP_STARTTLS, "
            "QUITUS_SMTP_USE_TLS and QUITUS_SMTP_PORT"
        )
    elif isinstance(exc, ssl.SSLCertVerificationError):
        problem = (
            f"the SMTP server's certificate is not trusted ({exc.verify_message}); "
            "for a private CA, set QUITUS_SMTP_CA_FILE"
        )
    elif isinstance(exc, ssl.SSLError):
        problem = (
            f"TLS with the SMTP server failed ({exc.reason or exc.__class__.__name__}): QUITUS_SMTP_USE_TLS "
            "is implicit TLS (port 465), QUITUS_SMTP_STARTTLS is for port 587"
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        if 500 <= exc.smtp_code < 600:
            problem = f"the SMTP server refuses the session (code {exc.smtp_code})"
    elif _network_code(exc) is None:  # the library's own, e.g. no login method in common
        problem = f"the SMTP session cannot be set up ({exc.__class__.__name__}): check QUITUS_SMTP_*"
    return problem


def _send_failure(exc: BaseException) -> _SendFailedError:
    """A message was not accepted. Recipients' addresses in ``exc`` stay there."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return _by_code("rcpt", codes[0] if codes else -1)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # Our sender, not this report, is refused: the whole batch would be.
        return _SendFailedError(f"mail_{_smtp_code(exc.smtp_code)}", permanent=False, server_down=True)
    if isinstance(exc, smtplib.SMTPDataError):
        return _by_code("data", exc.smtp_code)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        # The address needs SMTPUTF8 (non-ASCII), which the server lacks.
        return _SendFailedError("smtputf8_unsupported", permanent=True, server_down=False)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code("smtp", exc.smtp_code)
    return _SendFailedError(_network_code(exc) or "smtp_error", permanent=False, server_down=False)


def _by_code(stage: str, code: int) -> _SendFailedError:
    return _SendFailedError(
        f"{stage}_{_smtp_code(code)}",
        permanent=500 <= code < 600,
        server_down=code == 421,  # "service not available, closing channel"
    )


def _smtp_code(code: int) -> str:
    return str(code) if 100 <= code < 600 else "unknown"


_NETWORK_CODES: tuple[tuple[type[BaseException], str | None], ...] = (
    (smtplib.SMTPServerDisconnected, "disconnected"),
    (ConnectionRefusedError, "connection_refused"),
    (TimeoutError, "timeout"),
    (socket.gaierror, "host_not_found"),
    (ConnectionError, "connection_lost"),
    (smtplib.SMTPException, None),  # the library's own complaint, not the network's
    (OSError, "network_error"),
)
"""First match wins: the more specific kinds come first."""


def _network_code(exc: BaseException) -> str | None:
    return next((code for kind, code in _NETWORK_CODES if isinstance(exc, kind)), None)
