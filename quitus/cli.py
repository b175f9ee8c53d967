"""The ``quitus`` command line.

Imports stay light at module level so ``quitus --help`` answers at once; each command
imports what it needs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quitus.cli_support import act_as, console, fail, plain, settings_or_fail
from quitus.commands import (
    access,
    audit,
    company,
    delivery,
    equipment,
    flows,
    forms,
    ingest,
    keys,
    pdf,
    pii,
    policies,
    reports,
    retention,
    serve,
    status,
    templates,
    visits,
    witness,
)

if TYPE_CHECKING:
    from quitus.settings import Settings

app = typer.Typer(
    name="quitus",
    help="GDPR-aware workflow engine for field-service intervention reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from quitus import __version__  # noqa: PLC0415

        sys.stdout.write(f"quitus {__version__}\n")
        raise typer.Exit


@app.callback()
def global_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print quitus's version and exit.",
        ),
    ] = False,
    as_handle: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="HANDLE",
            help="Who the audit ledger names for this command: a staff handle such as dpo-01 "
            "(default: QUITUS_ACTOR, else the OS user as os:<login>).",
            show_default=False,
        ),
    ] = None,
) -> None:
    act_as(as_handle)


app.add_typer(reports.app, name="reports")
app.add_typer(company.app, name="company")
app.add_typer(forms.app, name="forms")
app.add_typer(templates.app, name="templates")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(audit.proof_app, name="proof")
app.add_typer(witness.witness_app, name="witness")
app.add_typer(keys.app, name="keys")
app.add_typer(policies.app, name="policies")
app.add_typer(pii.app, name="pii")
app.add_typer(retention.retention_app, name="retention")
app.add_typer(retention.holds_app, name="holds")
app.add_typer(retention.review_app, name="review")
app.add_typer(retention.subject_app, name="subject")
app.add_typer(access.users_app, name="users")
app.add_typer(access.tokens_app, name="tokens")
app.add_typer(visits.app, name="visits")
app.add_typer(equipment.app, name="equipment")
app.command("ingest")(ingest.ingest_command)
app.command("process")(pdf.process)
app.command("run")(flows.run_flow)
app.command("serve")(serve.serve)
app.command("status")(status.status)
app.command("deploy")(flows.deploy)
app.command("verify-pdf")(pdf.verify_pdf)
reports.app.command("pdf")(pdf.export_pdf)
app.command("deliver")(delivery.deliver)
reports.app.command("reschedule")(delivery.reschedule)
reports.app.command("followup")(delivery.followup_status)


@app.command()
def init(
    company: Annotated[
        str | None,
        typer.Option(
            help="Company named by the seal certificate and the company identity, when neither exists yet "
            "(default: QUITUS_COMPANY_NAME); `quitus company set` completes the identity."
        ),
    ] = None,
    simulation: Annotated[
        bool,
        typer.Option(
            "--simulation",
            help="Make this new, empty home a simulation home, where QUITUS_SIMULATED_TODAY sets the date "
            "retention sees (demos, tests). Recorded for good in its ledger; refused for a home with data.",
        ),
    ] = False,
) -> None:
    """Create QUITUS_HOME and the key folder: keys, company seal, database schema. Safe to re-run."""
    from quitus.wiring import initialize, open_app  # noqa: PLC0415
    from storage.simulation import SimulationHomeError, declare_simulation_home  # noqa: PLC0415

    settings = settings_or_fail()
    if company:
        settings = settings.model_copy(update={"company_name": company})
    created = initialize(settings)
    for path in created:
        console.print(f"created {plain(path)}")
    _reindex_if_outdated(settings)
    if simulation:
        app_ = open_app(settings)
        try:
            declared = declare_simulation_home(app_.store)
        except SimulationHomeError as exc:
            fail(f"--simulation: {plain(exc)}")
        finally:
            app_.close()
        if declared:
            console.print(
                "[yellow]simulation home[/yellow]: QUITUS_SIMULATED_TODAY sets the date retention sees here"
            )
    _seed_company(settings)
    console.print(
        f"[green]ready[/green]: data in {plain(settings.home)}, keys in {plain(settings.resolved_key_dir)}"
    )
    if any(p.name == "kek.key" for p in created):
        console.print(
            f"[yellow]Back up {settings.resolved_key_dir} apart from the data: without it nothing "
            "can be read, and a data backup must never hold its keys.[/yellow]"
        )


def _seed_company(settings: Settings) -> None:
    """A new home's company identity starts with the name given (its seal's); kept when it exists."""
    from quitus.wiring import open_app  # noqa: PLC0415

    app_ = open_app(settings)
    try:
        seeded = app_.company().seed_name(settings.company_name)
    finally:
        app_.close()
    if seeded:
        console.print(
            f"company identity: {plain(settings.company_name)} "
            "(complete it: `quitus company set --siret … --address … --logo …`)"
        )


def _reindex_if_outdated(settings: Settings) -> None:
    """After an upgrade: bring the blind index to this version's normalization (phones in E.164)."""
    from quitus.commands.retention import print_reindex  # noqa: PLC0415
    from quitus.wiring import open_app  # noqa: PLC0415

    app_ = open_app(settings)
    try:
        if not app_.subject_index_outdated():
            return
        console.print("re-indexing the blind index (phones in E.164)…")
        outcome = app_.reindex_subjects()
    finally:
        app_.close()
    print_reindex(outcome)


@app.command()
def demo(
    reports_count: Annotated[int, typer.Option("--reports", min=1, max=5000, help="How many reports.")] = 40,
    output: Annotated[Path, typer.Option(help="Folder for the generated inbox and outputs.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same reports).")] = 2026,
) -> None:
    """Generate realistic French reports (some invalid, some unfinished) and ingest them.

    The demo simulates years passing to show retention: it runs only in a QUITUS_HOME that holds
    no report yet (`make demo` uses its own, demo-output/home), never in a real one.
    """
    from quitus.demo import reports_already_in, run_demo  # noqa: PLC0415

    settings = settings_or_fail()
    found = reports_already_in(settings)
    if found:
        fail(
            f"QUITUS_HOME={settings.home} already holds {found} report(s): the demo simulates years "
            "passing and would anonymize and destroy them. Run it in a new home: "
            "QUITUS_HOME=$(mktemp -d) quitus demo (or `make demo`, which uses demo-output/home)"
        )
    run_demo(settings, count=reports_count, output=output, seed=seed)


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file ('-': standard output).")
    ] = None,
) -> None:
    """Print the JSON Schema of a report submission (personal fields carry x-personal-data)."""
    from quitus.cli_support import report_json_schema  # noqa: PLC0415
    from quitus.export_files import is_stdio, write_or_fail  # noqa: PLC0415

    text = report_json_schema()
    if output is None or is_stdio(output):
        sys.stdout.write(text)
    else:
        write_or_fail(output, text.encode("utf-8"))
        console.print(f"wrote {plain(output)}")


def main() -> None:
    """Entry point: turns quitus errors into one clear line and their exit code (quitus.exit_codes)."""
    from quitus.errors_boundary import run_with_error_boundary  # noqa: PLC0415

    run_with_error_boundary(app)


if __name__ == "__main__":
    main()
