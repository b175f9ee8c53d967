"""``quitus process``, ``quitus reports pdf`` and ``quitus verify-pdf``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from quitus.cli_support import console, err_console, fail, plain, settings_or_fail
from quitus.exit_codes import ExitCode
from quitus.export_files import read_or_fail, write_or_fail

__all__ = ["export_pdf", "process", "verify_pdf"]


def process(
    batch_size: Annotated[int, typer.Option(min=1, max=5000, help="Reports per batch.")] = 100,
) -> None:
    """Take validated reports through redaction, rendering, sealing and archiving."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from workflows.stages import STAGES  # noqa: PLC0415

    app = open_app(settings_or_fail())
    try:
        counts = app.pipeline().run_pending(batch_size=batch_size)
        app.ledger.checkpoint()
    finally:
        app.close()
    done = ", ".join(f"{name} {counts[name]}" for _state, name in STAGES)
    console.print(f"processed: {done}")
    failed = {k: v for k, v in counts.items() if k.endswith("failed") and v}
    if failed:
        err_console.print(
            "failed: "
            + ", ".join(f"{k.split()[0]} {v}" for k, v in failed.items())
            + " (see `quitus reports show ID`; fix the cause and run `quitus process` again)"
        )
        raise typer.Exit(ExitCode.REJECTED)


def export_pdf(
    report_id: Annotated[str, typer.Argument(help="Report number (RI-2026-000123) or id (RI-…).")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the PDF ('-': standard output).")
    ],
    redacted: Annotated[
        bool, typer.Option("--redacted", help="The anonymized variant, without personal data.")
    ] = False,
    justify: Annotated[
        str | None,
        typer.Option(help="Reason code to read a restricted report's full PDF (recorded), e.g. litigation."),
    ] = None,
) -> None:
    """Write a report's sealed PDF (decrypted from the archive; the full one is a recorded read)."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from retention.access import JUSTIFICATION_PATTERN, read_personal_data  # noqa: PLC0415
    from retention.errors import DocumentUnavailableError, RestrictedAccessError  # noqa: PLC0415
    from storage.blob_kinds import BlobKind  # noqa: PLC0415
    from storage.ledger.events import LedgerEvent  # noqa: PLC0415
    from storage.ledger.steps import LedgerStep  # noqa: PLC0415

    if justify is not None and not JUSTIFICATION_PATTERN.fullmatch(justify):
        fail("--justify takes a code such as litigation or subject_access (letters, digits, _.-)")
    app = open_app(settings_or_fail())
    try:
        report_id = app.store.resolve(report_id)
        if redacted:
            report = app.store.get(report_id)
            blob_id = app.store.latest_blob(report_id, BlobKind.PDF_REDACTED)
            if blob_id is None:
                fail(
                    f"report {report_id} is {report.state.value}: its PDF exists once it is sealed "
                    "(`quitus process` takes validated reports that far)"
                )
            data = app.store.read_blob(report_id, blob_id)
            app.ledger.record(
                LedgerEvent(
                    step=LedgerStep.READ,
                    actor=app.settings.actor,
                    outcome="exported",
                    report_id=report_id,
                    details={"document": BlobKind.PDF_REDACTED.value},
                )
            )
        else:
            data = read_personal_data(app.store, app.policies(), report_id, "pdf_full", justification=justify)
    except RestrictedAccessError as exc:
        fail(
            f"{plain(report_id)} is {plain(exc.restriction)}: "
            "reading it needs --justify CODE, which is recorded",
            code=ExitCode.REFUSED,
        )
    except DocumentUnavailableError as exc:
        fail(str(exc))
    finally:
        app.close()
    to_stdout = write_or_fail(output, data)
    (err_console if to_stdout else console).print(
        f"wrote {plain(output)} ({len(data) // 1024 + 1} KiB, sealed); "
        f"check it with `quitus verify-pdf {plain(output)}`"
    )


def verify_pdf(
    pdf: Annotated[Path, typer.Argument(help="A sealed report PDF ('-': standard input).")],
    ca: Annotated[
        Path | None, typer.Option(help="The company CA certificate (default: $QUITUS_HOME/company-ca.pem).")
    ] = None,
) -> None:
    """Integrity, signer, time, trust and changes after sealing. Exit 0 when valid and trusted."""
    from quitus.wiring import COMPANY_CA_FILE  # noqa: PLC0415
    from reports.pdf import verify_sealed_pdf  # noqa: PLC0415

    settings = settings_or_fail()
    ca_path = ca or settings.home / COMPANY_CA_FILE
    data = read_or_fail(pdf)
    try:
        roots = [ca_path.read_bytes()]
    except OSError as exc:
        fail(f"cannot read {plain(exc.filename)}: {plain(exc.strerror)}")
    result = verify_sealed_pdf(data, roots)
    mark = {True: "[green]yes[/]", False: "[red]no[/]"}
    console.print(f"{plain(pdf)}")
    console.print(f"  intact (signature valid, covers the document): {mark[result.intact]}")
    console.print(f"  trusted (chains to {plain(ca_path.name)}): {mark[result.trusted]}")
    changed = "[red]yes[/]" if result.modified_after_signing else "[green]no[/]"
    console.print(f"  changed after sealing: {changed}")
    console.print(f"  signer: {plain(result.signer or '—')}")
    signed_at = result.signed_at.astimezone(dt.UTC).isoformat() if result.signed_at else "—"
    console.print(f"  signed at: {plain(signed_at)}  level: {plain(result.level or '—')}")
    for problem in result.problems:
        err_console.print(f"  [red]✗[/] {plain(problem)}", soft_wrap=True)
    if not result.ok:
        err_console.print("[red]NOT valid[/]")
        raise typer.Exit(ExitCode.REJECTED)
    console.print("[green]valid and trusted[/]")
