"""The role × endpoint matrix: which roles each API endpoint admits, in one place.

Every route under ``/api/v1`` is named (``name=`` in its decorator) and takes its
caller from ``Depends(allow(<name>))``; ``tests/quitus/test_api_roles.py`` walks
``app.routes`` and calls each endpoint as each role, without a token and with a revoked
or expired one, so an endpoint missing here (or enforcing something else) fails it.

The principles (docs/api.md explains each row):

* **technician** — captures reports and follows *their own* (status, anonymized PDF,
  a client-portal link for the client they served); reads the templates.
* **compliance** (the DPO's office) — everything about retention and data subjects, and
  the only role that reads personal data (content, full PDF, subject export), each read
  recorded in the ledger, with a justification code when the report is restricted.
* **auditor** — checks handling without seeing personal data: the ledger, proof bundles,
  report states, policies, holds, the plan, the review queue, anonymized PDFs.
* **planner** (the back office) — plans, moves and cancels the follow-up visits of
  unfinished reports and reads their plans: the client, the site and what is carried over,
  what planning needs, each read recorded in the ledger. No report content, no PDF.
  A technician lists and reads the plans of the visits they are assigned.
* **admin** — runs the service: report states (to spot stuck reports), templates,
  policies (list, validate), the ledger's health, withdrawing a portal link. No personal
  data and no disposition decision (separation of duties with compliance). Users and
  tokens are managed with the CLI only (``quitus users``, ``quitus tokens``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from quitus.api.auth import require
from storage.access_store import Principal, Role

__all__ = ["ASSIGNED_VISITS_ONLY", "ENDPOINT_ROLES", "OWN_REPORTS_ONLY", "PUBLIC_ENDPOINTS", "allow"]

_T, _C, _A, _ADMIN, _P = Role.TECHNICIAN, Role.COMPLIANCE, Role.AUDITOR, Role.ADMIN, Role.PLANNER
_EVERYONE = frozenset(Role)

ENDPOINT_ROLES: Mapping[str, frozenset[Role]] = {
    # service
    "me": _EVERYONE,
    # reports
    "capture_report": frozenset({_T}),
    "list_reports": frozenset({_C, _A, _ADMIN}),
    "report_status": _EVERYONE,
    "report_content": frozenset({_C}),
    "report_pdf_full": frozenset({_C}),
    "report_pdf_redacted": frozenset({_T, _C, _A}),
    # client-portal links
    "create_portal_link": frozenset({_T, _C}),
    "revoke_portal_link": frozenset({_C, _ADMIN}),
    # templates
    "list_templates": _EVERYONE,
    "show_template": _EVERYONE,
    # policies
    "list_policies": frozenset({_C, _A, _ADMIN}),
    "show_policy": frozenset({_C, _A, _ADMIN}),
    "validate_policies": frozenset({_C, _ADMIN}),
    "explain_retention": frozenset({_C, _A}),
    # retention
    "list_holds": frozenset({_C, _A}),
    "place_hold": frozenset({_C}),
    "release_hold": frozenset({_C}),
    "retention_plan": frozenset({_C, _A}),
    "record_retention_event": frozenset({_C}),
    "review_queue": frozenset({_C, _A}),
    "approve_review": frozenset({_C}),
    "extend_review": frozenset({_C}),
    "relabel_review": frozenset({_C}),
    "disposed_register": frozenset({_C, _A}),
    "report_certificate": frozenset({_C, _A}),
    # audit
    "ledger_status": frozenset({_C, _A, _ADMIN}),
    "verify_ledger": frozenset({_A, _ADMIN}),
    "export_proof": frozenset({_C, _A}),
    # data subjects
    "subject_export": frozenset({_C}),
    "subject_erase": frozenset({_C}),
    # planned follow-up visits (a technician: those they are assigned, see ASSIGNED_VISITS_ONLY)
    "plan_visit": frozenset({_P}),
    "list_visits": frozenset({_T, _P}),
    "show_visit": frozenset({_T, _P}),
    "move_visit": frozenset({_P}),
    "cancel_visit": frozenset({_P}),
    # the equipment register (technical data only)
    "equipment_history": frozenset({_T, _P}),
}
"""Endpoint name → the roles it admits."""

PUBLIC_ENDPOINTS: Mapping[str, str] = {
    "health": "liveness probe: says nothing but ok",
    "portal_pdf": "the signed, expiring link is the credential (one report, for its client)",
}
"""Endpoints that take no token, and why."""

OWN_REPORTS_ONLY: Mapping[str, frozenset[Role]] = {
    "report_status": frozenset({_T}),
    "report_pdf_redacted": frozenset({_T}),
    "create_portal_link": frozenset({_T}),
}
"""Endpoints where these roles reach only the reports they captured (others answer 404)."""


ASSIGNED_VISITS_ONLY: Mapping[str, frozenset[Role]] = {
    "list_visits": frozenset({_T}),
    "show_visit": frozenset({_T}),
}
"""Endpoints where these roles reach only the visits they are assigned (others answer 404)."""


def allow(endpoint: str) -> Callable[..., Principal]:
    """The dependency that admits the roles :data:`ENDPOINT_ROLES` gives ``endpoint``."""
    return require(*ENDPOINT_ROLES[endpoint])
