"""Database connection, SQLite tuning and Alembic migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    SQLColumnExpression,
    String,
    any_,
    create_engine,
    event,
    inspect,
    literal,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import DatabaseError

__all__ = ["Database", "is_one_of", "lock_for_write", "sqlite_url"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def is_one_of(column: SQLColumnExpression[str], values: list[str], dialect: str) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(array)``: one parameter, where psycopg
    would parse a statement of hundreds of placeholders again at every execution (it caches
    statements of at most 50 parameters)."""
    if dialect == "postgresql":
        return column == any_(literal(values, ARRAY(String)))
    return column.in_(values)


class Database:
    """An engine plus a session factory; :meth:`upgrade` brings the schema up to date."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        try:
            self.engine: Engine = create_engine(url, echo=echo, hide_parameters=True, **_engine_options(url))
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise DatabaseError(f"cannot use database URL {_safe(url)}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _tune_sqlite)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> None:
        """Apply every pending Alembic migration (idempotent)."""
        # Imported here: alembic costs a third of a second that only a migration needs.
        from alembic import command  # noqa: PLC0415
        from alembic.config import Config  # noqa: PLC0415

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"cannot migrate database {_safe(self.url)}: {exc.__class__.__name__}: "
                f"{exc.orig if hasattr(exc, 'orig') else exc}"
            ) from exc

    def is_initialized(self) -> bool:
        try:
            return inspect(self.engine).has_table("reports")
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot reach database {_safe(self.url)}: {exc}") from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _engine_options(url: str) -> dict[str, Any]:
    # hide_parameters (above): bound values may be personal data and must never reach
    # an exception message or a log line.
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return "<unparseable URL>"


def lock_for_write(session: Session) -> None:
    """Take the database's write lock now, before reading what the transaction will change.

    On SQLite the driver begins a transaction only at the first write, so a ``SELECT … FOR
    UPDATE`` (a no-op there) reads outside any transaction: two writers could both read the
    same state (the ledger's head, a report's row) and both act on it. ``BEGIN IMMEDIATE``
    takes the write lock first; other writers wait for the commit (``busy_timeout``) and then
    read what it wrote. On PostgreSQL the row locks of ``FOR UPDATE`` do this, and nothing
    is done here.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
