"""The e-mail that carries a sealed report to its client.

:func:`compose_report_mail` builds one plain-text message in French with the sealed
PDF attached as ``rapport-<report id>.pdf``. It holds nothing that tracks the reader:
no HTML, no remote image, no link, no read-receipt request. Its ``Message-ID`` is
derived from the report id alone (:func:`report_message_id`), so a message sent twice
— after a crash between the send and its record — carries the same id, and mail
clients and servers that de-duplicate on it show it once.

Errors::

    ReportsError
    └── MailError               a report mail cannot be composed
        └── NoClientEmailError  the client gave no e-mail address: there is no one to send it to
"""

from __future__ import annotations

import datetime as dt
import email.policy
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from reports.errors import ReportsError
from reports.schema import PARIS, InterventionReport

__all__ = [
    "MailError",
    "NoClientEmailError",
    "compose_report_mail",
    "french_long_date",
    "report_message_id",
    "sender_address",
]

_REPORT_ID = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


class MailError(ReportsError):
    """A report mail cannot be composed (bad sender, bad report id)."""


class NoClientEmailError(MailError):
    """The report's client has no e-mail address."""

    code = "no_email"
    """The delivery records this code, as ``skipped``."""


def compose_report_mail(
    report: InterventionReport,
    *,
    report_id: str,
    pdf: bytes,
    sender: str,
    company_name: str,
    date: dt.datetime | None = None,
) -> EmailMessage:
    """The message delivering ``pdf`` (the sealed full report) to the report's client.

    ``sender`` is an address, with or without a display name
    (``Thermi'Clim <rapports@thermiclim.fr>``); without one, ``company_name`` is shown.
    ``date`` is the ``Date`` header (now by default).

    Raises:
        NoClientEmailError: the client gave no e-mail address.
        MailError: ``sender`` is not an address with a domain, or ``report_id`` is not an id.
    """
    if report.client.email is None:
        raise NoClientEmailError(f"report {report_id}: the client has no e-mail address")
    if not _REPORT_ID.fullmatch(report_id):
        raise MailError("a report id is letters, digits and hyphens (RI-…)")
    company = " ".join(company_name.split())  # a line break would end the header
    from_name, from_address = sender_address(sender)
    day = french_long_date(report.intervention_date)

    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = f"Votre rapport d'intervention du {day} — {company}"
    message["From"] = Address(display_name=from_name or company, addr_spec=from_address)
    message["To"] = report.client.email
    message["Date"] = format_datetime((date or dt.datetime.now(dt.UTC)).astimezone(PARIS))
    message["Message-ID"] = report_message_id(report_id, sender)
    # RFC 3834: vacation auto-replies are not sent back to an automatic message.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_body(report, report_id, day, company), cte="quoted-printable")
    message["Content-Language"] = "fr"  # after set_content, which clears the Content-* headers
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"rapport-{report_id}.pdf")
    return message


def report_message_id(report_id: str, sender: str) -> str:
    """``<RI-….rapport@sender-domain>``: the same for every send of the same report."""
    _, address = sender_address(sender)
    return f"<{report_id}.rapport@{address.rpartition('@')[2]}>"


def sender_address(sender: str) -> tuple[str, str]:
    """(display name, address) of ``sender``; raises :class:`MailError` when it has no domain."""
    name, address = parseaddr(sender)
    local, at, domain = address.rpartition("@")
    if not (local and at and re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", domain)):
        raise MailError(
            "the sender must be an e-mail address with a domain, e.g. "
            "'Thermi'Clim <rapports@thermiclim.fr>' (QUITUS_SMTP_SENDER)"
        )
    return " ".join(name.split()), address


def french_long_date(day: dt.date) -> str:
    """``1er mars 2026``, ``12 mars 2026``."""
    return f"{'1er' if day.day == 1 else day.day} {_MONTHS[day.month - 1]} {day.year}"


def _body(report: InterventionReport, report_id: str, day: str, company: str) -> str:
    equipment = f"{report.equipment.brand} {report.equipment.model}"
    paragraphs = [
        "Bonjour,",
        f"Veuillez trouver ci-joint le rapport de l'intervention du {day} sur votre "
        f"équipement {equipment}.\nRéférence du rapport : {report_id}",
    ]
    if report.outcome.status == "unfinished":
        wanted = report.outcome.reschedule.preferred_date if report.outcome.reschedule else None
        when = f", si possible à partir du {french_long_date(wanted)}" if wanted else ""
        paragraphs.append(
            "L'intervention n'a pas pu être terminée lors de ce passage. Une nouvelle "
            f"intervention est à prévoir{when} : nous vous contacterons pour convenir d'un rendez-vous."
        )
    paragraphs += [
        f"Ce rapport est scellé électroniquement par {company} : toute modification du "
        "document après le scellement est détectable (par exemple dans Adobe Acrobat Reader, "
        "panneau « Signatures »). Conservez-le : il atteste de l'intervention réalisée.",
        f"Cordialement,\n{company}",
    ]
    return "\n\n".join(paragraphs) + "\n"
