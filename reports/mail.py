"""The e-mail that carries a sealed report to its client.

:func:`compose_report_mail` builds one plain-text message in French with the sealed
PDF attached as ``rapport-<report id>.pdf``, and/or a :class:`PortalLink` — the address
of the client-portal page that shows the report, and when it expires. It holds nothing
else that reaches out: no HTML, no remote image, no read-receipt request (the portal
counts how often a link is opened, nothing more). Its ``Message-ID`` is
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
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from reports.errors import ReportsError
from reports.schema import PARIS, InterventionReport

__all__ = [
    "MailError",
    "NoClientEmailError",
    "PortalLink",
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


@dataclass(frozen=True)
class PortalLink:
    """Where the client can open the report online, and until when."""

    url: str
    """``https://…/portail/<token>``: the token is the credential, so the URL is a secret."""
    expires_at: dt.datetime

    def __repr__(self) -> str:  # the URL stays out of logs and tracebacks
        return f"PortalLink(url=<hidden>, expires_at={self.expires_at.isoformat()})"


def compose_report_mail(
    report: InterventionReport,
    *,
    report_id: str,
    pdf: bytes | None,
    sender: str,
    company_name: str,
    date: dt.datetime | None = None,
    portal: PortalLink | None = None,
    report_number: str | None = None,
) -> EmailMessage:
    """The message delivering ``pdf`` (the sealed full report) and/or a ``portal`` link to it
    to the report's client. With ``pdf`` None, nothing is attached: the link alone is sent.

    ``sender`` is an address, with or without a display name
    (``Thermi'Clim <rapports@thermiclim.fr>``); without one, ``company_name`` is shown.
    ``date`` is the ``Date`` header (now by default). ``report_number`` (``RI-2026-000123``) is
    the reference the client reads and the attachment's name; ``report_id`` stays in the
    ``Message-ID``, the same at every send.

    Raises:
        NoClientEmailError: the client gave no e-mail address.
        MailError: ``sender`` is not an address with a domain, ``report_id`` is not an id, or
            there is neither a PDF nor a link.
    """
    if report.client.email is None:
        raise NoClientEmailError(f"report {report_id}: the client has no e-mail address")
    if not _REPORT_ID.fullmatch(report_id) or (report_number and not _REPORT_ID.fullmatch(report_number)):
        raise MailError("a report id is letters, digits and hyphens (RI-…)")
    if pdf is None and portal is None:
        raise MailError("a report mail carries the PDF, a portal link, or both")
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
    reference = report_number or report_id
    body = _body(report, reference, day, company, attached=pdf is not None, portal=portal)
    message.set_content(body, cte="quoted-printable")
    message["Content-Language"] = "fr"  # after set_content, which clears the Content-* headers
    if pdf is not None:
        message.add_attachment(
            pdf, maintype="application", subtype="pdf", filename=f"rapport-{reference}.pdf"
        )
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


def _body(
    report: InterventionReport,
    report_id: str,
    day: str,
    company: str,
    *,
    attached: bool,
    portal: PortalLink | None,
) -> str:
    equipment = f"{report.equipment.brand} {report.equipment.model}"
    what = f"le rapport de l'intervention du {day} sur votre équipement {equipment}"
    opening = f"Veuillez trouver ci-joint {what}." if attached else f"Votre rapport est disponible : {what}."
    paragraphs = ["Bonjour,", f"{opening}\nRéférence du rapport : {report_id}"]
    if portal is not None:
        until = french_long_date(portal.expires_at.astimezone(PARIS).date())
        if attached:
            paragraphs.append(f"Vous pouvez aussi le consulter en ligne jusqu'au {until} :\n{portal.url}")
        else:
            paragraphs.append(
                f"Consultez-le et téléchargez-le en ligne jusqu'au {until} :\n{portal.url}\n"
                "Ce lien est personnel et expire à cette date : enregistrez le document pour le conserver."
            )
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
