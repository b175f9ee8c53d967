"""Keys that cannot fork a home: the checks run before anything is written.

A home (``QUITUS_HOME``: the database and the encrypted blobs) can only be read with the
keys that wrote it. Three mistakes used to go unnoticed until the data was lost:

* **a lost key folder** — ``quitus init`` made new keys beside the old data, which no
  key could read any more (and every checkpoint looked tampered with);
* **a wrong but well-formed KEK** (another folder, a wrong ``QUITUS_KEK``) — accepted,
  so new reports were wrapped with a key that was not backed up with the others;
* **a missing or damaged key store** — an "internal error".

:func:`open_keys` (every command, the API, the flows) and :func:`refuse_new_keys_for_data`
(``quitus init``) check, before the first write:

1. the key files exist, else — for a home that holds data — "restore your keys backup"
   (``quitus init`` is only for a new home);
2. each key matches the folder's ``fingerprints.json`` (:mod:`storage.keys`);
3. the key store exists and reads, and when the home has reports it holds keys;
4. every KEK that wraps a live data key (``data_keys.kek_id``) is at hand: the current
   KEK or a retired one. Otherwise the KEK is not the one that wrote this home;
5. the ledger key signs as the verifier key published in the home (``ledger.vkey``).

Any failure raises a :class:`~storage.errors.KeyStoreError` (or
:class:`~storage.errors.DatabaseError`) whose message says what to restore.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from storage.database import Database
from storage.errors import DatabaseError, ForeignKeysError, KeysMissingError, KeyStoreError
from storage.keys import KEY_FILES, RECOVERY_HINT, KeyMaterial, load_key_material
from storage.keystore import DataKeyStore, keystore_exists, sqlite_file
from storage.models import LedgerEntryRecord, ReportRecord

__all__ = ["check_published_ledger_key", "home_has_data", "open_keys", "refuse_new_keys_for_data"]


def home_has_data(database: Database) -> bool:
    """Whether the home's database holds a report or a ledger entry (never creates a file)."""
    path = sqlite_file(database.url)
    if path is not None and (not path.exists() or path.stat().st_size == 0):
        return False
    try:
        tables = set(inspect(database.engine).get_table_names())
        if not {ReportRecord.__tablename__, LedgerEntryRecord.__tablename__} <= tables:
            return False
        with database.session() as session:
            return (
                session.scalar(select(ReportRecord.id).limit(1)) is not None
                or session.scalar(select(LedgerEntryRecord.seq).limit(1)) is not None
            )
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot read the home's database: {exc.__class__.__name__}") from exc


def open_keys(
    key_dir: Path, keystore_url: str, database: Database, *, kek_override: str | None = None
) -> tuple[KeyMaterial, DataKeyStore]:
    """The keys and the data-key store of this home, checked against it (see the module doc)."""
    has_data = home_has_data(database)
    try:
        keys = load_key_material(key_dir, kek_override=kek_override)
    except KeysMissingError as exc:
        if has_data:
            missing = _missing_keys(key_dir, kek_override, exc)
            raise KeysMissingError(
                f"this home holds data but its keys are missing ({missing}): "
                f"{RECOVERY_HINT} into {key_dir}. New keys could not read this home, so `quitus init` "
                "refuses to make them"
            ) from None
        raise KeysMissingError(f"{exc}. For a new installation, run `quitus init`") from None
    keystore = DataKeyStore(keystore_url, keys)
    try:
        _check_keystore(keystore, database, has_data)
    except BaseException:
        keystore.dispose()
        raise
    return keys, keystore


def _missing_keys(key_dir: Path, kek_override: str | None, exc: KeysMissingError) -> str:
    if not key_dir.is_dir():
        return f"the key folder {key_dir} does not exist"
    names = [n for n in KEY_FILES if not (key_dir / n).exists() and not (n == "kek.key" and kek_override)]
    if not names:
        return str(exc).partition(":")[0]
    verb = " does not exist" if len(names) == 1 else " do not exist"
    return ", ".join(str(key_dir / n) for n in names) + verb


def _check_keystore(keystore: DataKeyStore, database: Database, has_data: bool) -> None:
    if not keystore.exists():
        if has_data:
            raise KeysMissingError(f"the data-key store {keystore.where} does not exist: {RECOVERY_HINT}")
        return  # a new home: `quitus init` creates it
    stored = keystore.check_readable()
    if not stored and has_data and _has_reports(database):
        raise ForeignKeysError(
            f"the data-key store {keystore.where} holds no key, but this home has reports: it is not "
            f"the key store that wrote this home; {RECOVERY_HINT}"
        )
    available = {keystore.keys.kek_id, *(k.kek_id for k in keystore.keys.other_keks)}
    unknown = keystore.live_kek_ids() - available
    if unknown:
        raise ForeignKeysError(
            f"the key-encryption key in use ({keystore.keys.kek_id}) is not the key that wrote this home: "
            f"its data keys are wrapped by {', '.join(sorted(unknown))}; {RECOVERY_HINT} "
            "(or point QUITUS_KEY_DIR / QUITUS_KEK at the right key)"
        )


def _has_reports(database: Database) -> bool:
    with database.session() as session:
        return session.scalar(select(ReportRecord.id).limit(1)) is not None


def check_published_ledger_key(published: Path, signer_verifier_key: str) -> None:
    """The ledger key must sign as the verifier key the home published (``ledger.vkey``)."""
    try:
        expected = published.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return  # a home of an older version, or not initialized yet
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyStoreError(f"cannot read {published}: {exc.__class__.__name__}") from exc
    if expected != signer_verifier_key.strip():
        raise ForeignKeysError(
            f"the ledger key is not the key that wrote this home (its checkpoints are signed for "
            f"{published}): {RECOVERY_HINT}"
        )


def refuse_new_keys_for_data(
    key_dir: Path, keystore_url: str, database: Database, *, kek_override: str | None = None
) -> None:
    """For ``quitus init``: refuse to make keys for a home that holds data.

    A home with data whose keys are all there is checked as :func:`open_keys` does (``init``
    is then a safe re-run: migrations, re-index). One whose keys or key store are missing
    is refused before anything is created: new keys would fork it.
    """
    if not home_has_data(database):
        return
    missing = [name for name in KEY_FILES if not (key_dir / name).exists()]
    if kek_override:
        missing = [name for name in missing if name != "kek.key"]
    if not keystore_exists(keystore_url):
        path = sqlite_file(keystore_url)
        missing.append(path.name if path is not None and path.parent == key_dir else "the data-key store")
    if missing:
        raise KeysMissingError(
            f"`quitus init` will not create keys for this home: it holds data, and {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing from {key_dir}; new keys could not read "
            f"it: {RECOVERY_HINT} into {key_dir}, then run `quitus init` again (or any command)"
        )
    _, opened = open_keys(key_dir, keystore_url, database, kek_override=kek_override)
    opened.dispose()
