"""The client portal: one report, for its client, through an expiring signed link (no login).

A link is created by a technician (for a report they captured) or the compliance office;
it shows one report until it expires or is withdrawn. Opening the sealed PDF through it
is recorded in the ledger (``portal.open``, naming the link, never the client). A report
whose personal data became restricted (intermediate archiving, Art. 18) is no longer
shown: the link answers ``410``.

The web pages call :func:`portal_summary` (what the page shows: no personal data) and
:func:`open_portal_document` (the PDF); both raise :class:`~storage.access_store.PortalLinkError`
with a code (``invalid`` → 404, ``expired`` / ``revoked`` → 410) or :class:`PortalUnavailableError`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from quitus.api.context import ApiContext
from retention.access import access_restriction, read_personal_data
from storage.access_store import PortalLinkError
from storage.blob_kinds import BlobKind
from storage.ledger.steps import LedgerStep
from storage.states import ReportState

__all__ = [
    "PORTAL_ACTOR",
    "PortalDocument",
    "PortalSummary",
    "PortalUnavailableError",
    "open_portal_document",
    "portal_path",
    "portal_summary",
]

PORTAL_ACTOR = "portal"
"""Who the ledger names for what a portal link opens (the link id is in the event's details)."""
PORTAL_PAGE = "/portail/{token}"
PORTAL_PDF = "/api/v1/portal/{token}/pdf"
_TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{16,64}\.[0-9a-f]{1,64}", re.ASCII)
"""What a link's token looks like (``<link id>.<hex signature>``): anything else is not a link."""


class PortalUnavailableError(Exception):
    """The link is valid but its report cannot be shown (code: ``not_ready``, ``restricted``, ``erased``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PortalSummary:
    """What the portal page may show about the report (no personal data)."""

    report_id: str
    template_id: str | None
    intervention_date: dt.date | None
    pdf_ready: bool
    """The sealed PDF can be downloaded (``PORTAL_PDF``)."""


@dataclass(frozen=True)
class PortalDocument:
    report_id: str
    filename: str
    pdf: bytes
    """The sealed PDF, personal data included (the client's own report)."""


def portal_path(token: str) -> str:
    """The page a client opens: ``/portail/<token>``."""
    return PORTAL_PAGE.format(token=token)


def _link_id(token: str) -> str:
    return token.partition(".")[0]


def _open(context: ApiContext, token: str) -> str:
    if len(token) > 200 or not _TOKEN_FORMAT.fullmatch(token):
        raise PortalLinkError("invalid")
    report_id = context.access.open_portal_link(token)
    summary = context.app.store.get(report_id)
    if summary.state == ReportState.ERASED:
        raise PortalUnavailableError("erased", "this report no longer exists")
    if access_restriction(context.app.store, context.app.policies(), report_id) is not None:
        raise PortalUnavailableError(
            "restricted", "this report is no longer available online; ask the company for a copy"
        )
    return report_id


def portal_summary(context: ApiContext, token: str) -> PortalSummary:
    """What the link shows, without personal data (the page around the download)."""
    report_id = _open(context, token)
    summary = context.app.store.get(report_id)
    pdf_ready = context.app.store.latest_blob(report_id, BlobKind.PDF_FULL) is not None
    return PortalSummary(report_id, summary.template_id, summary.intervention_date, pdf_ready)


def open_portal_document(context: ApiContext, token: str) -> PortalDocument:
    """The report's sealed PDF; the opening is recorded (``portal.open``, with the link id)."""
    report_id = _open(context, token)
    if context.app.store.latest_blob(report_id, BlobKind.PDF_FULL) is None:
        raise PortalUnavailableError("not_ready", "the sealed report is not ready yet; try again later")
    pdf = read_personal_data(
        context.app.store.acting_as(PORTAL_ACTOR),
        context.app.policies(),
        report_id,
        "pdf_full",
        step=LedgerStep.PORTAL_OPEN,
        details={"link": _link_id(token)},
    )
    return PortalDocument(report_id, f"rapport-{report_id}.pdf", pdf)
