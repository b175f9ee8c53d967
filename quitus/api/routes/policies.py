"""Retention policies: the ones in force, checking a proposed file, and why a report is kept."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel

from policies.errors import PolicyFileError
from policies.loading import LoadedPolicy, load_policies
from quitus.api.context import ApiContext, context_of
from quitus.api.errors import INVALID_POLICIES, REPORT_LOOKUP, ApiError, error_responses
from quitus.api.params import API_V1, PolicyIdPath, ReportIdPath
from quitus.api.roles import allow
from retention.explain import explain_retention
from storage.access_store import Principal

__all__ = ["router"]

router = APIRouter(prefix=API_V1, tags=["policies"])

Context = Annotated[ApiContext, Depends(context_of)]
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.yaml")
_MAX_POLICY_FILES = 200
_MAX_POLICY_BYTES = 256 * 1024


class PolicyOut(BaseModel):
    id: str
    version: str
    ref: str
    """``id@version``: what the ledger records."""
    title: str
    duration: str
    action: str
    trigger: str
    scope: dict[str, list[str]]
    """Empty lists mean "any"."""
    active_period: str | None
    obligation: bool
    """The law requires keeping the data (an erasure request then restricts instead)."""
    references: list[str]

    @classmethod
    def of(cls, loaded: LoadedPolicy) -> PolicyOut:
        p = loaded.policy
        return cls(
            id=p.id,
            version=loaded.version,
            ref=loaded.ref,
            title=p.title,
            duration=p.duration,
            action=p.action,
            trigger=p.trigger.describe(),
            scope={k: list(v) for k, v in p.scope.model_dump().items()},
            active_period=p.active_period,
            obligation=p.legal_basis.obligation,
            references=list(p.legal_basis.references),
        )


class PolicyList(BaseModel):
    version: str
    """The set's version: changes when any policy is added, removed or edited."""
    policies: list[PolicyOut]


class PolicyText(PolicyOut):
    text: str
    """The YAML file as in force."""


class PolicyProblem(BaseModel):
    where: str
    """``file:line``."""
    message: str


class PolicyValidation(BaseModel):
    valid: bool
    policies: int
    version: str | None
    problems: list[PolicyProblem]


class RetentionExplanationOut(BaseModel):
    report_id: str
    erased: bool
    template: str | None = None
    client_kind: str | None = None
    intervention_date: dt.date | None = None
    policies: list[str] = []
    """Every policy that applies (``id@version``)."""
    winner: str | None = None
    action: str | None = None
    due: dt.date | None = None
    """Nothing is disposed before this date (the longest retention wins)."""
    restricted_from: dt.date | None = None
    """End of the active base: access to personal data is restricted from then on."""
    obligation_until: dt.date | None = None
    held_by: list[str] = []
    reasons: list[str] = []
    tampered: list[str] = []
    """What its decision rests on and differs from the ledger (ids and sequence numbers): the
    disposal gate refuses it until ``quitus audit verify`` is clean. Empty: nothing differs."""


@router.get("/policies", name="list_policies", responses=error_responses(INVALID_POLICIES))
def list_policies(
    principal: Annotated[Principal, Depends(allow("list_policies"))], context: Context
) -> PolicyList:
    """The policies in force: built-in French library and the company's own files."""
    policies = context.app.policies()
    return PolicyList(version=policies.version, policies=[PolicyOut.of(p) for p in policies])


@router.get(
    "/policies/{policy_id}",
    name="show_policy",
    responses=error_responses(INVALID_POLICIES, {404: ("policy_not_found",)}),
)
def show_policy(
    policy_id: PolicyIdPath,
    principal: Annotated[Principal, Depends(allow("show_policy"))],
    context: Context,
) -> PolicyText:
    """A policy as in force, with its file's text."""
    loaded = context.app.policies().get(policy_id)
    if loaded is None:
        raise ApiError(
            404, "policy_not_found", "no policy with this id", hint="GET /api/v1/policies lists them"
        )
    return PolicyText(**PolicyOut.of(loaded).model_dump(), text=loaded.text)


@router.post(
    "/policies/validate",
    name="validate_policies",
    responses=error_responses({413: ("file_too_large",), 422: ("too_many_files", "invalid_file_name")}),
)
def validate_policies(
    files: Annotated[list[UploadFile], File(description="One or more policy files (*.yaml).")],
    principal: Annotated[Principal, Depends(allow("validate_policies"))],
    context: Context,
) -> PolicyValidation:
    """Check proposed policy files strictly, as ``quitus policies validate`` does; nothing is installed.

    Answers ``200`` with ``valid: false`` and every problem (file and line) when they are invalid.
    """
    if len(files) > _MAX_POLICY_FILES:
        raise ApiError(
            422, "too_many_files", f"at most {_MAX_POLICY_FILES} policy files at once", where="body"
        )
    with tempfile.TemporaryDirectory(prefix="quitus-policies-") as folder:
        for position, upload in enumerate(files):
            name = upload.filename or ""
            if not _FILE_NAME.fullmatch(name):
                raise ApiError(
                    422,
                    "invalid_file_name",
                    f"file {position + 1}: a policy file is named like fr-garantie.yaml "
                    "(letters, digits, '_', '.', '-', ending in .yaml)",
                    where=f"body.files[{position}]",
                )
            data = upload.file.read(_MAX_POLICY_BYTES + 1)
            if len(data) > _MAX_POLICY_BYTES:
                raise ApiError(
                    413, "file_too_large", f"a policy file is at most {_MAX_POLICY_BYTES} bytes", where=name
                )
            (Path(folder) / name).write_bytes(data)
        try:
            policies = load_policies([Path(folder)], known_kinds={t.key for t in context.app.catalog})
        except PolicyFileError as exc:
            prefix = f"{folder}/"
            problems = [_problem(p.replace(prefix, "")) for p in exc.problems]
            return PolicyValidation(valid=False, policies=0, version=None, problems=problems)
    return PolicyValidation(valid=True, policies=len(policies), version=policies.version, problems=[])


def _problem(text: str) -> PolicyProblem:
    where, _, message = text.partition(": ")
    return PolicyProblem(where=where, message=message or where)


@router.get(
    "/reports/{report_id}/retention",
    name="explain_retention",
    responses=error_responses(REPORT_LOOKUP, INVALID_POLICIES),
)
def explain(
    report_id: ReportIdPath,
    principal: Annotated[Principal, Depends(allow("explain_retention"))],
    context: Context,
) -> RetentionExplanationOut:
    """Which policies apply to a report, which one wins and why, when it is due, holds on it."""
    explanation = explain_retention(context.app.store, context.app.policies(), report_id)
    if explanation is None:
        return RetentionExplanationOut(report_id=report_id, erased=True)
    facts, decision = explanation.facts, explanation.decision
    kind = f"{facts.equipment_category}.{facts.intervention_type}" if facts.equipment_category else None
    return RetentionExplanationOut(
        report_id=report_id,
        erased=False,
        template=kind,
        client_kind=facts.client_kind,
        intervention_date=facts.intervention_date,
        policies=list(decision.policy_refs),
        winner=decision.winner.loaded.ref if decision.winner else None,
        action=decision.action,
        due=decision.due,
        restricted_from=decision.restricted_from,
        obligation_until=decision.obligation_until,
        held_by=list(explanation.held_by),
        reasons=list(decision.reasons),
        tampered=list(explanation.tampered),
    )
