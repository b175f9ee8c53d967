"""Users, API tokens and client-portal links checked against the signed ledger
(ARCHITECTURE invariant 6).

Whether a user may act, with which role, through which token, and which report a portal
link shows, are plain columns that anyone with the database file can edit; each change is
written with a ledger entry in the same transaction (:mod:`storage.access_store`).
:func:`check_access_state` compares every row with the entries:

==================  ========================================================================
table               compared with
==================  ========================================================================
``users``           ``user.add`` (the user, its role) and ``user.disable``: a disabled user
                    stays disabled
``api_tokens``      ``token.create`` (the token, its user, the SHA-256 of its secret when the
                    entry records it) and ``token.revoke``: a revoked token stays revoked
``portal_links``    ``portal.link`` (the link, the report it shows, who made it) and
                    ``portal.revoke``: a revoked link stays revoked
==================  ========================================================================

A row that no entry creates is foreign; an entry whose row is gone is named too. Entries
are found by what they say — their hashed text — not only by the ``step`` column beside
them, which no hash covers. Not recorded by the entries, so not checked: a token's or a
link's expiry, a user's handle. Messages name ids, steps and sequence numbers only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, or_, select, type_coerce

from storage.access_store import ApiTokenRecord, PortalLinkRecord, UserRecord
from storage.database import Database
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LedgerEntryRecord
from storage.report_store import ReportStore

__all__ = ["ACCESS_STEPS", "check_access_state"]

ACCESS_STEPS = frozenset(
    {
        LedgerStep.USER_ADD,
        LedgerStep.USER_DISABLE,
        LedgerStep.TOKEN_CREATE,
        LedgerStep.TOKEN_REVOKE,
        LedgerStep.PORTAL_LINK,
        LedgerStep.PORTAL_REVOKE,
    }
)
"""The steps that create, revoke or disable a user, a token or a link."""
# Canonical entries are compact JSON with sorted keys, and no value may hold a quote: this
# text occurs in an entry exactly when its step begins so.
_STEP_TEXT = ('%"step":"user.%', '%"step":"token.%', '%"step":"portal.%')
_CHUNK = 5_000


def check_access_state(store: ReportStore) -> list[str]:
    """What in ``users``, ``api_tokens`` and ``portal_links`` differs from the ledger: one line each."""
    access = _Access()
    for seq, entry in _access_entries(store.database):
        _read_access(access, seq, LedgerStep(entry["step"]), entry, entry.get("details") or {})
    return _check_access(store.database, access)


def _access_entries(database: Database) -> Iterator[tuple[int, dict[str, Any]]]:
    query = (
        select(LedgerEntryRecord.seq, LedgerEntryRecord.entry)
        .where(
            or_(
                LedgerEntryRecord.step.in_(sorted(ACCESS_STEPS)),
                *(LedgerEntryRecord.entry.like(text) for text in _STEP_TEXT),
            )
        )
        .order_by(LedgerEntryRecord.seq)
        .execution_options(yield_per=_CHUNK)
    )
    with database.session() as session:
        for seq, text in session.execute(query):
            try:
                entry = decode_entry(text)
            except ValueError:
                continue  # not an entry any more: verify_ledger names it
            if entry.get("step") in ACCESS_STEPS:
                yield seq, entry


@dataclass
class _Access:
    users: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    """user id → (seq of ``user.add``, role)."""
    disabled: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, tuple[int, str | None, str | None]] = field(default_factory=dict)
    """token id → (seq of ``token.create``, user id, SHA-256 of the secret when recorded)."""
    revoked_tokens: dict[str, int] = field(default_factory=dict)
    links: dict[str, tuple[int, str | None, str | None]] = field(default_factory=dict)
    """link id → (seq of ``portal.link``, report id, actor)."""
    revoked_links: dict[str, int] = field(default_factory=dict)


def _read_access(
    access: _Access, seq: int, step: LedgerStep, entry: Mapping[str, Any], details: Mapping[str, Any]
) -> None:
    def text(key: str) -> str | None:
        value = details.get(key)
        return value if isinstance(value, str) else None

    user, token, link = text("user"), text("token"), text("link")
    if step == LedgerStep.USER_ADD and user:
        access.users.setdefault(user, (seq, text("role")))
    elif step == LedgerStep.USER_DISABLE and user:
        access.disabled.setdefault(user, seq)
    elif step == LedgerStep.TOKEN_CREATE and token:
        access.tokens.setdefault(token, (seq, user, text("token_sha256")))
    elif step == LedgerStep.TOKEN_REVOKE and token:
        access.revoked_tokens.setdefault(token, seq)
    elif step == LedgerStep.PORTAL_LINK and link:
        report, actor = entry.get("report"), entry.get("actor")
        access.links.setdefault(
            link,
            (seq, report if isinstance(report, str) else None, actor if isinstance(actor, str) else None),
        )
    elif step == LedgerStep.PORTAL_REVOKE and link:
        access.revoked_links.setdefault(link, seq)


def _check_access(database: Database, access: _Access) -> list[str]:
    with database.session() as session:
        users = session.execute(
            select(UserRecord.id, UserRecord.role, type_coerce(UserRecord.disabled_at, String))
        ).all()
        tokens = session.execute(
            select(
                ApiTokenRecord.id,
                ApiTokenRecord.user_id,
                ApiTokenRecord.token_hash,
                type_coerce(ApiTokenRecord.revoked_at, String),
            )
        ).all()
    problems = _check_users(access, users) + _check_tokens(access, tokens)
    problems += _check_links(database, access)
    return problems


def _check_users(access: _Access, rows: Sequence[Any]) -> list[str]:
    problems = []
    seen = set()
    for user_id, role, disabled_at in rows:
        seen.add(user_id)
        where = f"user {user_id}"
        added = access.users.get(user_id)
        if added is None:
            problems.append(f"{where}: a row in users that no user.add entry records (added by hand)")
            continue
        seq, recorded_role = added
        if recorded_role is not None and role != recorded_role:
            problems.append(
                f"{where}: role {role} in users, but ledger entry {seq} (user.add) gave it role "
                f"{recorded_role} (edited)"
            )
        disabled = access.disabled.get(user_id)
        if disabled is not None and disabled_at is None:
            problems.append(
                f"{where}: disabled by ledger entry {disabled} (user.disable), but enabled in users "
                "(edited: it must stay disabled)"
            )
        elif disabled is None and disabled_at is not None:
            problems.append(f"{where}: disabled in users, but no user.disable entry records it (edited)")
    problems += [
        f"user {user_id}: added by ledger entry {seq} (user.add), but its row was deleted from users"
        for user_id, (seq, _) in sorted(access.users.items())
        if user_id not in seen
    ]
    return problems


def _check_tokens(access: _Access, rows: Sequence[Any]) -> list[str]:
    problems = []
    seen = set()
    for token_id, user_id, token_hash, revoked_at in rows:
        seen.add(token_id)
        where = f"API token {token_id}"
        created = access.tokens.get(token_id)
        if created is None:
            problems.append(
                f"{where}: a row in api_tokens that no token.create entry records (added by hand)"
            )
            continue
        seq, recorded_user, recorded_hash = created
        if recorded_user is not None and user_id != recorded_user:
            problems.append(
                f"{where}: belongs to user {user_id} in api_tokens, but ledger entry {seq} (token.create) "
                f"made it for user {recorded_user} (edited)"
            )
        if recorded_hash is not None and token_hash != recorded_hash:
            problems.append(
                f"{where}: its hash in api_tokens is not the one ledger entry {seq} (token.create) recorded: "
                "replaced, so that another secret opens it (edited)"
            )
        revoked = access.revoked_tokens.get(token_id)
        if revoked is not None and revoked_at is None:
            problems.append(
                f"{where}: revoked by ledger entry {revoked} (token.revoke), but not revoked in api_tokens "
                "(edited: it must stay revoked)"
            )
        elif revoked is None and revoked_at is not None:
            problems.append(f"{where}: revoked in api_tokens, but no token.revoke entry records it (edited)")
    problems += [
        f"API token {token_id}: created by ledger entry {seq} (token.create), but its row was deleted"
        for token_id, (seq, _, _) in sorted(access.tokens.items())
        if token_id not in seen
    ]
    return problems


def _check_links(database: Database, access: _Access) -> list[str]:
    problems = []
    seen = set()
    query = select(
        PortalLinkRecord.id,
        PortalLinkRecord.report_id,
        PortalLinkRecord.created_by,
        type_coerce(PortalLinkRecord.revoked_at, String),
    ).execution_options(yield_per=5 * _CHUNK)
    with database.session() as session:
        for link_id, report_id, created_by, revoked_at in session.execute(query):
            seen.add(link_id)
            where = f"portal link {link_id}"
            created = access.links.get(link_id)
            if created is None:
                problems.append(
                    f"{where}: a row in portal_links that no portal.link entry records (added by hand)"
                )
                continue
            seq, recorded_report, actor = created
            if report_id != recorded_report:
                problems.append(
                    f"{where}: shows report {report_id} in portal_links, but ledger entry {seq} "
                    f"(portal.link) made it for report {recorded_report} (edited)"
                )
            if created_by != actor:
                problems.append(
                    f"{where}: created_by differs from the actor of ledger entry {seq} (portal.link) (edited)"
                )
            revoked = access.revoked_links.get(link_id)
            if revoked is not None and revoked_at is None:
                problems.append(
                    f"{where}: revoked by ledger entry {revoked} (portal.revoke), but not revoked in "
                    "portal_links (edited: it must stay revoked)"
                )
            elif revoked is None and revoked_at is not None:
                problems.append(
                    f"{where}: revoked in portal_links, but no portal.revoke entry records it (edited)"
                )
    problems += [
        f"portal link {link_id}: created by ledger entry {seq} (portal.link), but its row was deleted"
        for link_id, (seq, _, _) in sorted(access.links.items())
        if link_id not in seen
    ]
    return problems
