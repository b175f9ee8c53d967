"""``quitus audit`` and ``quitus proof``: the tamper-evident ledger and proof bundles."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from quitus.cli_support import JsonOption, console, err_console, fail, plain, settings_or_fail
from quitus.exit_codes import ExitCode
from quitus.export_files import is_stdio, read_or_fail, write_export, write_or_fail

__all__ = ["audit_app", "proof_app"]

audit_app = typer.Typer(help="The tamper-evident audit ledger.", no_args_is_help=True)
proof_app = typer.Typer(help="Proof-of-handling bundles that verify offline.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    skip_blobs: Annotated[
        bool, typer.Option("--skip-blobs", help="Do not hash the encrypted files.")
    ] = False,
    witness_keys: Annotated[
        list[str] | None,
        typer.Option(
            "--witness-key",
            help="A witness's verifier key: the latest remembered checkpoint must carry its "
            "cosignature (repeat for several witnesses).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute the ledger's tree, check every signed checkpoint and every blob, and compare
    every table that decides or locates (report states, blob pointers, users, tokens, portal
    links, legal holds, review queue, events) with the ledger. Exit 1 on tampering."""
    from quitus.wiring import ledger_verifier_key, open_app  # noqa: PLC0415
    from storage.ledger.verify import verify_ledger  # noqa: PLC0415
    from storage.ledger.witness_client import witness_problems  # noqa: PLC0415
    from storage.state_integrity import check_stored_state  # noqa: PLC0415

    settings = settings_or_fail()
    app = open_app(settings)
    try:
        # No checkpoint is signed here: verifying must never bless what it is checking.
        result = verify_ledger(
            app.ledger, ledger_verifier_key(settings), blob_root=None if skip_blobs else settings.blob_dir
        )
        result.problems.extend(check_stored_state(app.store))
        if witness_keys:
            result.problems.extend(witness_problems(app.ledger, witness_keys))
    finally:
        app.close()
    if as_json:
        from quitus.cli_json import LedgerVerification, emit  # noqa: PLC0415

        emit(
            LedgerVerification(
                ok=result.ok,
                entries=result.entries,
                checkpoints=result.checkpoints,
                remembered=result.remembered,
                blobs_checked=result.blobs_checked,
                problems=list(result.problems),
                unsigned_tail=result.unsigned_tail,
                first_bad_entry=result.first_bad_entry,
                warnings=list(result.warnings),
                witnesses=len(witness_keys or ()),
            )
        )
        if not result.ok:
            raise typer.Exit(ExitCode.REJECTED)
        return
    console.print(
        f"{result.entries} entries, {result.checkpoints} signed checkpoints "
        f"({result.remembered} remembered outside the database), "
        f"{result.blobs_checked} encrypted files checked"
    )
    for warning in result.warnings:
        console.print(f"[yellow]note:[/] {plain(warning)}", soft_wrap=True)
    for problem in result.problems:
        label = "NOT SIGNED" if problem == result.unsigned_tail else "TAMPERED"
        err_console.print(f"[red]{label}:[/] {plain(problem)}", soft_wrap=True)
    if result.first_bad_entry is not None:
        err_console.print(f"first bad entry: {result.first_bad_entry}")
    if not result.ok:
        raise typer.Exit(ExitCode.REJECTED)
    console.print(
        "[green]ledger verified[/]: intact, every checkpoint signed and consistent; report states, "
        "blobs, users, tokens, portal links, legal holds, review queue and events agree with it"
        + ("; cosigned by every witness" if witness_keys else "")
    )


@audit_app.command("checkpoint")
def checkpoint(
    witness: Annotated[
        bool,
        typer.Option(
            "--witness",
            help="Also have it cosigned by the witness (QUITUS_WITNESS_URL, QUITUS_WITNESS_KEY) "
            "and print the cosigned note; exit 1 when the witness is down or refuses.",
        ),
    ] = False,
) -> None:
    """Verify the ledger, then sign a checkpoint of it as it is now and print it (C2SP signed note).

    Refused (exit 1) when the ledger does not verify: a forged tail is never signed."""
    from quitus.wiring import ledger_verifier_key, open_app, witness_endpoint  # noqa: PLC0415
    from storage.ledger.errors import LedgerError  # noqa: PLC0415
    from storage.ledger.verify import verify_ledger  # noqa: PLC0415
    from storage.ledger.witness_client import submit_checkpoint  # noqa: PLC0415

    settings = settings_or_fail()
    endpoint = witness_endpoint(settings) if witness else None
    if witness and endpoint is None:
        fail("--witness needs QUITUS_WITNESS_URL and QUITUS_WITNESS_KEY (see docs/witness.md)")
    app = open_app(settings)
    refused: LedgerError | None = None
    try:
        result = verify_ledger(app.ledger, ledger_verifier_key(settings))
        if not result.tampered:
            _size, note = app.ledger.checkpoint()
            if endpoint is not None:
                try:
                    note = submit_checkpoint(app.ledger, endpoint).note
                except LedgerError as exc:  # a WitnessError, or the ledger changed under it
                    refused = exc
    finally:
        app.close()
    if result.tampered:
        for problem in result.problems:
            if problem != result.unsigned_tail:
                err_console.print(f"[red]TAMPERED:[/] {plain(problem)}", soft_wrap=True)
        fail(
            "no checkpoint signed: the ledger does not verify (see `quitus audit verify`)",
            code=ExitCode.REJECTED,
        )
    sys.stdout.write(note)  # verbatim: a wrapped line would no longer verify
    if refused is not None:
        fail(f"the checkpoint is signed but NOT cosigned: {plain(refused)}", code=ExitCode.REJECTED)


@audit_app.command("consistency")
def consistency(
    kept: Annotated[
        Path,
        typer.Option(
            "--from",
            help="A signed checkpoint kept from earlier: checkpoint.txt of a proof bundle, "
            "the output of `quitus audit checkpoint`.",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the proof here: a folder an auditor checks with openssl alone "
            "(verify-consistency.sh inside), or one JSON file when the name ends in .json.",
        ),
    ] = None,
) -> None:
    """Prove that today's ledger still begins with the entries a kept checkpoint signed (RFC 9162
    §2.1.4): JSON that `quitus audit check-consistency` checks offline, or a folder checked with
    bash and openssl alone. Exit 1 when it cannot hold."""
    from quitus.wiring import ledger_verifier_key, open_app  # noqa: PLC0415
    from storage.ledger.consistency import build_consistency_proof, consistency_folder  # noqa: PLC0415
    from storage.ledger.errors import RollbackError  # noqa: PLC0415

    note = _read_text(kept)
    settings = settings_or_fail()
    vkey = ledger_verifier_key(settings)
    app = open_app(settings)
    try:
        proof = build_consistency_proof(app.ledger, note, vkey)
    except RollbackError as exc:
        fail(str(exc), code=ExitCode.REJECTED)
    finally:
        app.close()
    if output is None or is_stdio(output):
        sys.stdout.write(proof.to_json())
    elif output.suffix == ".json":
        write_or_fail(output, proof.to_json().encode("utf-8"))
        console.print(f"wrote {plain(output)}: from {proof.old.size} to {proof.new.size} entries")
    else:
        _write_consistency_folder(output, consistency_folder(proof, vkey))
        console.print(
            f"wrote {plain(output)}/: from {proof.old.size} to {proof.new.size} entries; an auditor "
            f"checks it with `bash {plain(output)}/verify-consistency.sh --fingerprint <the ledger key's "
            "published fingerprint> --kept <the checkpoint they kept>`",
            soft_wrap=True,
        )
    if not proof.verifies:
        fail(
            f"this ledger does not begin with the {proof.old.size} entries the kept checkpoint signed: "
            "it was rewritten",
            code=ExitCode.REJECTED,
        )


@audit_app.command("check-consistency")
def check_consistency(
    proof: Annotated[
        Path, typer.Argument(help="A proof written by `quitus audit consistency` (its JSON, or its folder).")
    ],
    key: Annotated[str, typer.Option(help="The company's published ledger key (ledger.vkey).")],
    kept: Annotated[
        Path | None,
        typer.Option("--kept", help="The checkpoint you kept: the proof must start from it."),
    ] = None,
) -> None:
    """Check a consistency proof offline (no database needed). Exit 1 when it does not verify."""
    from storage.ledger.consistency import check_consistency_proof  # noqa: PLC0415

    document = proof / "proof.json" if proof.is_dir() else proof
    result = check_consistency_proof(
        _read_text(document), key, kept=_read_text(kept) if kept is not None else None
    )
    for line in result.checked:
        console.print(f"  [green]✓[/] {plain(line)}", soft_wrap=True)
    for problem in result.problems:
        err_console.print(f"  [red]✗[/] {plain(problem)}", soft_wrap=True)
    if not result.ok:
        err_console.print("[red]consistency proof does NOT verify[/]")
        raise typer.Exit(ExitCode.REJECTED)
    console.print("[green]consistency proof verified[/]")


def _read_text(path: Path) -> str:
    """A text file, or standard input for ``-``."""
    data = read_or_fail(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"cannot read {plain(path)}: not UTF-8 text ({plain(exc.reason)})")


@audit_app.command("key")
def key() -> None:
    """Print the ledger's verifier key and its fingerprint, for auditors to pin (publish both)."""
    from quitus.wiring import ledger_verifier_key  # noqa: PLC0415
    from storage.ledger.bundle import key_fingerprint  # noqa: PLC0415

    vkey = ledger_verifier_key(settings_or_fail())
    sys.stdout.write(
        f"{vkey}\nfingerprint (SHA-256 of the key's DER SubjectPublicKeyInfo): {key_fingerprint(vkey)}\n"
    )


@proof_app.command("export")
def export(
    reference: Annotated[str, typer.Argument(help="Report number (RI-2026-000123) or id (RI-…).")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the zip ('-': standard output).")
    ],
    documents: Annotated[
        bool, typer.Option(help="Include the sealed PDF (personal data: a recorded read).")
    ] = True,
    justify: Annotated[
        str | None,
        typer.Option(help="Reason code to read a restricted report's sealed PDF (recorded): litigation…"),
    ] = None,
) -> None:
    """Write a report's proof bundle: its whole history and the holds that covered it, each entry
    proven, the signed checkpoint, the sealed PDF (or an erased report's certificate), VERIFY.md."""
    from quitus.wiring import ledger_verifier_key, open_app, witness_endpoint  # noqa: PLC0415
    from retention.access import JUSTIFICATION_PATTERN  # noqa: PLC0415
    from retention.errors import RestrictedAccessError  # noqa: PLC0415
    from retention.proof_export import export_proof  # noqa: PLC0415
    from storage.errors import ReportNotFoundError  # noqa: PLC0415
    from storage.ledger.bundle import key_fingerprint  # noqa: PLC0415

    if justify is not None and not JUSTIFICATION_PATTERN.fullmatch(justify):
        fail("--justify takes a code such as litigation or subject_access (letters, digits, _.-)")
    settings = settings_or_fail()
    vkey = ledger_verifier_key(settings)
    app = open_app(settings)
    report_id = reference
    try:
        report_id = app.store.resolve(reference)
        exported = export_proof(
            app.store,
            app.policies(),
            report_id,
            verifier_key=vkey,
            document="full" if documents else "none",
            justification=justify,
            certificate_sealer=app.certificate_sealer(),
            witness=witness_endpoint(settings),
        )
    except RestrictedAccessError as exc:
        fail(
            f"{plain(report_id)} is {exc.restriction}: its sealed PDF needs --justify CODE, which is "
            "recorded (or export the proof without it: --no-documents)",
            code=ExitCode.REFUSED,
        )
    except ReportNotFoundError as exc:
        fail(str(exc), code=ExitCode.NOT_FOUND)
    finally:
        app.close()
    to_stdout = write_or_fail(output, exported.data)
    out = err_console if to_stdout else console  # stdout is the zip alone
    carried = ", ".join(exported.documents) or "no document"
    holds = f"; legal holds {', '.join(exported.holds)}" if exported.holds else ""
    size = len(exported.data) // 1024 + 1
    out.print(f"wrote {plain(output)} ({size} KiB; {carried}{holds})", soft_wrap=True)
    if exported.note and documents:
        out.print(f"[yellow]note:[/] {plain(exported.note)}", soft_wrap=True)
    if exported.witness_problem is not None:
        err_console.print(
            f"[red]WITNESS FAILED:[/] the bundle's checkpoint is signed by the ledger but NOT cosigned: "
            f"{plain(exported.witness_problem)}",
            soft_wrap=True,
        )
    out.print(
        f"check it with `quitus proof verify {plain(output)} --fingerprint {key_fingerprint(vkey)}`, "
        "or `bash verify.sh FINGERPRINT` in the unzipped folder (VERIFY.md)",
        soft_wrap=True,
    )


@proof_app.command("verify")
def verify_bundle_command(
    bundle: Annotated[
        Path, typer.Argument(help="A bundle exported by `quitus proof export` ('-': standard input).")
    ],
    key: Annotated[
        str | None, typer.Option(help="The company's published ledger key (ledger.vkey's text).")
    ] = None,
    fingerprint: Annotated[
        str | None,
        typer.Option(help="Or its fingerprint: SHA-256 hex of the key's DER SubjectPublicKeyInfo."),
    ] = None,
    witness_keys: Annotated[
        list[str] | None,
        typer.Option(
            "--witness-key",
            help="A witness's verifier key: the bundle's checkpoint must carry its valid "
            "cosignature (repeat for several witnesses).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a proof bundle offline (no database needed) against the pinned ledger key.
    Exit 1 when it does not verify, 2 when no key is pinned."""
    from storage.ledger.bundle_verify import MAX_BUNDLE_BYTES, verify_bundle  # noqa: PLC0415

    if key is None and fingerprint is None:
        err_console.print(
            "[red]error:[/] pin the company's ledger key: --key VKEY or --fingerprint HEX. "
            "Get them from the company through another channel than the bundle (they print both "
            "with `quitus audit key`); the fingerprint of the key a bundle carries is "
            "`openssl pkey -pubin -in ledger-public.pem -outform DER | sha256sum`, "
            "to compare, never to trust.",
            soft_wrap=True,
        )
        raise typer.Exit(ExitCode.USAGE)
    data = read_or_fail(bundle, limit=MAX_BUNDLE_BYTES)
    if len(data) > MAX_BUNDLE_BYTES:
        limit = MAX_BUNDLE_BYTES // 2**20
        fail(f"{plain(bundle)} is larger than {limit} MiB: not a proof bundle", code=ExitCode.REJECTED)
    result = verify_bundle(data, key=key, fingerprint=fingerprint, witness_keys=witness_keys or ())
    if as_json:
        from quitus.cli_json import BundleVerification, emit  # noqa: PLC0415

        emit(
            BundleVerification(
                ok=result.ok,
                report_id=result.report_id,
                entries=result.entries,
                tree_size=result.tree_size,
                checked=list(result.checked),
                problems=list(result.problems),
            )
        )
        if not result.ok:
            raise typer.Exit(ExitCode.REJECTED)
        return
    if result.report_id is not None:
        console.print(
            f"report {result.report_id}, {result.entries} entries proven, tree of {result.tree_size} entries",
            soft_wrap=True,
        )
    for line in result.checked:
        console.print(f"  [green]✓[/] {plain(line)}", soft_wrap=True)
    for problem in result.problems:
        err_console.print(f"  [red]✗[/] {plain(problem)}", soft_wrap=True)
    if not result.ok:
        err_console.print("[red]bundle does NOT verify[/]")
        raise typer.Exit(ExitCode.REJECTED)
    console.print("[green]bundle verified[/]")


def _write_consistency_folder(directory: Path, files: dict[str, bytes]) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if any(directory.iterdir()):
            fail(f"{plain(directory)} is not empty: give a new folder (or a name ending in .json)")
        for name, data in files.items():
            write_export(directory / name, data)
        (directory / "verify-consistency.sh").chmod(0o700)
    except OSError as exc:
        fail(f"cannot write {plain(directory)}: {plain(exc.strerror or exc)}")
