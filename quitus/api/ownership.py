"""Which reports a caller reaches: technicians only those they captured.

Who captured a report is read from the ledger (the actor of its ``receive`` events), the
record that cannot be rewritten. Another technician's report answers 404, as an unknown
id does: the answer does not confirm it exists.

**Capture identity.** What a caller submits goes through :func:`capture_store`: a
correction (new bytes under a ``submission_id``) is accepted only from the user who sent
that report first, else it is kept as the caller's own rejected report with an issue
that names nothing (:mod:`storage.report_store`). No API role corrects another's report
(:data:`CORRECTS_OTHERS_REPORTS` is empty): only technicians capture
(:data:`~quitus.api.roles.ENDPOINT_ROLES`), and each answers for their own reports; the
back office corrects a technician's report from the CLI (``quitus ingest``), which acts
as the installation's operator.
"""

from __future__ import annotations

from quitus.api.roles import OWN_REPORTS_ONLY
from storage.access_store import Principal, Role
from storage.errors import ReportNotFoundError
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.report_store import TEAM_DETAIL, ReportStore, ReportSummary

__all__ = [
    "CORRECTS_OTHERS_REPORTS",
    "capture_store",
    "captured_by",
    "reachable_report",
    "reports_captured_by",
    "sent_by",
]

SENDER_ONLY = frozenset({"create_portal_link"})
"""Endpoints of :data:`~quitus.api.roles.OWN_REPORTS_ONLY` that the report's sender alone
reaches, not its team: a portal link serves the client the full sealed PDF, which a team
member may not download (found by the round-5 adversary)."""

CORRECTS_OTHERS_REPORTS: frozenset[Role] = frozenset()
"""Roles whose submissions through the API may correct a report another user sent first."""


def capture_store(store: ReportStore, principal: Principal) -> ReportStore:
    """The store ``principal`` captures through (see the module doc, *Capture identity*)."""
    return store.for_submitter(principal.handle, corrects_others=principal.role in CORRECTS_OTHERS_REPORTS)


def captured_by(store: ReportStore, report_id: str) -> set[str]:
    """The actors who submitted (a revision of) the report, and the technicians its latest
    capture names in its team."""
    actors, team = _senders_and_team(store, report_id)
    return actors | team


def sent_by(store: ReportStore, report_id: str) -> set[str]:
    """The actors who submitted (a revision of) the report — not its team: what only the
    sender may do (give the client a portal link to the full PDF) asks this."""
    return _senders_and_team(store, report_id)[0]


def _senders_and_team(store: ReportStore, report_id: str) -> tuple[set[str], set[str]]:
    actors: set[str] = set()
    team: set[str] = set()
    for stored in store.ledger.entries_for_report(report_id):
        entry = decode_entry(stored.entry)
        if entry.get("step") == LedgerStep.RECEIVE:
            actors.add(str(entry.get("actor")))
        elif entry.get("step") == LedgerStep.CAPTURE:
            team = _team_of(entry)
    return actors, team


def _team_of(entry: dict[str, object]) -> set[str]:
    details = entry.get("details")
    named = details.get(TEAM_DETAIL) if isinstance(details, dict) else None
    return {str(handle) for handle in named} if isinstance(named, list) else set()


def reports_captured_by(store: ReportStore, handle: str) -> list[str]:
    """The ids of the reports ``handle`` submitted (a revision of), or whose latest capture
    names them in its team, oldest first.

    Read from the ledger's ``receive`` entries, like :func:`captured_by`: the list a
    technician's *Mes rapports* page shows is the set :func:`reachable_report` admits.
    """
    found: dict[str, None] = {}
    teams: dict[str, set[str]] = {}
    for stored in store.ledger.entries_with_step(LedgerStep.RECEIVE, LedgerStep.CAPTURE):
        entry = decode_entry(stored.entry)
        report_id = entry.get("report")
        if not isinstance(report_id, str):
            continue
        if entry.get("step") == LedgerStep.RECEIVE and entry.get("actor") == handle:
            found.setdefault(report_id)
        elif entry.get("step") == LedgerStep.CAPTURE:
            teams[report_id] = _team_of(entry)  # the latest capture's team
    for report_id, team in teams.items():
        if handle in team:
            found.setdefault(report_id)
    return list(found)


def reachable_report(
    store: ReportStore, principal: Principal, endpoint: str, report_id: str
) -> ReportSummary:
    """The report's summary when ``principal`` may reach it through ``endpoint``; else 404."""
    summary = store.get(report_id)
    restricted_roles = OWN_REPORTS_ONLY.get(endpoint, frozenset())
    owners = sent_by if endpoint in SENDER_ONLY else captured_by
    if principal.role in restricted_roles and principal.handle not in owners(store, report_id):
        raise ReportNotFoundError(f"no report {report_id} among those {principal.handle} captured")
    return summary
