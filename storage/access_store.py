"""Who may use the HTTP API and web pages: users with a role, API tokens, client-portal links.

No secret is kept in clear. A token is shown once when created and stored as its
SHA-256; a portal link is a random id signed with a key derived from the installation's
index key, whose row records expiry and revocation. User handles are staff identifiers
(``tech-042``), never people's names: the ledger names them as actors. Creating a user,
a token or a link, and revoking one, are ledger events.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, Integer, String, inspect, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.database import Database
from storage.errors import StorageError
from storage.identifiers import personal_identifier_kind
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.models import Base, ReportRecord, utcnow
from storage.report_store import ReportStore

__all__ = [
    "TOKEN_PREFIX",
    "AccessError",
    "AccessStore",
    "ApiTokenRecord",
    "PortalLink",
    "PortalLinkError",
    "PortalLinkRecord",
    "Principal",
    "Role",
    "TokenInfo",
    "UserRecord",
    "registered_users",
]

TOKEN_PREFIX = "qt_"  # noqa: S105 - a public prefix that makes leaked tokens greppable
HANDLE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$")
_LAST_USED_RESOLUTION = dt.timedelta(minutes=5)
"""``last_used_at`` is refreshed at most this often: a busy token costs no write per request."""
_MAX_DELIVERY_LINKS = 50
"""Generations of a delivery's link tried before giving up (a retry a month later makes two)."""


class Role(StrEnum):
    TECHNICIAN = "technician"
    COMPLIANCE = "compliance"
    AUDITOR = "auditor"
    ADMIN = "admin"
    PLANNER = "planner"
    """The back office that plans follow-up visits (``/planning``, ``/api/v1/visits``)."""


class AccessError(StorageError):
    """A user or token operation that cannot be done (unknown handle, duplicate…)."""


class PortalLinkError(AccessError):
    """A portal link that is forged, unknown, expired or revoked (the reason is a code)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"portal link {code}")
        self.code = code


class UserRecord(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiTokenRecord(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PortalLinkRecord(Base):
    __tablename__ = "portal_links"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    opened_count: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: what the API checks roles against and the ledger names."""

    user_id: str
    handle: str
    role: Role
    token_id: str


@dataclass(frozen=True)
class TokenInfo:
    id: str
    handle: str
    label: str | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


@dataclass(frozen=True)
class PortalLink:
    token: str
    """``<id>.<signature>``: what the client's URL carries."""
    report_id: str
    expires_at: dt.datetime


def registered_users(database: Database) -> dict[str, bool]:
    """Each user's handle → whether they are enabled; empty before the user table exists.

    Read-only, and needs no keys: the CLI checks the handle it is told to act as before
    the installation is opened. A SQLite file that does not exist yet is not created.
    """
    url = database.engine.url
    on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if on_disk and not Path(str(url.database)).exists():
        return {}
    try:
        if not inspect(database.engine).has_table(UserRecord.__tablename__):
            return {}
        with database.session() as session:
            rows = session.execute(select(UserRecord.handle, UserRecord.disabled_at)).all()
    except SQLAlchemyError as exc:
        raise AccessError(f"cannot read the user table: {exc.__class__.__name__}") from exc
    return {handle: disabled_at is None for handle, disabled_at in rows}


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class AccessStore:
    """Users, tokens and portal links, recorded in the installation's ledger."""

    def __init__(self, store: ReportStore) -> None:
        self.store = store
        self.database = store.database
        self._link_key = hmac.new(store.keys.index_key, b"quitus-portal-link-v1", hashlib.sha256).digest()

    # -- users -----------------------------------------------------------------------------

    def add_user(self, handle: str, role: Role, *, actor: str) -> str:
        if not HANDLE_PATTERN.fullmatch(handle):
            raise AccessError(
                "a handle is 3-64 lower-case letters, digits, '.', '_' or '-' (a staff identifier "
                "such as tech-042, not a person's name)"
            )
        shape = personal_identifier_kind(handle)
        if shape is not None:  # the handle names the user in visits and teams, in the ledger
            raise AccessError(
                f"this handle looks like {shape}: give a staff identifier such as tech-042 (the value "
                "is not repeated here)"
            )
        with self.database.session() as session:
            if session.scalar(select(UserRecord.id).where(UserRecord.handle == handle)) is not None:
                raise AccessError(f"user {handle} already exists")
            user_id = f"usr_{secrets.token_hex(8)}"
            session.add(UserRecord(id=user_id, handle=handle, role=role.value, created_at=utcnow()))
            self._record(session, LedgerStep.USER_ADD, actor, "added", {"user": user_id, "role": role.value})
        return user_id

    def disable_user(self, handle: str, *, actor: str) -> None:
        with self.database.session() as session:
            user = self._user(session, handle)
            if user.disabled_at is None:
                user.disabled_at = utcnow()
                self._record(session, LedgerStep.USER_DISABLE, actor, "disabled", {"user": user.id})

    def enabled_technicians(self, handles: Sequence[str]) -> list[str]:
        """Those of ``handles`` that are enabled technicians' accounts, in their order."""
        wanted = [h for h in dict.fromkeys(handles) if h]
        if not wanted:
            return []
        with self.store.database.session() as session:
            known = set(
                session.scalars(
                    select(UserRecord.handle).where(
                        UserRecord.handle.in_(wanted),
                        UserRecord.role == Role.TECHNICIAN.value,
                        UserRecord.disabled_at.is_(None),
                    )
                )
            )
        return [h for h in wanted if h in known]

    def users(self) -> list[UserRecord]:
        with self.database.session() as session:
            rows = list(session.scalars(select(UserRecord).order_by(UserRecord.handle)))
            session.expunge_all()
            return rows

    # -- tokens ----------------------------------------------------------------------------

    def create_token(
        self, handle: str, *, actor: str, label: str | None = None, expires_in: dt.timedelta | None = None
    ) -> tuple[str, str]:
        """A new token for ``handle``: returns (token id, secret). The secret is not kept."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = f"tok_{secrets.token_hex(8)}"
        now = utcnow()
        with self.database.session() as session:
            user = self._user(session, handle)
            if user.disabled_at is not None:
                raise AccessError(f"user {handle} is disabled")
            session.add(
                ApiTokenRecord(
                    id=token_id,
                    user_id=user.id,
                    token_hash=hash_token(secret),
                    label=label,
                    created_at=now,
                    expires_at=now + expires_in if expires_in else None,
                )
            )
            self._record(
                session,
                LedgerStep.TOKEN_CREATE,
                actor,
                "created",
                # With its hash: audit verify sees a row whose hash was replaced (another secret opens it).
                {"user": user.id, "token": token_id, "token_sha256": hash_token(secret)},
            )
        return token_id, secret

    def revoke_token(self, token_id: str, *, actor: str) -> bool:
        """Revoke a token; False when it was already revoked. Unknown ids raise."""
        with self.database.session() as session:
            token = session.get(ApiTokenRecord, token_id)
            if token is None:
                raise AccessError(f"no token {token_id} (see `quitus tokens list`)")
            if token.revoked_at is not None:
                return False
            token.revoked_at = utcnow()
            self._record(
                session, LedgerStep.TOKEN_REVOKE, actor, "revoked", {"user": token.user_id, "token": token_id}
            )
            return True

    def tokens(self, handle: str | None = None) -> list[TokenInfo]:
        query = select(ApiTokenRecord, UserRecord.handle).join(UserRecord).order_by(ApiTokenRecord.created_at)
        if handle is not None:
            query = query.where(UserRecord.handle == handle)
        with self.database.session() as session:
            return [
                TokenInfo(t.id, h, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at)
                for t, h in session.execute(query)
            ]

    def authenticate(self, secret: str, *, now: dt.datetime | None = None) -> Principal | None:
        """The principal of a valid token; None for an unknown, revoked or expired one."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 128:
            return None
        now = now or utcnow()
        with self.database.session() as session:
            row = session.execute(
                select(ApiTokenRecord, UserRecord)
                .join(UserRecord)
                .where(ApiTokenRecord.token_hash == hash_token(secret))
            ).first()
            if row is None:
                return None
            token, user = row
            if token.revoked_at is not None or user.disabled_at is not None:
                return None
            if token.expires_at is not None and _aware(token.expires_at) <= now:
                return None
            if token.last_used_at is None or now - _aware(token.last_used_at) > _LAST_USED_RESOLUTION:
                token.last_used_at = now
            return Principal(user.id, user.handle, Role(user.role), token.id)

    # -- client-portal links ---------------------------------------------------------------

    def create_portal_link(self, report_id: str, *, actor: str, valid_for: dt.timedelta) -> PortalLink:
        """An expiring link that shows one report to its client (no login)."""
        return self._add_portal_link(
            secrets.token_urlsafe(16), report_id, actor=actor, expires_at=utcnow() + valid_for
        )

    def _add_portal_link(
        self,
        link_id: str,
        report_id: str,
        *,
        actor: str,
        expires_at: dt.datetime,
        details: dict[str, str | int | list[str]] | None = None,
    ) -> PortalLink:
        with self.database.session() as session:
            if session.get(ReportRecord, report_id) is None:
                raise AccessError(f"no report {report_id}")
            session.add(
                PortalLinkRecord(
                    id=link_id,
                    report_id=report_id,
                    created_by=actor,
                    created_at=utcnow(),
                    expires_at=expires_at,
                )
            )
            session.flush()
            self._record(
                session,
                LedgerStep.PORTAL_LINK,
                actor,
                "created",
                {"link": link_id, **(details or {})},
                report_id=report_id,
            )
        return PortalLink(f"{link_id}.{self._sign(link_id)}", report_id, expires_at)

    def delivery_portal_link(
        self,
        report_id: str,
        *,
        actor: str,
        valid_for: dt.timedelta,
        channel: str,
        now: dt.datetime | None = None,
    ) -> PortalLink:
        """The link a delivery over ``channel`` gives its client: created once, reused by retries.

        Its id is derived from (report, channel, generation) with the link key, so that a retry
        finds it again without the token ever being stored: the token is rebuilt from the id.
        A link is reused while it is valid for more than half of ``valid_for``; once expired,
        revoked or nearly so, the next generation is created. Two workers creating the same one
        at once both get it (the primary key settles it).
        """
        now = now or utcnow()
        for generation in range(_MAX_DELIVERY_LINKS):
            link_id = self._delivery_link_id(report_id, channel, generation)
            with self.database.session() as session:
                link = session.get(PortalLinkRecord, link_id)
                if link is not None:
                    if link.report_id != report_id:  # pragma: no cover - an HMAC collision
                        raise AccessError("portal link id collision")
                    expires_at = _aware(link.expires_at)
                    if link.revoked_at is None and expires_at - now > valid_for / 2:
                        return PortalLink(f"{link_id}.{self._sign(link_id)}", report_id, expires_at)
                    continue
            try:
                return self._add_portal_link(
                    link_id, report_id, actor=actor, expires_at=now + valid_for, details={"for": channel}
                )
            except IntegrityError:
                continue  # created by another worker meanwhile: read it on the next turn
        raise AccessError(f"report {report_id}: too many {channel} portal links")

    def open_portal_link(self, token: str, *, now: dt.datetime | None = None) -> str:
        """The report id a portal link shows; raises :class:`PortalLinkError` with a code."""
        link_id, _, signature = token.partition(".")
        # Bytes, not str: compare_digest refuses a non-ASCII str with a TypeError.
        presented = signature.encode("utf-8", "surrogateescape")
        if not signature or not hmac.compare_digest(presented, self._sign(link_id).encode()):
            raise PortalLinkError("invalid")
        now = now or utcnow()
        with self.database.session() as session:
            link = session.get(PortalLinkRecord, link_id)
            if link is None:
                raise PortalLinkError("invalid")
            if link.revoked_at is not None:
                raise PortalLinkError("revoked")
            if _aware(link.expires_at) <= now:
                raise PortalLinkError("expired")
            session.execute(
                update(PortalLinkRecord)
                .where(PortalLinkRecord.id == link_id)
                .values(opened_count=PortalLinkRecord.opened_count + 1)
            )
            return link.report_id

    def revoke_portal_link(self, token: str, *, actor: str) -> None:
        link_id = token.partition(".")[0]
        with self.database.session() as session:
            link = session.get(PortalLinkRecord, link_id)
            if link is None:
                raise PortalLinkError("invalid")
            if link.revoked_at is None:
                link.revoked_at = utcnow()
                self._record(
                    session,
                    LedgerStep.PORTAL_REVOKE,
                    actor,
                    "revoked",
                    {"link": link_id},
                    report_id=link.report_id,
                )

    def portal_link_token(self, link_id: str) -> str:
        """The token of link ``link_id`` (its id and signature), as its creation gave it: an
        API request replayed under its ``Idempotency-Key`` answers the same link again."""
        return f"{link_id}.{self._sign(link_id)}"

    def _sign(self, link_id: str) -> str:
        return hmac.new(self._link_key, link_id.encode(), hashlib.sha256).hexdigest()[:32]

    def _delivery_link_id(self, report_id: str, channel: str, generation: int) -> str:
        """``d`` and 22 URL-safe characters: unguessable without the link key, like a random id."""
        seed = f"delivery\0{report_id}\0{channel}\0{generation}".encode()
        digest = hmac.new(self._link_key, seed, hashlib.sha256).digest()
        return "d" + base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _user(session: Session, handle: str) -> UserRecord:
        user = session.scalar(select(UserRecord).where(UserRecord.handle == handle))
        if user is None:
            raise AccessError(f"no user {handle} (see `quitus users list`)")
        return user

    def _record(
        self,
        session: Session,
        step: LedgerStep,
        actor: str,
        outcome: str,
        details: dict[str, str | int | list[str]],
        *,
        report_id: str | None = None,
    ) -> None:
        self.store.ledger.append(
            session,
            [LedgerEvent(step=step, actor=actor, outcome=outcome, report_id=report_id, details=details)],
        )
