"""``quitus retention``, ``quitus holds``, ``quitus review``, ``quitus subject``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.markup import escape

from quitus.cli_support import JsonOption, console, err_console, fail, settings_or_fail
from quitus.exit_codes import ExitCode
from quitus.export_files import is_stdio, write_or_fail

if TYPE_CHECKING:
    from quitus.wiring import App
    from retention.certificates import DisposedItem
    from retention.executor import RunSummary
    from retention.planner import PlannedDisposition
    from storage.blind_index import SubjectKind
    from storage.subject_index import ReindexOutcome

__all__ = ["holds_app", "print_reindex", "retention_app", "review_app", "subject_app"]

retention_app = typer.Typer(help="What is due for disposition, and carrying it out.", no_args_is_help=True)
holds_app = typer.Typer(help="Legal holds: nothing they cover is ever disposed.", no_args_is_help=True)
review_app = typer.Typer(help="Disposition review queue.", no_args_is_help=True)
subject_app = typer.Typer(help="Data-subject requests (GDPR Art. 15, 17, 20).", no_args_is_help=True)

AtOption = Annotated[
    dt.datetime | None,
    typer.Option("--at", formats=["%Y-%m-%d"], help="Plan as of this date (default: today)."),
]


def _open() -> App:
    from quitus.wiring import open_app  # noqa: PLC0415

    return open_app(settings_or_fail())


@retention_app.command("plan")
def plan(
    at: AtOption = None,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List what is due at a date, with action, policy and due date. Writes nothing.

    A plan at a future date is a simulation: only `retention run`, today, carries anything out.
    """
    from collections import Counter  # noqa: PLC0415

    from retention.holds import HoldService  # noqa: PLC0415
    from retention.planner import plan_dispositions  # noqa: PLC0415

    app = _open()
    day = at.date() if at else app.clock().today()
    counts: Counter[str] = Counter()
    shown_items: list[PlannedDisposition] = []
    try:
        holds = HoldService(app.store).active()
        for shown, item in enumerate(plan_dispositions(app.store, app.policies(), holds, day)):
            counts[_plan_label(item).split()[0]] += 1
            if shown < limit:
                shown_items.append(item)
        numbers = app.store.numbers(item.report_id for item in shown_items)
    finally:
        app.close()
    if not as_json:
        for item in shown_items:
            console.print(
                f"{numbers.get(item.report_id, item.report_id):<14}  {_plan_label(item):<16} "
                f"{item.policy_ref:<36} due {item.due}",
                soft_wrap=True,
            )
    if as_json:
        from quitus.cli_json import PlanEntry, RetentionPlan, emit  # noqa: PLC0415

        emit(
            RetentionPlan(
                at=day,
                items=[
                    PlanEntry(
                        report_id=item.report_id,
                        number=numbers.get(item.report_id),
                        status=_plan_status(item),
                        action=item.action,
                        policy_ref=item.policy_ref,
                        due=item.due,
                        held_by=list(item.held_by),
                    )
                    for item in shown_items
                ],
                counts=dict(sorted(counts.items())),
            )
        )
        return
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing due"
    console.print(f"plan at {day}: {summary} (dry run: nothing was changed)")


def _plan_label(item: PlannedDisposition) -> str:
    if item.held_by:
        return "HELD " + ",".join(item.held_by)
    if item.tampered:
        return "TAMPERED (refused: quitus audit verify)"
    return "awaiting review" if item.awaiting_review else item.action


def _plan_status(item: PlannedDisposition) -> Literal["due", "held", "awaiting_review", "tampered"]:
    if item.held_by:
        return "held"
    if item.tampered:
        return "tampered"
    return "awaiting_review" if item.awaiting_review else "due"


@retention_app.command("run")
def run(
    at: Annotated[
        str | None,
        typer.Option("--at", hidden=True, help="Refused: a run carries out what is due today."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Carry out what is due today: anonymize, delete (crypto-shred) or queue for review.

    Held reports, reports under a running legal obligation and reports not yet due are kept:
    everything goes through the disposal gate, at today's date.
    """
    from retention.executor import run_retention  # noqa: PLC0415
    from retention.policy_log import record_policy_set  # noqa: PLC0415

    if at is not None:
        fail(
            f"--at {at}: a retention run carries out what is due today, never as of another date; "
            f"`quitus retention plan --at {at}` shows what would be due then (it changes nothing)"
        )
    app = _open()
    try:
        policies = app.policies()
        record_policy_set(app.store, policies)
        clock = app.clock()
        summary = run_retention(app.store, policies, clock=clock, sealer=app.certificate_sealer())
        app.ledger.checkpoint()
    finally:
        app.close()
    if as_json:
        _emit_run(summary, clock.today())
        raise typer.Exit(ExitCode.REJECTED if summary.failed else ExitCode.OK)
    for (action, policy), count in sorted(summary.done.items()):
        console.print(f"  {action:<10} {count:>6}  {policy}")
    console.print(
        f"retention run on {clock.today()}: {summary.total} disposition(s), {summary.held} held, "
        f"{summary.awaiting_review} awaiting review; {summary.certificates_issued} certificate(s) issued"
    )
    _warn_not_issued(summary.certificates_failed)
    for label, found in (("TAMPERING FOUND", summary.tampered), ("UNREADABLE", summary.unreadable)):
        for message in list(found.values())[:20]:
            err_console.print(f"[red]{label}:[/] {escape(message)}", soft_wrap=True)
        if len(found) > 20:
            err_console.print(f"[red]{label}:[/] … and {len(found) - 20} more report(s)")
    if summary.failed:
        raise typer.Exit(ExitCode.REJECTED)


def _emit_run(summary: RunSummary, day: dt.date) -> None:
    from quitus.cli_json import DoneEntry, RetentionRun, emit  # noqa: PLC0415

    emit(
        RetentionRun(
            day=day,
            done=[
                DoneEntry(action=action, policy_ref=policy, count=count)
                for (action, policy), count in sorted(summary.done.items())
            ],
            total=summary.total,
            held=summary.held,
            awaiting_review=summary.awaiting_review,
            certificates_issued=summary.certificates_issued,
            certificates_failed=dict(summary.certificates_failed),
            tampered=dict(summary.tampered),
            unreadable=dict(summary.unreadable),
        )
    )


def _warn_not_issued(failed: dict[str, str]) -> None:
    for message in list(failed.values())[:5]:
        err_console.print(f"[yellow]warning:[/yellow] {escape(message)}", soft_wrap=True)
    if len(failed) > 5:
        err_console.print(f"[yellow]warning:[/yellow] … and {len(failed) - 5} more certificate(s) not issued")


OutputOption = Annotated[
    str | None, typer.Option("-o", "--output", help="Write to this file ('-': standard output).")
]


@retention_app.command("disposed")
def disposed(
    since: Annotated[
        dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="First day (UTC) of the register.")
    ],
    until: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last day (UTC), included (default: today)."),
    ] = None,
    output_format: Annotated[
        Literal["table", "csv", "json"],
        typer.Option("--format", help="table for people, csv or json for programs."),
    ] = "table",
    output: OutputOption = None,
) -> None:
    """The register of disposed items, read from the signed ledger (dispose, shred and certify
    entries): report, date and time, action, purpose, policy, approver, certificate SHA-256,
    whether its sealed PDF was issued. No personal data, no cap on how far back."""
    from retention.certificates import disposed_register  # noqa: PLC0415
    from retention.errors import CertificateError  # noqa: PLC0415

    app = _open()
    try:
        rows = disposed_register(app.store, since=since.date(), until=until.date() if until else None)
    except CertificateError as exc:
        fail(escape(str(exc)))
    finally:
        app.close()
    if output_format == "json":
        text = json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False) + "\n"
    elif output_format == "csv":
        text = _register_csv([r.as_dict() for r in rows])
    else:
        text = _register_table(rows)
    _write_text(text, output)


def _register_csv(rows: list[dict[str, object]]) -> str:
    import csv  # noqa: PLC0415
    import io  # noqa: PLC0415

    from retention.certificates import REGISTER_COLUMNS  # noqa: PLC0415

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(REGISTER_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def _register_table(rows: list[DisposedItem]) -> str:
    header = (
        f"{'disposed at (UTC)':<20}  {'report':<14} {'action':<10} {'purpose':<15} {'policy':<36} "
        f"{'approver':<20} {'certificate':<16} pdf"
    )
    lines = [header] + [
        f"{r.disposed_at:%Y-%m-%d %H:%M:%S}Z  {r.number or r.report_id:<14} {r.action:<10} {r.purpose:<15} "
        f"{r.policy or '-':<36} {r.approver or '-':<20} "
        f"{(r.certificate_sha256 or 'none (older)')[:16]:<16} {'issued' if r.pdf_issued else 'not yet'}"
        for r in rows
    ]
    lines.append(
        f"{len(rows)} disposed item(s); --format json for the report ids, the full SHA-256 and the ledger seq"
    )
    return "\n".join(lines) + "\n"


def _write_text(text: str, output: str | None) -> None:
    if output is None or is_stdio(output):
        typer.echo(text, nl=False)
        return
    write_or_fail(output, text.encode("utf-8"))
    console.print(f"written to {escape(output)}")


@retention_app.command("certificate")
def certificate(
    reference: Annotated[
        str, typer.Argument(help="Number (RI-2026-000123) or id (RI-…) of an erased report.")
    ],
    output: OutputOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The certificate's canonical JSON instead of its sealed PDF.")
    ] = False,
) -> None:
    """Write a disposed report's certificate of disposition: the sealed French PDF (issued now
    if it was not yet) or, with --json, the JSON whose SHA-256 its signed ledger entry records."""
    from retention.certificates import disposition_documents  # noqa: PLC0415
    from retention.errors import CertificateError  # noqa: PLC0415
    from storage.errors import ReportNotFoundError  # noqa: PLC0415

    app = _open()
    try:
        report_id = app.store.resolve(reference)
        shown = app.store.get(report_id).shown_number
        documents = disposition_documents(app.store, report_id, sealer=app.certificate_sealer())
        app.ledger.checkpoint()
    except ReportNotFoundError:
        fail(f"no report {escape(reference)}; `quitus reports list` shows the ids", code=ExitCode.NOT_FOUND)
    except CertificateError as exc:
        fail(escape(str(exc)), code=ExitCode.REJECTED)
    finally:
        app.close()
    if not documents:
        fail(
            f"{escape(shown)} was disposed of before certificates of disposition existed: its ledger "
            "entry is its certificate (`quitus proof export`)",
            code=ExitCode.REJECTED,
        )
    name = "disposition.json" if as_json else "certificat-disposition.pdf"
    data = documents[name]
    target = output or (f"{shown}-disposition.json" if as_json else f"{shown}-certificat.pdf")
    if write_or_fail(target, data):
        return
    console.print(f"{shown}: {name} → {escape(target)} (sha256 {hashlib.sha256(data).hexdigest()})")


@retention_app.command("event")
def record_event(
    reference: Annotated[str, typer.Argument(help="Report number (RI-2026-000123) or id.")],
    name: Annotated[
        str, typer.Argument(help="Event name a policy waits for, e.g. contract_end, last_contact.")
    ],
    on: Annotated[
        dt.datetime, typer.Option("--on", formats=["%Y-%m-%d"], help="When it happened (not after today).")
    ],
) -> None:
    """Record a dated event (retention periods triggered by it start then).

    The name must be one a policy in force waits for, the date between the intervention and
    today. Another date than the one recorded is a new ledger entry naming the one it replaces.
    """
    from retention.errors import EventError  # noqa: PLC0415
    from retention.events import EventOutcome, record_report_event  # noqa: PLC0415

    app = _open()
    try:
        report_id = app.store.resolve(reference)
        shown = app.store.get(report_id).shown_number
        written = record_report_event(
            app.store, app.policies(), report_id, name, on.date(), clock=app.clock()
        )
        app.ledger.checkpoint()
    except EventError as exc:
        fail(f"not recorded: {exc}", code=ExitCode.REJECTED)
    finally:
        app.close()
    if written.outcome == EventOutcome.ALREADY_RECORDED:
        console.print(f"{shown}: {name} on {on.date()} already recorded: nothing changed")
    elif written.outcome == EventOutcome.CHANGED:
        entry = "" if written.replaces_seq is None else f" of ledger entry {written.replaces_seq}"
        console.print(f"{shown}: {name} on {on.date()} recorded (replaces {written.replaces}{entry})")
    else:
        console.print(f"{shown}: {name} on {on.date()} recorded")


@subject_app.command("requests")
def subject_requests(
    output_format: Annotated[
        Literal["text", "json"],
        typer.Option(
            "--format", help="text for people; json: the older list of `as_dict` rows (prefer --json)."
        ),
    ] = "text",
    as_json: JsonOption = False,
) -> None:
    """The register of requests: every access or erasure request, found or not (no names)."""
    from retention.subjects import subject_requests as registered  # noqa: PLC0415

    app = _open()
    try:
        register = registered(app.store)
    finally:
        app.close()
    if as_json:
        from quitus.cli_json import SubjectRequestEntry, SubjectRequestList, emit  # noqa: PLC0415

        emit(
            SubjectRequestList(
                requests=[
                    SubjectRequestEntry(
                        seq=r.seq,
                        received_at=r.received_at,
                        request_id=r.request_id,
                        kind=r.kind,
                        found=r.found,
                        terms=list(r.term_kinds),
                        reports=list(r.report_ids),
                        actor=r.actor,
                    )
                    for r in register
                ]
            )
        )
        return
    if output_format == "json":
        typer.echo(json.dumps([r.as_dict() for r in register], indent=2))
        return
    if not register:
        console.print("no request received yet")
    for r in register:
        when = r.received_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        terms = ",".join(r.term_kinds)
        console.print(
            f"{when}  {r.request_id}  {r.kind:<8} found {r.found:<4} by {terms:<16} {escape(r.actor)}",
            soft_wrap=True,
        )


@subject_app.command("reindex")
def subject_reindex() -> None:
    """Bring the blind index to phones in E.164 (index version 2); `quitus init` does it when needed.

    Decrypts each live report's content and recomputes its phone digests; run again, it
    changes nothing. Until it has run on an older index, a request by phone is refused.
    """
    app = _open()
    try:
        outcome = app.reindex_subjects()
        app.ledger.checkpoint()
    finally:
        app.close()
    print_reindex(outcome)


def print_reindex(outcome: ReindexOutcome) -> None:
    console.print(
        f"blind index version {outcome.version}: {outcome.reports} report(s) read, "
        f"{outcome.changed} re-indexed"
    )
    for report_id in outcome.unreadable:
        console.print(f"[yellow]warning:[/yellow] {report_id}: content unreadable, left as it was")
    for hold_id in outcome.holds_by_old_phone:
        console.print(
            f"[yellow]note:[/yellow] {hold_id} was placed by phone before: it keeps the reports it covered; "
            "place it again with --phone to cover this person's reports captured from now on",
            soft_wrap=True,
        )


def _subject_terms(email: str | None, phone: str | None, name: str | None) -> list[tuple[SubjectKind, str]]:
    terms: list[tuple[SubjectKind, str]] = []
    if email:
        terms.append(("email", email))
    if phone:
        terms.append(("phone", phone))
    if name:
        terms.append(("name", name))
    if not terms:
        fail("give --email, --phone or --name")
    return terms


@holds_app.command("place")
def place(
    reason: Annotated[
        str,
        typer.Option(help="Why, in words (1-2000 characters; may name people: kept encrypted)."),
    ],
    report: Annotated[
        list[str] | None, typer.Option("--report", help="Report number or id (repeatable).")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Every report of the person with this e-mail.")] = None,
    phone: Annotated[str | None, typer.Option(help="… with this phone number.")] = None,
    name: Annotated[str | None, typer.Option(help="… with this name.")] = None,
    template: Annotated[str | None, typer.Option(help="Query: reports of this template.")] = None,
    since: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Query: from this date.")
    ] = None,
    until: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Query: to this date.")
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty", help="Place it even if it covers no report yet (for reports still to come)."
        ),
    ] = False,
) -> None:
    """Place a legal hold on reports, a person, or a query.

    Refused (exit 1) when it covers no report, unless --allow-empty; an unknown template
    is always refused.
    """
    from retention.errors import HoldError  # noqa: PLC0415
    from retention.holds import HoldService  # noqa: PLC0415
    from storage.retention_vocabulary import HoldScope  # noqa: PLC0415

    app = _open()
    try:
        service = HoldService(app.store)
        if report:
            hold = service.place(
                reason=reason,
                scope_kind=HoldScope.REPORTS,
                scope={"report_ids": [app.store.resolve(r) for r in report]},
                allow_empty=allow_empty,
            )
        elif email or phone or name:
            hold = service.place_on_subject(
                reason=reason, terms=_subject_terms(email, phone, name), allow_empty=allow_empty
            )
        else:
            query = {
                k: v
                for k, v in (
                    ("template_id", template),
                    ("intervention_from", since.date().isoformat() if since else None),
                    ("intervention_to", until.date().isoformat() if until else None),
                )
                if v
            }
            if not query:
                fail(
                    "say what the hold covers: --report, --email/--phone/--name, "
                    "or --template/--since/--until"
                )
            hold = service.place(
                reason=reason,
                scope_kind=HoldScope.QUERY,
                scope=query,
                allow_empty=allow_empty,
                known_templates={t.id for t in app.catalog},
            )
        app.ledger.checkpoint()
    except HoldError as exc:
        fail(escape(f"hold not placed: {exc}"), code=ExitCode.REJECTED)
    finally:
        app.close()
    console.print(f"placed {hold.id}: {escape(hold.describe())} (reason kept encrypted)")


@holds_app.command("release")
def release(hold_id: Annotated[str, typer.Argument(help="Hold id (hold-…).")]) -> None:
    """Release a hold; the normal retention rules apply again to what it covered."""
    from retention.errors import HoldError  # noqa: PLC0415
    from retention.holds import HoldService  # noqa: PLC0415

    app = _open()
    try:
        hold = HoldService(app.store).release(hold_id)
        app.ledger.checkpoint()
    except HoldError as exc:
        fail(escape(str(exc)), code=ExitCode.REJECTED)
    finally:
        app.close()
    console.print(f"released {hold.id}")


@holds_app.command("list")
def list_holds(
    all_: Annotated[bool, typer.Option("--all", help="Include released holds.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Legal holds in force (or all of them), with their reasons."""
    from retention.holds import HoldService  # noqa: PLC0415

    app = _open()
    try:
        holds = HoldService(app.store).list(include_released=all_)
    finally:
        app.close()
    if as_json:
        from quitus.cli_json import HoldEntry, HoldList, emit  # noqa: PLC0415

        emit(
            HoldList(
                holds=[
                    HoldEntry(
                        id=hold.id,
                        active=hold.released_at is None,
                        scope=hold.describe(),
                        placed_by=hold.placed_by,
                        placed_at=hold.placed_at,
                        released_at=hold.released_at,
                        reason=hold.reason,
                    )
                    for hold in holds
                ]
            )
        )
        return
    for hold in holds:
        state = f"released {hold.released_at:%Y-%m-%d}" if hold.released_at else "active"
        console.print(
            f"{hold.id}  {state:<20} {escape(hold.describe())}  by {hold.placed_by} "
            f"on {hold.placed_at:%Y-%m-%d}",
            soft_wrap=True,
        )
        reason = hold.reason if hold.reason is not None else "(reason erased)"
        console.print(f"    {escape(reason)}", soft_wrap=True)
    if not holds:
        console.print("no legal hold")


@review_app.command("list")
def review_list(as_json: JsonOption = False) -> None:
    """Reports waiting for a disposition decision."""
    from retention.review import ReviewQueue  # noqa: PLC0415

    app = _open()
    try:
        items = ReviewQueue(app.store, app.policies()).pending()
        numbers = app.store.numbers(i.report_id for i in items)
    finally:
        app.close()
    if as_json:
        from quitus.cli_json import ReviewEntry, ReviewList, emit  # noqa: PLC0415

        emit(
            ReviewList(
                items=[
                    ReviewEntry(
                        report_id=i.report_id,
                        number=numbers.get(i.report_id),
                        due=i.due,
                        policy_ref=i.policy_ref,
                    )
                    for i in items
                ]
            )
        )
        return
    for item in items:
        console.print(f"{numbers.get(item.report_id, item.report_id):<14}  due {item.due}  {item.policy_ref}")
    console.print(f"{len(items)} waiting for review")


@review_app.command("approve")
def review_approve(reference: Annotated[str, typer.Argument(help="Report number or id.")]) -> None:
    """Approve disposition: the report is erased now, with a certificate in the ledger.

    Refused while a legal hold covers it, while a legal obligation keeps it, or before its due date.
    """
    from retention.errors import ReviewError  # noqa: PLC0415
    from retention.review import ReviewQueue  # noqa: PLC0415

    app = _open()
    try:
        report_id = app.store.resolve(reference)
        shown = app.store.get(report_id).shown_number
        outcome = ReviewQueue(
            app.store, app.policies(), clock=app.clock(), sealer=app.certificate_sealer()
        ).approve(report_id)
        app.ledger.checkpoint()
    except ReviewError as exc:
        fail(f"not disposed: {exc}", code=ExitCode.REJECTED)
    finally:
        app.close()
    issued = outcome.certified is not None and report_id in outcome.certified.issued
    console.print(
        f"{shown}: disposed (erased); certificate of disposition "
        + ("issued (`quitus retention certificate`)" if issued else "stored, its PDF not issued yet")
    )
    if outcome.certified is not None:
        _warn_not_issued(outcome.certified.failed)


@review_app.command("extend")
def review_extend(
    reference: Annotated[str, typer.Argument(help="Report number or id.")],
    until: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="Keep until this date.")],
    reason: Annotated[str, typer.Option(help="Why, in words (kept encrypted; the ledger records its hash).")],
) -> None:
    """Keep the report longer; it returns to the queue at the new date."""
    from retention.errors import ReviewError  # noqa: PLC0415
    from retention.review import ReviewQueue  # noqa: PLC0415

    app = _open()
    try:
        report_id = app.store.resolve(reference)
        shown = app.store.get(report_id).shown_number
        ReviewQueue(app.store, app.policies(), clock=app.clock()).extend(
            report_id, until.date(), reason=reason
        )
        app.ledger.checkpoint()
    except ReviewError as exc:
        fail(str(exc), code=ExitCode.REJECTED)
    finally:
        app.close()
    console.print(f"{shown}: kept until {until.date()}")


@review_app.command("relabel")
def review_relabel(
    reference: Annotated[str, typer.Argument(help="Report number or id.")],
    policy: Annotated[str, typer.Option(help="The policy that governs it from now on (it must cover it).")],
    reason: Annotated[str, typer.Option(help="Why, in words (kept encrypted; the ledger records its hash).")],
) -> None:
    """Govern the report by another applicable policy; a legal obligation is never shortened."""
    from retention.errors import ReviewError  # noqa: PLC0415
    from retention.review import ReviewQueue  # noqa: PLC0415

    app = _open()
    try:
        report_id = app.store.resolve(reference)
        shown = app.store.get(report_id).shown_number
        ReviewQueue(app.store, app.policies(), clock=app.clock()).relabel(report_id, policy, reason=reason)
        app.ledger.checkpoint()
    except ReviewError as exc:
        fail(str(exc), code=ExitCode.REJECTED)
    finally:
        app.close()
    console.print(f"{shown}: now governed by {policy}")


@subject_app.command("export")
def subject_export(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the zip ('-': standard output).")
    ],
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    name: Annotated[str | None, typer.Option()] = None,
) -> None:
    """A person's access answer (Art. 15 and 20): subject.json, resume.html (French), images.

    Other people named in free text are redacted; the request is entered in the register of
    requests (`quitus subject requests`), found or not, and each report given is recorded.
    """
    from retention.subjects import export_subject, register_request  # noqa: PLC0415

    terms = _subject_terms(email, phone, name)
    app = _open()
    try:
        request = register_request(app.store, "access", terms)
        data = export_subject(app.store, app.policies(), request, redactor=app.subject_redactor())
        app.ledger.checkpoint()
    finally:
        app.close()
    to_stdout = write_or_fail(output, data)
    (err_console if to_stdout else console).print(
        f"{request.id}: {len(request.report_ids)} report(s) → {escape(str(output))}"
    )


@subject_app.command("erase")
def subject_erase(
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    name: Annotated[str | None, typer.Option()] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a person's reports where allowed; restrict and explain where the law requires keeping them."""
    from retention.subjects import erase_subject, register_request  # noqa: PLC0415

    terms = _subject_terms(email, phone, name)
    app = _open()
    try:
        request = register_request(app.store, "erasure", terms)
        ids = list(request.report_ids)
        app.ledger.checkpoint()
        if not ids:
            console.print(f"{request.id}: no report of this person")
            return
        if not yes:
            typer.confirm(f"{len(ids)} report(s) found. Erase what may be erased?", abort=True)
        outcomes = erase_subject(
            app.store, app.policies(), ids, clock=app.clock(), sealer=app.certificate_sealer()
        )
        app.ledger.checkpoint()
        numbers = app.store.numbers(ids)  # an erased report keeps its number
    finally:
        app.close()
    for outcome in outcomes:
        shown = numbers.get(outcome.report_id, outcome.report_id)
        console.print(f"{shown:<14}  {outcome.result:<14} {outcome.explanation}", soft_wrap=True)
