"""``quitus users`` and ``quitus tokens``: who may use the API and the web pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from quitus.cli_support import console, plain, settings_or_fail

if TYPE_CHECKING:
    from storage.access_store import AccessStore

__all__ = ["tokens_app", "users_app"]

users_app = typer.Typer(help="API and web users, each with one role.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens (shown once, stored hashed).", no_args_is_help=True)


@contextmanager
def _access() -> Iterator[tuple[AccessStore, str]]:
    from quitus.wiring import open_app  # noqa: PLC0415
    from storage.access_store import AccessStore  # noqa: PLC0415

    settings = settings_or_fail()
    opened = open_app(settings)
    try:
        yield AccessStore(opened.store), settings.actor
    finally:
        opened.close()


@users_app.command("add")
def add_user(
    handle: Annotated[str, typer.Argument(help="A staff identifier such as tech-042 (not a person's name).")],
    role: Annotated[str, typer.Option(help="technician, compliance, auditor, admin or planner.")],
) -> None:
    """Add a user with a role."""
    from quitus.cli_support import fail  # noqa: PLC0415
    from storage.access_store import Role  # noqa: PLC0415

    if role not in {r.value for r in Role}:
        fail(f"--role {plain(repr(role))}: expected one of {', '.join(r.value for r in Role)}")
    with _access() as (access, actor):
        access.add_user(handle, Role(role), actor=actor)
    console.print(
        f"added {plain(handle)} ({plain(role)}); give them a token: quitus tokens create {plain(handle)}"
    )


@users_app.command("list")
def list_users() -> None:
    """Users, their role and whether they are disabled."""
    with _access() as (access, _):
        users = access.users()
    if not users:
        console.print("no users yet: quitus users add HANDLE --role admin")
    for user in users:
        state = f"disabled {user.disabled_at:%Y-%m-%d}" if user.disabled_at else "active"
        console.print(f"{plain(user.handle):<24} {plain(user.role):<12} {plain(state)}")


@users_app.command("disable")
def disable_user(handle: str) -> None:
    """Disable a user: every token of theirs stops working at once."""
    with _access() as (access, actor):
        access.disable_user(handle, actor=actor)
    console.print(f"disabled {plain(handle)}")


@tokens_app.command("create")
def create_token(
    handle: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str | None, typer.Option(help="What the token is for (e.g. tablette-atelier).")] = None,
    expires_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Days until it expires (default: never).")
    ] = None,
) -> None:
    """Create a token; it is printed once and only its hash is kept."""
    with _access() as (access, actor):
        token_id, secret = access.create_token(
            handle,
            actor=actor,
            label=label,
            expires_in=dt.timedelta(days=expires_days) if expires_days else None,
        )
    console.print(f"token {plain(token_id)} for {plain(handle)} (keep it now, it is not shown again):")
    typer.echo(secret)


@tokens_app.command("list")
def list_tokens(
    handle: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
) -> None:
    """Tokens (never their secret): owner, label, dates, revocation."""
    with _access() as (access, _):
        tokens = access.tokens(handle)
    if not tokens:
        console.print("no tokens")
    for token in tokens:
        state = "revoked" if token.revoked_at else "active"
        expires = f"expires {token.expires_at:%Y-%m-%d}" if token.expires_at else "no expiry"
        used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
        console.print(
            f"{plain(token.id)}  {plain(token.handle):<20} {plain(token.label or '-'):<20} "
            f"{plain(state):<8} {plain(expires)}  {plain(used)}"
        )


@tokens_app.command("revoke")
def revoke_token(token_id: str) -> None:
    """Revoke a token: it stops working at the next request."""
    with _access() as (access, actor):
        changed = access.revoke_token(token_id, actor=actor)
    console.print(f"revoked {plain(token_id)}" if changed else f"{plain(token_id)} was already revoked")
