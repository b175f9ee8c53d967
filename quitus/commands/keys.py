"""``quitus keys``: the key-encryption key and the data-key store."""

from __future__ import annotations

import typer

from quitus.cli_support import console, fail, plain, settings_or_fail

__all__ = ["app"]

app = typer.Typer(help="Key-encryption key rotation and key status.", no_args_is_help=True)


@app.command("status")
def status() -> None:
    """Where the keys are, and how many data keys each KEK wraps (destroyed ones too)."""
    from quitus.wiring import open_app  # noqa: PLC0415

    settings = settings_or_fail()
    app_ = open_app(settings)
    try:
        usage = app_.keystore.usage()
        current = app_.keystore.keys.kek_id
    finally:
        app_.close()
    console.print(f"key folder: {plain(settings.resolved_key_dir)}")
    console.print(f"current key-encryption key: {plain(current)}")
    for kek_id, count in sorted(usage.items(), key=lambda item: str(item[0])):
        label = "destroyed (shredded reports)" if kek_id is None else f"wrapped by {kek_id}"
        console.print(f"  {count:>8} data keys {plain(label)}")


@app.command("rotate")
def rotate() -> None:
    """Create a new key-encryption key and re-wrap every data key under it (no blob is rewritten)."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from storage.key_rotation import rotate_kek  # noqa: PLC0415

    settings = settings_or_fail()
    if settings.kek is not None:
        fail(
            "QUITUS_KEK is set: rotate the key in your secret manager, then run `quitus keys rotate` "
            "without QUITUS_KEK, with the old key in the key folder"
        )
    app_ = open_app(settings)
    try:
        result = rotate_kek(
            settings.resolved_key_dir, settings.resolved_keystore_url, app_.ledger, actor=settings.actor
        )
    finally:
        app_.close()
    console.print(
        f"re-wrapped {result.rewrapped} data keys: {plain(result.old_kek_id)} → {plain(result.new_kek_id)}"
    )
    console.print(
        f"the old key is in {result.retired_file}: destroy it once no backup of the key store "
        "made before today is kept"
    )
