"""The JSON the CLI prints with ``--json``: one model per command, the schema scripts rely on.

Each model's ``model_json_schema()`` is what docs/cli-json.md shows (a test keeps the two
equal, and validates each command's real output against its model). A field is added, never
renamed or removed, without a new ``schema_version``. Nothing here holds personal data the
human output of the same command does not print.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from storage.visits import VisitRow

__all__ = [
    "JSON_OUTPUTS",
    "BrokenTemplate",
    "BundleVerification",
    "DeliveryRun",
    "FlowRun",
    "FollowupEntry",
    "FollowupList",
    "HoldEntry",
    "HoldList",
    "IssueEntry",
    "LedgerVerification",
    "PolicyChange",
    "PolicyDetail",
    "PolicyDiff",
    "PolicyEntry",
    "PolicyExplanation",
    "PolicyList",
    "PolicyValidation",
    "ReportDetail",
    "ReportList",
    "ReportRow",
    "RetentionPlan",
    "RetentionRun",
    "ReviewEntry",
    "ReviewList",
    "SubjectRequestEntry",
    "SubjectRequestList",
    "TemplateDetail",
    "TemplateList",
    "TemplateRow",
    "VisitChange",
    "VisitEntry",
    "VisitList",
    "emit",
    "json_schema_text",
]


class _Output(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReportRow(_Output):
    """One report in ``reports list``."""

    number: str | None = Field(description="Sequential number (RI-2026-000123), none for a rejected report.")
    id: str = Field(description="Report id (RI-…).")
    state: str = Field(description="captured, validated, rejected, sealed, archived, erased, …")
    template: str | None = Field(description="Template id (equipment.intervention).")
    intervention_date: dt.date | None
    outcome: str | None
    issues: int = Field(description="How many validation issues it has.")
    updated_at: dt.datetime


class ReportList(_Output):
    """``quitus reports list --json``."""

    schema_version: Literal[1] = 1
    reports: list[ReportRow]
    counts: dict[str, int] = Field(description="Reports per state, over the whole store.")
    limit: int
    offset: int


class IssueEntry(_Output):
    path: str | None = Field(description="Field path (client.email), none for the whole submission.")
    code: str
    message: str


class SubmissionEntry(_Output):
    received_at: dt.datetime
    source: str = Field(description="json, pdf_form, api, web, …")
    outcome: str


class ReportDetail(_Output):
    """``quitus reports show --json`` (``content`` only with ``--reveal``, a recorded read)."""

    schema_version: Literal[1] = 1
    number: str | None
    id: str
    state: str
    revision: int
    submission_id: str | None
    source: str | None
    template: str | None
    intervention_date: dt.date | None
    outcome: str | None
    client_kind: str | None
    restriction: str | None = Field(description="Why reading it is restricted (Art. 18), if it is.")
    created_at: dt.datetime
    updated_at: dt.datetime
    issues: list[IssueEntry]
    submissions: list[SubmissionEntry]
    content: dict[str, object] | None = Field(
        default=None, description="The report's content, personal data included: only with --reveal."
    )


class PolicyEntry(_Output):
    ref: str = Field(description="id@version, as the ledger names it.")
    id: str
    version: str
    duration: str = Field(description="ISO 8601 duration (P10Y).")
    action: str = Field(description="What happens when it ends: anonymize, delete, review.")
    trigger: str = Field(description="From when the duration runs, in words.")
    scope: dict[str, list[str]] = Field(description="Which reports it covers (empty: all reports).")


class PolicyList(_Output):
    """``quitus policies list --json``."""

    schema_version: Literal[1] = 1
    set_version: str
    policies: list[PolicyEntry]


class PlanEntry(_Output):
    report_id: str
    number: str | None = Field(description="Its number (RI-2026-000123); none if it was never accepted.")
    status: Literal["due", "held", "awaiting_review", "tampered"] = Field(
        description="tampered: its rows differ from the ledger; the run refuses it (quitus audit verify)."
    )
    action: str
    policy_ref: str
    due: dt.date
    held_by: list[str] = Field(description="Ids of the holds keeping it.")


class RetentionPlan(_Output):
    """``quitus retention plan --json``: a dry run, nothing changed."""

    schema_version: Literal[1] = 1
    at: dt.date
    items: list[PlanEntry] = Field(description="The first --limit items.")
    counts: dict[str, int] = Field(description="Items per action, or held / awaiting (all items).")


class DoneEntry(_Output):
    action: str
    policy_ref: str
    count: int


class RetentionRun(_Output):
    """``quitus retention run --json`` (exit 1 when tampering was found)."""

    schema_version: Literal[1] = 1
    day: dt.date
    done: list[DoneEntry]
    total: int
    held: int
    awaiting_review: int
    certificates_issued: int
    certificates_failed: dict[str, str] = Field(description="Report id → why its certificate was not issued.")
    tampered: dict[str, str] = Field(description="Report id → why the gate refused it as tampered.")
    unreadable: dict[str, str] = Field(
        default={}, description="Report id → why it could not be anonymized (its content cannot be read)."
    )


class HoldEntry(_Output):
    id: str
    active: bool
    scope: str = Field(description="What it covers, as `holds list` describes it.")
    placed_by: str
    placed_at: dt.datetime
    released_at: dt.datetime | None
    reason: str | None = Field(description="Why, as typed when placed (may name people); none once erased.")


class HoldList(_Output):
    """``quitus holds list --json``."""

    schema_version: Literal[1] = 1
    holds: list[HoldEntry]


class ReviewEntry(_Output):
    report_id: str
    number: str | None = Field(description="Its number (RI-2026-000123); none if it was never accepted.")
    due: dt.date
    policy_ref: str


class ReviewList(_Output):
    """``quitus review list --json``."""

    schema_version: Literal[1] = 1
    items: list[ReviewEntry]


class FlowRun(_Output):
    """``quitus run intake|retention --json`` (exit 1 when tampering was found or the witness failed)."""

    schema_version: Literal[1] = 1
    flow: Literal["intake", "retention"]
    counts: dict[str, int] = Field(
        description="What the run did: reports through each stage and failed at it (intake: redact, "
        "render, seal, archive, …_failed), dispositions, held, tampered, witness_failed (retention)."
    )


class PolicyExplanation(_Output):
    """``quitus policies explain --json``: the effective decision, as the API's ``/retention`` gives it."""

    schema_version: Literal[1] = 1
    report_id: str
    number: str | None = Field(description="Its number (RI-2026-000123); none if it was never accepted.")
    erased: bool = Field(description="True: the report is erased, no retention rule applies any more.")
    template: str | None = Field(description="equipment.intervention the policies looked at.")
    client_kind: str | None
    intervention_date: dt.date | None
    policies: list[str] = Field(description="Every policy that applies (id@version).")
    winner: str | None = Field(description="The policy whose action applies.")
    action: str | None
    due: dt.date | None = Field(description="Nothing is disposed before; none: its trigger has not happened.")
    restricted_from: dt.date | None = Field(description="End of the active base (access restricted after).")
    obligation_until: dt.date | None
    held_by: list[str] = Field(description="Legal holds in force on it: never disposed while held.")
    reasons: list[str]
    tampered: list[str] = Field(
        default=[], description="What differs from the ledger; not empty: the disposal gate refuses it."
    )


class PolicyValidation(_Output):
    """``quitus policies validate --json`` (exit 1 when a file has a problem)."""

    schema_version: Literal[1] = 1
    valid: bool
    policies: int | None = Field(description="How many policies, when valid.")
    set_version: str | None = Field(description="The set's version, when valid.")
    problems: list[str] = Field(description="Each problem with its file and line.")


class PolicyChange(_Output):
    policy_id: str
    change: Literal["added", "removed", "edited"]
    old_ref: str | None = Field(description="id@version in force; none for an added policy.")
    new_ref: str | None = Field(description="id@version proposed; none for a removed policy.")
    diff: str | None = Field(description="Unified diff of the file, for an edited policy.")


class PolicyDiff(_Output):
    """``quitus policies diff --json``: what the proposed folder would change. Writes nothing."""

    schema_version: Literal[1] = 1
    changes: list[PolicyChange]


class PolicyDetail(_Output):
    """``quitus policies show --json``."""

    schema_version: Literal[1] = 1
    ref: str
    path: str
    text: str = Field(description="The policy file as in force.")


class TemplateRow(_Output):
    id: str
    title: str
    checklist: int
    measurements: int
    thresholds: int
    dropdowns: int
    photos: dict[str, int] = Field(description="Photo kind → how many are required.")


class BrokenTemplate(_Output):
    template_id: str
    path: str
    problems: list[str]


class TemplateList(_Output):
    """``quitus templates list --json`` (exit 1 when a template file is broken)."""

    schema_version: Literal[1] = 1
    templates: list[TemplateRow]
    broken: list[BrokenTemplate] = Field(description="Files not used until fixed, and why.")


class TemplateDetail(_Output):
    """``quitus templates show --json``."""

    schema_version: Literal[1] = 1
    template: dict[str, Any] = Field(
        description="The template as loaded: id, title, checklist, measurements (unit, min, max, "
        "thresholds), selections, photos — the fields of a template file (docs/templates.md)."
    )


class LedgerVerification(_Output):
    """``quitus audit verify --json`` (exit 1 on tampering or an unsigned tail)."""

    schema_version: Literal[1] = 1
    ok: bool
    entries: int
    checkpoints: int = Field(description="Signed checkpoints checked.")
    remembered: int = Field(description="Checkpoints remembered outside the database.")
    blobs_checked: int
    problems: list[str] = Field(description="Each a failure: altered, removed, forged, or not signed yet.")
    unsigned_tail: str | None = Field(description="The problem that is only an unsigned tail, if any.")
    first_bad_entry: int | None
    warnings: list[str]
    witnesses: int = Field(description="How many --witness-key were checked.")


class BundleVerification(_Output):
    """``quitus proof verify --json`` (exit 1 when the bundle does not verify)."""

    schema_version: Literal[1] = 1
    ok: bool
    report_id: str | None
    entries: int = Field(description="Ledger entries proven.")
    tree_size: int | None
    checked: list[str]
    problems: list[str]


class SubjectRequestEntry(_Output):
    seq: int = Field(description="The ledger entry's sequence number.")
    received_at: dt.datetime
    request_id: str
    kind: str = Field(description="access or erasure.")
    found: int = Field(description="How many reports were found.")
    terms: list[str] = Field(description="Looked up by: email, phone, name (never the value).")
    reports: list[str]
    actor: str


class SubjectRequestList(_Output):
    """``quitus subject requests --json``: the register of requests (no names)."""

    schema_version: Literal[1] = 1
    requests: list[SubjectRequestEntry]


class DeliveryRun(_Output):
    """``quitus deliver --json`` (exit 1 when a delivery failed for good). Report ids and codes only."""

    schema_version: Literal[1] = 1
    requeued: list[str] = Field(description="Failed deliveries made due again (--retry-failed).")
    sent: list[str]
    retrying: dict[str, str] = Field(description="Report id → error code; tried again after the backoff.")
    failed: dict[str, str] = Field(description="Report id → error code (docs/delivery.md).")
    skipped: dict[str, str] = Field(description="Report id → why nothing is sent (no_email).")
    followups: list[str] = Field(description="Follow-up requests opened by this run.")


class FollowupEntry(_Output):
    report_id: str
    number: str | None = Field(description="Its number (RI-2026-000123); none if it was never accepted.")
    intervention_date: dt.date | None
    preferred_date: dt.date | None
    requested_at: dt.datetime
    status: Literal["open", "scheduled", "closed"]


class FollowupList(_Output):
    """``quitus reports reschedule --json``: follow-up visits asked for. No personal data."""

    schema_version: Literal[1] = 1
    followups: list[FollowupEntry]


class VisitEntry(_Output):
    """A planned follow-up visit: ids, day, slot and technicians' identifiers only."""

    id: str = Field(description="Visit id (PV-…).")
    continues: str | None = Field(
        description="Number of the unfinished report it continues (RI-2026-000123)."
    )
    continues_report_id: str
    template: str
    day: dt.date
    slot: Literal["matin", "apres_midi", "journee"]
    technicians: list[str]
    status: Literal["planned", "done", "cancelled"]
    continued_by_report_id: str | None = Field(description="The report that continued it, once accepted.")
    tampered: list[str] = Field(
        default_factory=list,
        description="How its row differs from the signed ledger (ids only); when not empty, the values "
        "above are the ledger's and the visit is refused until `quitus audit verify` is looked at.",
    )

    @classmethod
    def of(cls, row: VisitRow) -> VisitEntry:
        """A visit as ``--json`` and the API show it."""
        return cls(
            id=row.id,
            continues=row.continues_number,
            continues_report_id=row.continues_report_id,
            template=row.template_id,
            day=row.day,
            slot=row.slot.value,
            technicians=list(row.technicians),
            status=row.status.value,
            continued_by_report_id=row.continued_by_report_id,
            tampered=list(row.tampered),
        )


class VisitList(_Output):
    """``quitus visits list --json``: the visits by day and slot. No personal data."""

    schema_version: Literal[1] = 1
    visits: list[VisitEntry]


class VisitChange(_Output):
    """``quitus visits plan|move|cancel --json``: the visit as it now is, and whether it changed."""

    schema_version: Literal[1] = 1
    visit: VisitEntry
    changed: bool = Field(description="False when nothing changed (moved to where it was, cancelled again).")


JSON_OUTPUTS: dict[str, type[_Output]] = {
    "reports list": ReportList,
    "reports show": ReportDetail,
    "policies list": PolicyList,
    "retention plan": RetentionPlan,
    "retention run": RetentionRun,
    "holds list": HoldList,
    "review list": ReviewList,
    "run": FlowRun,
    "policies explain": PolicyExplanation,
    "policies validate": PolicyValidation,
    "policies show": PolicyDetail,
    "policies diff": PolicyDiff,
    "templates list": TemplateList,
    "templates show": TemplateDetail,
    "audit verify": LedgerVerification,
    "proof verify": BundleVerification,
    "subject requests": SubjectRequestList,
    "deliver": DeliveryRun,
    "reports reschedule": FollowupList,
    "visits list": VisitList,
    "visits plan": VisitChange,
    "visits move": VisitChange,
    "visits cancel": VisitChange,
}
"""Command → the model of what it prints with ``--json``."""


def emit(output: _Output) -> None:
    """Print ``output`` as one JSON document on stdout (never through Rich: no wrapping, no markup)."""
    sys.stdout.write(output.model_dump_json(indent=2) + "\n")


def json_schema_text(command: str) -> str:
    """The JSON Schema of ``command``'s ``--json`` output, as docs/cli-json.md shows it."""
    import json  # noqa: PLC0415

    return json.dumps(JSON_OUTPUTS[command].model_json_schema(), indent=2, ensure_ascii=False)
