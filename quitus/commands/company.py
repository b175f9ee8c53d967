"""``quitus company``: the company's identity, configured once (docs/company.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quitus.cli_support import console, fail, plain, settings_or_fail

if TYPE_CHECKING:
    from storage.company import CompanyIdentity

__all__ = ["app", "print_identity"]

app = typer.Typer(
    help="The company's identity: what every report, e-mail and portal page names.", no_args_is_help=True
)

_LABELS = (
    ("name", "name"),
    ("legal_form", "legal form"),
    ("address", "address"),
    ("phone", "phone"),
    ("siret", "SIRET"),
    ("attestation", "attestation de capacité"),
    ("logo_sha256", "logo"),
    ("revision", "revision"),
    ("updated_at", "updated"),
)

_EMPTY_CLEARS = ' ("" clears it)'


@app.command("set")
def set_company(
    name: Annotated[str | None, typer.Option(help='Trade name, e.g. "Thermi\'Clim Services".')] = None,
    legal_form: Annotated[str | None, typer.Option(help="SARL, SAS…" + _EMPTY_CLEARS)] = None,
    address: Annotated[str | None, typer.Option(help="Postal address, one line" + _EMPTY_CLEARS)] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number" + _EMPTY_CLEARS)] = None,
    siret: Annotated[str | None, typer.Option(help="SIRET, 14 digits (checked)" + _EMPTY_CLEARS)] = None,
    attestation: Annotated[
        str | None, typer.Option(help="Attestation de capacité number (refrigerants)" + _EMPTY_CLEARS)
    ] = None,
    logo: Annotated[
        Path | None, typer.Option(help="PNG or JPEG file, at most 1 MiB, 32 to 4000 px a side.")
    ] = None,
    no_logo: Annotated[bool, typer.Option("--no-logo", help="Remove the logo.")] = False,
) -> None:
    """Change the company's identity (what is not given is kept); the change is recorded in the ledger."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from storage.company_logo import LOGO_MAX_BYTES, check_logo  # noqa: PLC0415

    given = {
        "name": name,
        "legal_form": legal_form,
        "address": address,
        "phone": phone,
        "siret": siret,
        "attestation": attestation,
    }
    changes = {field: value for field, value in given.items() if value is not None}
    if not changes and logo is None and not no_logo:
        fail("say what to change: --name, --legal-form, --address, --phone, --siret, --attestation or --logo")
    if logo is not None and no_logo:
        fail("--logo and --no-logo: give one of them")
    checked = None
    if logo is not None:
        try:
            if logo.stat().st_size > LOGO_MAX_BYTES:
                fail(f"--logo {plain(logo)}: {logo.stat().st_size} bytes; at most {LOGO_MAX_BYTES} (1 MiB)")
            data = logo.read_bytes()
        except OSError as exc:
            fail(f"--logo {plain(logo)}: cannot read it ({plain(exc.strerror or exc)})")
        checked = check_logo(data, where=f"--logo {logo}")
    app_ = open_app(settings_or_fail())
    try:
        identity = app_.company().update(**changes, logo=checked, remove_logo=no_logo)
    finally:
        app_.close()
    console.print(f"company identity: revision {identity.revision}")
    print_identity(identity)


@app.command("show")
def show_company(
    as_json: Annotated[bool, typer.Option("--json", help="Print the identity as JSON.")] = False,
) -> None:
    """The company's identity as reports, e-mails and the portal show it."""
    from quitus.wiring import open_app  # noqa: PLC0415

    app_ = open_app(settings_or_fail())
    try:
        identity = app_.company().current()
    finally:
        app_.close()
    if as_json:
        typer.echo(json.dumps(identity.as_dict(), ensure_ascii=False, indent=2))
        return
    if identity.revision == 0:
        console.print("no company identity configured yet: `quitus company set --name …`")
    print_identity(identity)


def print_identity(identity: CompanyIdentity) -> None:
    """One line per field, ``—`` for what is not set."""
    values = identity.as_dict()
    for field, label in _LABELS:
        value = values[field]
        console.print(f"  {label:<24} {plain(value) if value not in (None, '') else '—'}")
