"""``quitus deliver`` (e-mail the sealed reports) and the follow-up requests of unfinished
interventions (``quitus reports reschedule``, ``quitus reports followup``).

Registered in ``quitus/cli.py``::

    from quitus.commands import delivery
    app.command("deliver")(delivery.deliver)
    reports.app.command("reschedule")(delivery.reschedule)
    reports.app.command("followup")(delivery.followup_status)

Nothing printed here is personal data: report ids, dates, counts and error codes.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quitus.cli_support import JsonOption, console, err_console, fail, plain, settings_or_fail
from quitus.exit_codes import ExitCode

if TYPE_CHECKING:
    from rich.console import Console

    from quitus.settings import Settings
    from storage.delivery_store import FollowupStatus
    from storage.report_store import ReportStore
    from workflows.delivery import PortalDelivery, RetryPolicy, SmtpSettings

__all__ = [
    "deliver",
    "followup_status",
    "portal_delivery_of",
    "print_followups",
    "reschedule",
    "smtp_settings_of",
]

_STATUSES = ("open", "scheduled", "closed")


def deliver(
    limit: Annotated[
        int, typer.Option(min=1, max=10_000, help="At most this many reports in this run.")
    ] = 100,
    max_age_days: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Take up only reports archived within this many days (default: QUITUS_SMTP_MAX_AGE_DAYS); "
            "a delivery already started is always finished.",
        ),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed", help="First make failed deliveries due again (once the cause is fixed)."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """E-mail each archived report's sealed PDF to its client, once; open follow-up requests."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from storage.delivery_store import DeliveryStore  # noqa: PLC0415
    from workflows.delivery import SmtpSetupError, deliver_reports  # noqa: PLC0415

    settings = settings_or_fail()
    smtp, retry, default_age = smtp_settings_of(settings)
    age = max_age_days if max_age_days is not None else default_age
    app = open_app(settings)
    try:
        deliveries = DeliveryStore(app.store)
        now = dt.datetime.now(dt.UTC)
        requeued = deliveries.requeue_failed(now=now) if retry_failed else []
        if retry_failed and not as_json:
            console.print(f"re-queued {len(requeued)} failed deliveries")
        ids = deliveries.due_report_ids(
            limit=limit, now=now, archived_since=now - dt.timedelta(days=age) if age else None
        )
        result = deliver_reports(
            app.store,
            ids,
            smtp=smtp,
            company_name=app.company().current().name,
            retry=retry,
            portal=portal_delivery_of(settings),
        )
        app.ledger.checkpoint()
        numbers = app.store.numbers([*result.retrying, *result.failed])
    except SmtpSetupError as exc:
        fail(f"{plain(exc)}. Nothing more was sent; run `quitus deliver` again once fixed.")
    finally:
        app.close()
    if as_json:
        from quitus.cli_json import DeliveryRun, emit  # noqa: PLC0415

        emit(
            DeliveryRun(
                requeued=list(requeued),
                sent=list(result.sent),
                retrying=dict(result.retrying),
                failed=dict(result.failed),
                skipped=dict(result.skipped),
                followups=list(result.followups),
            )
        )
        if result.failed:
            raise typer.Exit(ExitCode.REJECTED)
        return
    counts = result.counts()
    console.print(
        f"delivered: sent {counts['sent']}, retrying {counts['retrying']}, failed {counts['failed']}, "
        f"skipped {counts['skipped']} (no e-mail address); follow-up requests opened {counts['followups']}"
    )
    for report_id, code in sorted(result.retrying.items()):
        console.print(f"  {plain(numbers.get(report_id, report_id))}  will retry  ({plain(code)})")
    for report_id, code in sorted(result.failed.items()):
        shown = numbers.get(report_id, report_id)
        err_console.print(f"  {plain(shown)}  [red]not delivered[/red]  ({plain(code)})")
    if result.failed:
        err_console.print(
            "see docs/delivery.md for the codes; once the cause is fixed: `quitus deliver --retry-failed`"
        )
        raise typer.Exit(ExitCode.REJECTED)


def reschedule(
    status: Annotated[str, typer.Option(help="open, scheduled, closed or all.")] = "open",
    as_json: JsonOption = False,
) -> None:
    """Follow-up visits asked for by unfinished interventions: report, dates, age. No personal data."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from storage.delivery_store import FollowupStatus  # noqa: PLC0415

    if status != "all" and status not in _STATUSES:
        fail(f"unknown status '{plain(status)}'; one of: {', '.join(_STATUSES)}, all")
    app = open_app(settings_or_fail())
    try:
        if as_json:
            _emit_followups(app.store, status=None if status == "all" else FollowupStatus(status))
            return
        print_followups(
            app.store,
            status=None if status == "all" else FollowupStatus(status),
            now=dt.datetime.now(dt.UTC),
            out=console,
        )
    finally:
        app.close()


def followup_status(
    reference: Annotated[str, typer.Argument(help="Report number (RI-2026-000123) or id (RI-…).")],
    status: Annotated[str, typer.Option(help="scheduled, closed, or open again.")],
) -> None:
    """Mark a follow-up request scheduled or closed (recorded in the audit ledger)."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from storage.delivery_store import DeliveryStore, FollowupStatus  # noqa: PLC0415

    if status not in _STATUSES:
        fail(f"unknown status '{plain(status)}'; one of: {', '.join(_STATUSES)}")
    app = open_app(settings_or_fail())
    try:
        report_id = app.store.resolve(reference)
        shown = app.store.get(report_id).shown_number
        changed = DeliveryStore(app.store).set_followup_status(
            report_id, FollowupStatus(status), now=dt.datetime.now(dt.UTC)
        )
    finally:
        app.close()
    console.print(f"{shown}: follow-up {status}" if changed else f"{shown}: follow-up already {status}")


def _emit_followups(store: ReportStore, *, status: FollowupStatus | None) -> None:
    from quitus.cli_json import FollowupEntry, FollowupList, emit  # noqa: PLC0415
    from storage.delivery_store import DeliveryStore  # noqa: PLC0415

    rows = DeliveryStore(store).followups(status)
    numbers = store.numbers(row.report_id for row in rows)
    emit(
        FollowupList(
            followups=[
                FollowupEntry(
                    report_id=row.report_id,
                    number=numbers.get(row.report_id),
                    intervention_date=row.intervention_date,
                    preferred_date=row.preferred_date,
                    requested_at=row.requested_at,
                    status=row.status.value,
                )
                for row in rows
            ]
        )
    )


def print_followups(
    store: ReportStore, *, status: FollowupStatus | None, now: dt.datetime, out: Console
) -> int:
    """Print the follow-up requests in ``status`` (all when None); returns how many."""
    from rich.table import Table  # noqa: PLC0415

    from storage.delivery_store import DeliveryStore  # noqa: PLC0415

    rows = DeliveryStore(store).followups(status)
    numbers = store.numbers(row.report_id for row in rows)
    table = Table()
    table.add_column("report", no_wrap=True)
    for column in ("intervention", "preferred date", "requested", "age"):
        table.add_column(column)
    if status is None:
        table.add_column("status")
    for row in rows:
        age = (now - row.requested_at).days
        cells = [
            numbers.get(row.report_id, row.report_id),
            str(row.intervention_date or "—"),
            str(row.preferred_date or "—"),
            row.requested_at.strftime("%Y-%m-%d"),
            f"{age} d" if age else "today",
        ]
        table.add_row(*cells, *([row.status.value] if status is None else []))
    out.print(table)
    plural = "" if len(rows) == 1 else "s"
    what = "" if status is None else f"{status.value} "
    out.print(f"{len(rows)} {what}follow-up request{plural}")
    return len(rows)


def smtp_settings_of(settings: Settings) -> tuple[SmtpSettings, RetryPolicy, int]:
    """SMTP settings, retry policy and age limit (days) from the ``QUITUS_SMTP_*`` settings."""
    from pydantic import SecretStr  # noqa: PLC0415

    from workflows.delivery import RetryPolicy, SmtpSettings, SmtpSetupError  # noqa: PLC0415

    values: dict[str, Any] = {
        name.removeprefix("smtp_"): value.get_secret_value() if isinstance(value, SecretStr) else value
        for name, value in settings.model_dump().items()
        if name.startswith("smtp_") and value is not None
    }
    if "host" not in values or "sender" not in values:
        fail(
            "e-mail delivery is not configured: set QUITUS_SMTP_HOST and QUITUS_SMTP_SENDER "
            "(see docs/delivery.md)"
        )
    max_attempts = int(values.pop("max_attempts", 12))
    retry_delay = dt.timedelta(seconds=int(values.pop("retry_delay", 600)))
    max_age_days = int(values.pop("max_age_days", 30))
    try:
        smtp = SmtpSettings.from_config(values)
        retry = RetryPolicy(max_attempts=max_attempts, first_delay=retry_delay)
    except (SmtpSetupError, ValueError) as exc:
        fail(str(exc))
    return smtp, retry, max_age_days


def portal_delivery_of(settings: Settings) -> PortalDelivery | None:
    """The portal link delivered e-mails carry: with ``QUITUS_PUBLIC_URL``, else none.

    ``Settings`` already refused ``QUITUS_DELIVERY_ATTACH_PDF=false`` without a public URL.
    """
    from workflows.delivery import PortalDelivery  # noqa: PLC0415

    if settings.public_url is None:
        return None
    return PortalDelivery(
        public_url=settings.public_url,
        link_days=settings.portal_link_days,
        attach_pdf=settings.delivery_attach_pdf,
    )
