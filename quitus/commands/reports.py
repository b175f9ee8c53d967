"""``quitus reports``: list and show reports."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from quitus.cli_support import JsonOption, console, fail, plain, settings_or_fail
from quitus.exit_codes import ExitCode

if TYPE_CHECKING:
    from reports.templates import TemplateCatalog
    from storage.models import SubmissionRecord
    from storage.report_store import ReportSummary

__all__ = ["app"]

app = typer.Typer(help="List and inspect reports.", no_args_is_help=True)


@app.command("list")
def list_reports(
    state: Annotated[
        str | None, typer.Option(help="Only this state (captured, validated, rejected, …).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOption = False,
) -> None:
    """Reports, oldest first, with their number and state. Shows no personal data."""
    from rich.table import Table  # noqa: PLC0415

    from quitus.wiring import open_app  # noqa: PLC0415
    from storage.states import ReportState  # noqa: PLC0415

    wanted = None
    if state is not None:
        try:
            wanted = ReportState(state)
        except ValueError:
            fail(f"unknown state '{plain(state)}'; one of: {', '.join(s.value for s in ReportState)}")
    app_ = open_app(settings_or_fail())
    try:
        reports = app_.store.list_reports(state=wanted, limit=limit, offset=offset)
        counts = app_.store.count_by_state()
    finally:
        app_.close()
    if as_json:
        from quitus.cli_json import ReportList, ReportRow, emit  # noqa: PLC0415

        emit(
            ReportList(
                reports=[
                    ReportRow(
                        number=r.number,
                        id=r.id,
                        state=r.state.value,
                        template=r.template_id,
                        intervention_date=r.intervention_date,
                        outcome=r.outcome,
                        issues=len(r.issues),
                        updated_at=r.updated_at,
                    )
                    for r in reports
                ],
                counts={s.value: n for s, n in sorted(counts.items())},
                limit=limit,
                offset=offset,
            )
        )
        return
    table = Table()
    table.add_column("number", no_wrap=True)
    table.add_column("report", no_wrap=True)
    for column in ("state", "template", "intervention", "outcome", "issues", "updated"):
        table.add_column(column)
    for r in reports:
        table.add_row(
            r.number or "—",
            r.id,
            r.state.value,
            r.template_id or "—",
            str(r.intervention_date or "—"),
            r.outcome or "—",
            str(len(r.issues)),
            r.updated_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)
    console.print(", ".join(f"{s.value}: {n}" for s, n in sorted(counts.items())) or "no reports yet")


@app.command("show")
def show_report(
    reference: Annotated[str, typer.Argument(help="Report number (RI-2026-000123) or id (RI-…).")],
    reveal: Annotated[
        bool,
        typer.Option("--reveal", help="Also decrypt and print the report's content, personal data included."),
    ] = False,
    justify: Annotated[
        str | None,
        typer.Option(
            help="Reason code to read a restricted report (recorded), e.g. litigation, subject_access."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A report's state, issues and history; its content only with --reveal."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from retention.access import JUSTIFICATION_PATTERN, read_personal_data  # noqa: PLC0415
    from retention.errors import DocumentUnavailableError, RestrictedAccessError  # noqa: PLC0415

    if justify is not None and not JUSTIFICATION_PATTERN.fullmatch(justify):
        fail("--justify takes a code such as litigation or subject_access (letters, digits, _.-)")
    app_ = open_app(settings_or_fail())
    report_id = reference
    try:
        report_id = app_.store.resolve(reference)
        report = app_.store.get(report_id)
        submissions = app_.store.submissions(report_id)
        content = None
        if reveal and report.content_blob_id:
            # Every read of personal data is accountable: read_personal_data records it.
            content = read_personal_data(
                app_.store, app_.policies(), report_id, "content", justification=justify
            )
    except RestrictedAccessError as exc:
        fail(
            f"{plain(report_id)} is {plain(exc.restriction)}: "
            "reading it needs --justify CODE, which is recorded",
            code=ExitCode.REFUSED,
        )
    except DocumentUnavailableError:
        content = None
    finally:
        app_.close()
    if as_json:
        _emit_detail(report, submissions, content)
        return
    console.print(f"[bold]{report.shown_number}[/bold]  {report.state.value}  revision {report.revision}")
    for label, value in (
        ("number", report.number),
        ("id", report.id),
        ("submission_id", report.submission_id),
        ("source", report.source),
        ("template", report.template_id),
        ("intervention date", report.intervention_date),
        ("outcome", report.outcome),
        ("client kind", report.client_kind),
        ("restriction", report.restriction_reason),
        ("created", report.created_at),
        ("updated", report.updated_at),
    ):
        console.print(f"  {plain(label):<18} {plain(value if value is not None else '—')}")
    if report.issues:
        console.print("[red]issues[/red]")
        for item in report.issues:
            console.print(
                f"  {plain(item['path'] or '(submission)')}: {plain(item['message'])} "
                f"\\[{plain(item['code'])}]"
            )
    console.print("submissions")
    for sub in submissions:
        console.print(f"  {sub.received_at:%Y-%m-%d %H:%M:%S}  {sub.source:<9} {sub.outcome}")
    _print_content(report, content, reveal=reveal, catalog=app_.catalog)


def _print_content(
    report: ReportSummary, content: bytes | None, *, reveal: bool, catalog: TemplateCatalog
) -> None:
    """What ``--reveal`` shows: the content and its readings, or why there is none."""
    if content is not None:
        console.print_json(json.dumps(json.loads(content), ensure_ascii=False))
        _print_readings(content, catalog)
    elif reveal and report.state.value == "erased":
        console.print("erased: the data key was destroyed, nothing can be revealed")
    elif reveal:
        console.print("no parsed content (the submission could not be read)")


def _emit_detail(report: ReportSummary, submissions: list[SubmissionRecord], content: bytes | None) -> None:
    """``reports show --json``."""
    from quitus.cli_json import IssueEntry, ReportDetail, SubmissionEntry, emit  # noqa: PLC0415

    emit(
        ReportDetail(
            number=report.number,
            id=report.id,
            state=report.state.value,
            revision=report.revision,
            submission_id=report.submission_id,
            source=report.source,
            template=report.template_id,
            intervention_date=report.intervention_date,
            outcome=report.outcome,
            client_kind=report.client_kind,
            restriction=report.restriction_reason,
            created_at=report.created_at,
            updated_at=report.updated_at,
            issues=[IssueEntry(path=i["path"], code=i["code"], message=i["message"]) for i in report.issues],
            submissions=[
                SubmissionEntry(received_at=s.received_at, source=s.source, outcome=s.outcome)
                for s in submissions
            ],
            content=json.loads(content) if content is not None else None,
        )
    )


def _print_readings(content: bytes, catalog: TemplateCatalog) -> None:
    """Each reading with its verdict (out of range, threshold crossed), as the PDF shows it."""
    from pydantic import ValidationError  # noqa: PLC0415

    from reports.readings import judge_readings, verdict_lines  # noqa: PLC0415
    from reports.schema import InterventionReport  # noqa: PLC0415

    try:
        report = InterventionReport.model_validate_json(content)
    except ValidationError:
        return  # stored before a schema change: the JSON above is all there is
    template = catalog.for_report(*report.template_key)
    if template is None or not report.measurements:
        return
    console.print("readings")
    for judgement in judge_readings(report, template):
        lines = verdict_lines(judgement)
        text = plain("; ".join(line for line, _ in lines))
        measured = judgement.measurement
        console.print(
            f"  {plain(measured.id)} = {plain(measured.value)} {plain(measured.unit)}  "
            + (f"[red]{text}[/red]" if any(alarm for _, alarm in lines) else text),
            soft_wrap=True,
        )


@app.command("shred")
def shred_report(
    report_id: Annotated[str, typer.Argument(help="Report number (RI-2026-000123) or id (RI-…).")],
    reason: Annotated[
        str, typer.Option(help="Why, as a code: subject_request, captured_by_mistake…")
    ] = "subject_request",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Crypto-shred a report on request: destroy its data key and files for good.

    An erasure request goes through the disposal gate: it is refused while a legal hold covers
    the report or a legal obligation keeps it (GDPR Art. 17(3)(b)); the refusal says which and until when.
    """
    from quitus.wiring import open_app  # noqa: PLC0415
    from retention.gate import DisposalGate  # noqa: PLC0415
    from storage.ledger.events import is_code  # noqa: PLC0415
    from storage.retention_vocabulary import DisposalPurpose  # noqa: PLC0415

    if not is_code(reason):
        fail("--reason takes a code such as subject_request (letters, digits, ._:@/+=-)")
    if not yes:
        typer.confirm(f"Destroy report {report_id}'s data for good?", abort=True)
    app_ = open_app(settings_or_fail())
    try:
        report_id = app_.store.resolve(report_id)
        gate = DisposalGate(app_.store, app_.policies(), clock=app_.clock(), sealer=app_.certificate_sealer())
        outcome = gate.dispose([report_id], DisposalPurpose.ERASURE_REQUEST, reason=reason)
        gate.scrub()
        app_.ledger.checkpoint()
    finally:
        app_.close()
    if outcome.refused:
        fail(f"not shredded: {plain(outcome.refused[0].message)}", code=ExitCode.REFUSED)
    console.print(
        f"report {report_id}: "
        + ("data key destroyed, files deleted" if outcome.deleted else "already erased")
    )
    if outcome.deleted:
        issued = outcome.certified is not None and report_id in outcome.certified.issued
        console.print(
            "certificate of disposition "
            + ("issued" if issued else "stored; its sealed PDF is issued by the next disposal or")
            + " (`quitus retention certificate "
            + report_id
            + "`)"
        )
