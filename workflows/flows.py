"""Prefect flows: intake, retention, data-subject erasure.

Tasks are a few lines around a stage of :mod:`workflows.stages` or a retention
function; each processes a whole batch (the PII model sees the batch in one pipe).
Parameters and results are ids, dates and counts only — never personal data — and
result persistence is off. State lives in our database, so a flow run that dies is
resumed by the next one: every stage picks up what is waiting in its state.

Each stage of the intake flow is one task run that *claims* its batch
(:mod:`storage.claims`), takes it through the stage and ends the claims: flow runs
going at once — several Prefect workers, or ``quitus serve`` beside ``quitus run`` —
take disjoint batches, and a dead run's claims lapse after their lease.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from storage.claims import DEFAULT_LEASE, ReportClaims
from storage.ledger.steps import LedgerStep
from storage.states import ReportState
from workflows.runtime import runs_as_job, services
from workflows.stages import UNREADABLE, StageResult, record_failure

if TYPE_CHECKING:
    from reports.pdf.disposition import DispositionSealer

__all__ = ["intake_flow", "retention_flow", "subject_erasure_flow"]


def _ids(result: StageResult) -> dict[str, list[str]]:
    return {"done": result.done, "skipped": result.skipped, "failed": sorted(result.failed)}


@task(name="validate", retries=2, retry_delay_seconds=[2, 10], persist_result=False)
def validate_task(report_ids: list[str]) -> dict[str, list[str]]:
    intake = services().intake
    result = StageResult()
    for report_id in report_ids:
        try:
            outcome = intake.validate(report_id)
        except UNREADABLE as exc:  # this report's data cannot be read: marked, the others go on
            record_failure(intake.store, report_id, LedgerStep.VALIDATE, exc, result)
            continue
        (result.done if outcome.accepted else result.skipped).append(report_id)
    return _ids(result)


@task(name="redact", retries=2, retry_delay_seconds=[2, 10], persist_result=False)
def redact_task(report_ids: list[str]) -> dict[str, list[str]]:
    return _ids(services().pipeline.redact(report_ids))


@task(name="render", retries=2, retry_delay_seconds=[2, 10], persist_result=False)
def render_task(report_ids: list[str]) -> dict[str, list[str]]:
    return _ids(services().pipeline.render(report_ids))


@task(name="seal", retries=2, retry_delay_seconds=[2, 10], persist_result=False)
def seal_task(report_ids: list[str]) -> dict[str, list[str]]:
    return _ids(services().pipeline.seal(report_ids))


@task(name="archive", retries=2, retry_delay_seconds=[2, 10], persist_result=False)
def archive_task(report_ids: list[str]) -> dict[str, list[str]]:
    return _ids(services().pipeline.archive(report_ids))


@task(name="deliver", retries=2, retry_delay_seconds=[2, 10], persist_result=False)
def deliver_task(limit: int) -> dict[str, int]:
    deliver = services().deliver
    return deliver(limit) if deliver is not None else {}


LEASE_MINUTES = DEFAULT_LEASE // dt.timedelta(minutes=1)


def _claims(lease_minutes: int = LEASE_MINUTES) -> ReportClaims:
    """This process's claims (its worker id: host, pid and a random part)."""
    return ReportClaims(services().store.database, lease=dt.timedelta(minutes=lease_minutes))


STAGE_TASKS = (
    (ReportState.CAPTURED, validate_task),
    (ReportState.VALIDATED, redact_task),
    (ReportState.REDACTED, render_task),
    (ReportState.RENDERED, seal_task),
    (ReportState.SIGNED, archive_task),
)


@task(name="claimed-batch", retries=2, retry_delay_seconds=[2, 10], persist_result=False)
def claimed_batch_task(
    stage: str, state: str, limit: int, lease_minutes: int = LEASE_MINUTES
) -> dict[str, int]:
    """Claim up to ``limit`` reports waiting in ``state`` for this worker, take them through
    ``stage`` and end the claims: counts (``claimed``, ``done``, ``failed``).

    One task run per stage, not three (claim, stage, release): each costs Prefect API calls.
    """
    claims = _claims(lease_minutes)
    report_ids = claims.claim(ReportState(state), limit)
    get_run_logger().info("worker %s claimed %d %s reports", claims.worker, len(report_ids), state)
    if not report_ids:
        return {"claimed": 0, "done": 0, "failed": 0}
    try:
        outcome = _STAGE_FUNCTIONS[stage](report_ids)
    finally:
        claims.release(report_ids)  # those the stage moved on are already ended
    return {"claimed": len(report_ids), "done": len(outcome["done"]), "failed": len(outcome["failed"])}


_STAGE_FUNCTIONS = {stage.name: stage.fn for _, stage in STAGE_TASKS}
"""Each stage task's function, called inside :func:`claimed_batch_task`."""


@flow(name="quitus-intake", persist_result=False, log_prints=False)
@runs_as_job("intake")
def intake_flow(batch_size: int = 200, lease_minutes: int = LEASE_MINUTES) -> dict[str, int]:
    """Take one claimed batch per stage as far as it goes: captured → … → archived.

    ``lease_minutes`` must outlast a stage's batch: a crashed run's claims lapse after it.
    """
    counts: dict[str, int] = {}
    for state, stage in STAGE_TASKS:
        outcome = claimed_batch_task.with_options(name=stage.name)(
            stage.name, state.value, batch_size, lease_minutes
        )
        if outcome["claimed"]:
            counts[stage.name] = outcome["done"]
            counts[f"{stage.name}_failed"] = outcome["failed"]
    if services().deliver is not None:
        for key, count in deliver_task(batch_size).items():
            counts[f"deliver_{key}"] = count
    services().store.ledger.checkpoint()
    create_markdown_artifact(
        key="intake-summary",
        markdown=f"Claimed as worker `{_claims().worker}`.\n\n| stage | reports |\n|---|---|\n"
        + "".join(f"| {k} | {v} |\n" for k, v in counts.items()),
        description="Reports processed per stage (counts only)",
    )
    return counts


@task(name="witness", persist_result=False)
def witness_task() -> int:
    """Have the ledger's checkpoint cosigned by the configured witness; the size cosigned.

    Raises the :class:`~storage.ledger.witness.WitnessError` that says why not (the task fails)."""
    from storage.ledger.witness_client import submit_checkpoint  # noqa: PLC0415

    svc = services()
    assert svc.witness is not None
    return submit_checkpoint(svc.store.ledger, svc.witness).size


def _witness_checkpoint() -> str:
    """Run :func:`witness_task` when a witness is configured; a line for the run's summary.

    A witness that is down or refuses fails its task and is logged as an error — loud, in the
    flow run's record — but never undoes or stops the dispositions already carried out."""
    if services().witness is None:
        return "No witness configured (QUITUS_WITNESS_URL): the checkpoint is not cosigned."
    state = witness_task(return_state=True)
    if state.is_completed():
        return f"Checkpoint of {state.result()} entries cosigned by the witness."
    error = state.result(raise_on_failure=False)
    get_run_logger().error("WITNESS FAILED: the checkpoint is not cosigned: %s", error)
    return f"**WITNESS FAILED**: the checkpoint is not cosigned: {error}"


def _certificate_sealer() -> DispositionSealer:
    """Seals the certificates of disposition with the seal the pipeline seals reports with."""
    from reports.pdf.disposition import DispositionSealer  # noqa: PLC0415

    pipeline = services().pipeline
    return DispositionSealer.from_directory(pipeline.seal_dir, tsa_url=pipeline.tsa_url)


@flow(name="quitus-retention", persist_result=False, log_prints=False)
@runs_as_job("retention")
def retention_flow() -> dict[str, int]:
    """Carry out the dispositions due today (through the disposal gate, at today's date)."""
    from retention.executor import run_retention  # noqa: PLC0415
    from retention.policy_log import record_policy_set  # noqa: PLC0415

    svc = services()
    policies = svc.policies()
    record_policy_set(svc.store, policies)
    day = svc.clock.today()
    summary = run_retention(svc.store, policies, clock=svc.clock, sealer=_certificate_sealer())
    svc.store.ledger.checkpoint()
    for message in list(summary.tampered.values())[:20]:
        get_run_logger().error("TAMPERING FOUND, not disposed of: %s", message)
    for message in list(summary.unreadable.values())[:20]:
        get_run_logger().error("UNREADABLE, not anonymized: %s", message)
    witnessed = _witness_checkpoint()
    rows = "".join(
        f"| {action} | {policy} | {count} |\n" for (action, policy), count in sorted(summary.done.items())
    )
    create_markdown_artifact(
        key="retention-summary",
        markdown=f"Retention run at {day}: {summary.total} dispositions, {summary.held} held, "
        f"{summary.awaiting_review} awaiting review, {len(summary.tampered)} refused as tampered, "
        f"{len(summary.unreadable)} unreadable (`quitus audit verify`).\n\n{witnessed}\n\n"
        f"| action | policy | reports |\n|---|---|---|\n{rows}",
        description="Dispositions per action and policy (counts only)",
    )
    return {
        "dispositions": summary.total,
        "held": summary.held,
        "awaiting_review": summary.awaiting_review,
        "witness_failed": int(witnessed.startswith("**WITNESS FAILED**")),
        "tampered": len(summary.tampered),
        "unreadable": len(summary.unreadable),
    }


@flow(name="quitus-subject-erasure", persist_result=False, log_prints=False)
@runs_as_job("subject-erasure")
def subject_erasure_flow(report_ids: list[str]) -> dict[str, int]:
    """Erase (or restrict) the reports of one person, found beforehand by blind index."""
    from retention.subjects import erase_subject  # noqa: PLC0415

    svc = services()
    sealer = _certificate_sealer()
    outcomes = erase_subject(svc.store, svc.policies(), report_ids, clock=svc.clock, sealer=sealer)
    svc.store.ledger.checkpoint()
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    return counts
