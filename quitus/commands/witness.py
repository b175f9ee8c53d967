"""``quitus witness``: run a witness that cosigns the ledger's checkpoints (C2SP tlog-witness).

A witness runs on another machine, with its own key, under another administrator: it needs
no quitus installation, only a folder (``--dir``) and the ledger's published verifier key.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from quitus.cli_support import console, fail

__all__ = ["witness_app"]

witness_app = typer.Typer(
    help="A witness that cosigns the ledger's checkpoints (run it on another machine).",
    no_args_is_help=True,
)

DirOption = Annotated[Path, typer.Option("--dir", help="The witness's folder (its key and state).")]


@witness_app.command("init")
def init(
    directory: DirOption,
    name: Annotated[
        str, typer.Option(help="The witness's key name, e.g. witness.example.fr/quitus (no spaces or '+').")
    ],
) -> None:
    """Create the witness's key and empty state; print the verifier key to give the ledger."""
    from storage.ledger.errors import LedgerError  # noqa: PLC0415
    from storage.ledger.witness_home import PEM_FILE, WitnessHome, public_key_fingerprint  # noqa: PLC0415

    try:
        home = WitnessHome.create(directory, name)
        cosigner = home.cosigner()
    except (LedgerError, OSError) as exc:
        fail(str(exc))
    console.print(f"witness created in {directory}")
    console.print("verifier key (set QUITUS_WITNESS_KEY on the ledger's side to it):")
    sys.stdout.write(home.vkey() + "\n")
    console.print(
        f"fingerprint (SHA-256 of the public key's DER): {public_key_fingerprint(cosigner.public_key)}; "
        f"the key for openssl: {directory / PEM_FILE}",
        soft_wrap=True,
    )
    console.print(
        'next: `quitus witness add-log --dir … --vkey "$(cat ledger.vkey)"`, then `quitus witness serve`',
        soft_wrap=True,
    )


@witness_app.command("add-log")
def add_log(
    directory: DirOption,
    vkey: Annotated[str, typer.Option("--vkey", help="The ledger's verifier key (its ledger.vkey).")],
) -> None:
    """Follow a ledger: its checkpoints, signed by this key, are the ones it cosigns."""
    from storage.ledger.errors import LedgerError  # noqa: PLC0415
    from storage.ledger.witness_home import WitnessHome  # noqa: PLC0415

    try:
        verifier, added = WitnessHome(directory).add_log(vkey)
    except LedgerError as exc:
        fail(str(exc))
    state = "now follows" if added else "already follows"
    console.print(f"the witness {state} the log {verifier.name}")


@witness_app.command("serve")
def serve(
    directory: DirOption,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8479,
) -> None:
    """Serve POST /add-checkpoint until interrupted (put TLS in front of it: a reverse proxy)."""
    from quitus.witness_server import serve_witness  # noqa: PLC0415
    from storage.ledger.errors import LedgerError  # noqa: PLC0415

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def ready(address: Any) -> None:
        # One line a supervisor (or a test) waits for: the port is open from here on.
        sys.stdout.write(f"witness listening on http://{address[0]}:{address[1]}\n")
        sys.stdout.flush()

    try:
        serve_witness(directory, host, port, ready=ready)
    except (LedgerError, OSError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        console.print("witness stopped")
