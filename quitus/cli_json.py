"""The JSON the CLI prints with ``--json``: one model per command, the schema scripts rely on.

Each model's ``model_json_schema()`` is what docs/cli-json.md shows (a test keeps the two
equal, and validates each command's real output against its model). A field is added, never
renamed or removed, without a new ``schema_version``. Nothing here holds personal data the
human output of the same command does not print.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "JSON_OUTPUTS",
    "HoldEntry",
    "HoldList",
    "IssueEntry",
    "PolicyEntry",
    "PolicyList",
    "ReportDetail",
    "ReportList",
    "ReportRow",
    "RetentionPlan",
    "RetentionRun",
    "ReviewEntry",
    "ReviewList",
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
    status: Literal["due", "held", "awaiting_review"]
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
    due: dt.date
    policy_ref: str


class ReviewList(_Output):
    """``quitus review list --json``."""

    schema_version: Literal[1] = 1
    items: list[ReviewEntry]


JSON_OUTPUTS: dict[str, type[_Output]] = {
    "reports list": ReportList,
    "reports show": ReportDetail,
    "policies list": PolicyList,
    "retention plan": RetentionPlan,
    "retention run": RetentionRun,
    "holds list": HoldList,
    "review list": ReviewList,
}
"""Command → the model of what it prints with ``--json``."""


def emit(output: _Output) -> None:
    """Print ``output`` as one JSON document on stdout (never through Rich: no wrapping, no markup)."""
    sys.stdout.write(output.model_dump_json(indent=2) + "\n")


def json_schema_text(command: str) -> str:
    """The JSON Schema of ``command``'s ``--json`` output, as docs/cli-json.md shows it."""
    import json  # noqa: PLC0415

    return json.dumps(JSON_OUTPUTS[command].model_json_schema(), indent=2, ensure_ascii=False)
