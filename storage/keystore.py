"""The data-key store: one wrapped AES-256 key per report, apart from the data.

It lives in its own database (by default ``$QUITUS_KEY_DIR/datakeys.db``), not in the
main database, so that a backup of the data cannot bring back a key that was
destroyed. Destroying a report's key (:meth:`DataKeyStore.destroy`) crypto-shreds the
report: every copy of its ciphertext, backups included, becomes noise.

SQLite runs here with ``secure_delete`` (freed pages are zeroed) and a rollback
journal (no WAL keeping old page versions), so a destroyed key does not linger in
the file. On PostgreSQL an update leaves the old row version behind:
:meth:`DataKeyStore.scrub` vacuums the table so that no row version holds a destroyed
key (a retention run does it once, after its last batch). PostgreSQL zeroes neither
the space a vacuum frees nor its write-ahead log, though: bytes of a destroyed wrapped
key can stay there until overwritten, useless without the key-encryption key that
wrapped them (rotate it and destroy the retired one, as for backups of this store).

Each row records which KEK wrapped it (``kek_id``, the KEK's fingerprint): before anything
is written, :func:`storage.key_safety.open_keys` checks that the KEKs at hand are the ones
that wrapped the live keys. A SQLite key store is created with mode 0600 (``os.open``,
whatever the umask) and an existing one is made 0600 again; a missing or damaged one is
a :class:`~storage.errors.KeysMissingError` or :class:`~storage.errors.DatabaseError`
saying to restore the keys backup, never an internal error.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    LargeBinary,
    String,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from storage.database import is_one_of
from storage.errors import DatabaseError, DataKeyMissingError, KeyDestroyedError, KeysMissingError
from storage.keys import KEY_BYTES, RECOVERY_HINT, DataKey, KeyEncryptionKey, KeyMaterial, make_private

__all__ = ["DataKeyStore", "KeyRecord", "keystore_exists", "sqlite_file"]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _KeyBase(DeclarativeBase):
    pass


class KeyRecord(_KeyBase):
    """A report's data key, wrapped by a key-encryption key."""

    __tablename__ = "data_keys"

    report_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    """NULL once destroyed."""
    kek_id: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    destroyed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DataKeyStore:
    """Create, fetch, destroy and re-wrap per-report data keys."""

    def __init__(self, url: str, keys: KeyMaterial) -> None:
        self.url = url
        self.keys = keys
        try:
            self.engine = create_engine(url, hide_parameters=True, pool_pre_ping=not url.startswith("sqlite"))
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise DatabaseError(f"cannot use the key store URL: {exc}") from exc
        self.path = sqlite_file(url)
        """The SQLite file, for a SQLite key store (None: a server database)."""
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _tune_sqlite)
            if self.path is not None and self.path.exists():
                make_private(self.path)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._cache: dict[str, DataKey] = {}

    @property
    def where(self) -> str:
        """The store, for messages: its file, or ``QUITUS_KEYSTORE_URL`` (never the URL: a password)."""
        return str(self.path) if self.path is not None else "the key store (QUITUS_KEYSTORE_URL)"

    def exists(self) -> bool:
        """Whether the store was created (for SQLite, without creating an empty file)."""
        if self.path is not None:
            return self.path.exists()
        try:
            return inspect(self.engine).has_table(KeyRecord.__tablename__)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot reach {self.where}: {exc.__class__.__name__}") from exc

    def ensure_schema(self) -> None:
        if self.path is not None and not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            _KeyBase.metadata.create_all(self.engine)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot create the key store: {exc.__class__.__name__}") from exc

    def check_readable(self) -> int:
        """The number of data keys (destroyed ones too); raises when the store is missing or damaged.

        A missing SQLite file is never created here (connecting would create an empty one).
        """
        if not self.exists():
            raise KeysMissingError(f"the data-key store {self.where} does not exist: {RECOVERY_HINT}")
        try:
            with self._session() as session:
                return int(session.scalar(select(func.count()).select_from(KeyRecord)) or 0)
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"the data-key store {self.where} cannot be read ({exc.__class__.__name__}): it is "
                f"truncated, damaged or not a quitus key store; {RECOVERY_HINT}"
            ) from exc

    def live_kek_ids(self) -> set[str]:
        """The KEKs that wrap at least one live (not destroyed) data key."""
        with self._session() as session:
            rows = session.scalars(
                select(KeyRecord.kek_id).where(KeyRecord.wrapped_key.is_not(None)).distinct()
            )
            return {kek_id for kek_id in rows if kek_id is not None}

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def create(self, report_id: str) -> DataKey:
        """A fresh data key for a new report, stored wrapped before it is used."""
        key = secrets.token_bytes(KEY_BYTES)
        wrapped = self.keys.kek.wrap(report_id, key)
        with self._session() as session:
            session.add(KeyRecord(report_id=report_id, wrapped_key=wrapped, kek_id=self.keys.kek_id))
        data_key = DataKey(report_id, key)
        self._cache[report_id] = data_key
        return data_key

    def get(self, report_id: str) -> DataKey:
        cached = self._cache.get(report_id)
        if cached is not None:
            return cached
        with self._session() as session:
            record = session.get(KeyRecord, report_id)
        if record is None:
            raise DataKeyMissingError(
                f"no data key for report {report_id} in the key store: restore the key store from "
                "your keys backup (docs/operations.md, 'Keys: loss and recovery')"
            )
        if record.wrapped_key is None or record.kek_id is None:
            raise KeyDestroyedError(
                f"report {report_id}'s data was erased on {record.destroyed_at:%Y-%m-%d} (key destroyed)"
            )
        data_key = DataKey(report_id, self.keys.kek_for(record.kek_id).unwrap(report_id, record.wrapped_key))
        if len(self._cache) > 1024:
            self._cache.clear()
        self._cache[report_id] = data_key
        return data_key

    def is_destroyed(self, report_id: str) -> bool:
        with self._session() as session:
            record = session.get(KeyRecord, report_id)
        return record is not None and record.wrapped_key is None

    def destroy(self, report_id: str) -> bool:
        """Destroy the key for good. Returns False when it was already destroyed (or never existed)."""
        return bool(self.destroy_many([report_id]))

    def destroy_many(self, report_ids: Sequence[str], *, scrub: bool = True) -> set[str]:
        """Destroy these keys in one transaction; returns the ids destroyed now (not before).

        ``scrub=False`` leaves the old row versions to a later :meth:`scrub`: a run that
        destroys keys batch after batch scrubs once, at its end.
        """
        for report_id in report_ids:
            self._cache.pop(report_id, None)
        with self._session() as session:
            live = set(
                session.scalars(
                    update(KeyRecord)
                    .where(
                        is_one_of(KeyRecord.report_id, list(report_ids), self.engine.dialect.name),
                        KeyRecord.wrapped_key.is_not(None),
                    )
                    .values(wrapped_key=None, kek_id=None, destroyed_at=_utcnow())
                    .returning(KeyRecord.report_id),
                    execution_options={"synchronize_session": False},
                )
            )
        if live and scrub:
            self.scrub()
        return live

    def rewrap(self, new_kek: KeyEncryptionKey, *, batch_size: int = 500) -> int:
        """Re-wrap every live key under ``new_kek``; resumable (already re-wrapped keys are skipped)."""
        done = 0
        while True:
            with self._session() as session:
                batch = list(
                    session.scalars(
                        select(KeyRecord)
                        .where(KeyRecord.wrapped_key.is_not(None), KeyRecord.kek_id != new_kek.kek_id)
                        .limit(batch_size)
                    )
                )
                for record in batch:
                    assert record.wrapped_key is not None
                    assert record.kek_id is not None
                    plain = self.keys.kek_for(record.kek_id).unwrap(record.report_id, record.wrapped_key)
                    record.wrapped_key = new_kek.wrap(record.report_id, plain)
                    record.kek_id = new_kek.kek_id
            done += len(batch)
            if len(batch) < batch_size:
                self.scrub()
                return done

    def usage(self) -> dict[str | None, int]:
        """Number of keys per KEK id (``None``: destroyed keys)."""
        with self._session() as session:
            rows = session.execute(select(KeyRecord.kek_id, func.count()).group_by(KeyRecord.kek_id))
            return {kek_id: count for kek_id, count in rows}  # noqa: C416 - rows are Row objects

    def scrub(self) -> None:
        """Make sure overwritten key bytes do not survive in the database files.

        SQLite's ``secure_delete`` zeroes them as each transaction commits: nothing to do.
        PostgreSQL keeps the old row versions until a VACUUM prunes them; a VACUUM reads
        the whole key table and its indexes, so it is costly against a small batch.
        """
        if self.engine.dialect.name != "postgresql":
            return
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM data_keys"))
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"destroyed keys may linger in the key store until it is vacuumed: {exc.__class__.__name__}"
            ) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def keystore_exists(url: str) -> bool:
    """Whether the key store at ``url`` was created (a SQLite file is never created here)."""
    path = sqlite_file(url)
    if path is not None:
        return path.exists()
    try:
        engine = create_engine(url, hide_parameters=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise DatabaseError(f"cannot use the key store URL: {exc.__class__.__name__}") from exc
    try:
        return inspect(engine).has_table(KeyRecord.__tablename__)
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"cannot reach the key store (QUITUS_KEYSTORE_URL): {exc.__class__.__name__}"
        ) from exc
    finally:
        engine.dispose()


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database, or an in-memory one)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=DELETE")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
