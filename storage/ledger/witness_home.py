"""A witness's folder: its key, the logs it follows, and the latest checkpoint it cosigned of each.

::

    witness.key    the Ed25519 private key, base64 (mode 0600)
    witness.vkey   its verifier key, <name>+<key id>+<base64(0x04 || public key)>: publish it
    witness-public.pem  its public key for openssl (an auditor's verify-consistency.sh --witness-pem)
    logs.txt       the ledger verifier keys it follows, one per line (origin = the key's name)
    state.json     per origin: size, root hash and time of the latest checkpoint cosigned
    state.lock     the lock every submission holds from reading state.json to replacing it

:meth:`WitnessHome.add_checkpoint` reads the state, decides (``check_submission``), writes
the new state to a temporary file, ``fsync``\\ s it, renames it over ``state.json`` and
``fsync``\\ s the folder — all under an exclusive ``flock`` — and only then cosigns. So a
crash leaves the old state or the new one, never a mix; a cosignature is never returned
for a size the witness could forget; and two requests (threads or processes) cannot both
pass the check against the same old size, so none can roll the state back.

The state holds checkpoint sizes and hashes only: nothing about anyone.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from storage.keys import read_key_file, write_secret_file
from storage.ledger.checkpoint import NoteVerifier, parse_verifier_key
from storage.ledger.errors import KeyFormatError
from storage.ledger.witness import (
    Cosigner,
    WitnessedCheckpoint,
    WitnessError,
    check_submission,
    cosigner_verifier_key,
    parse_add_checkpoint,
    parse_cosigner_key,
)

__all__ = ["PEM_FILE", "STATE_FORMAT", "WitnessHome", "public_key_fingerprint"]

STATE_FORMAT = "quitus-witness-state/1"
_KEY_FILE = "witness.key"
_VKEY_FILE = "witness.vkey"
PEM_FILE = "witness-public.pem"
_LOGS_FILE = "logs.txt"
_STATE_FILE = "state.json"
_LOCK_FILE = "state.lock"


def public_key_fingerprint(public_key: bytes) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, in hex: what
    ``openssl pkey -pubin -in key.pem -outform DER | sha256sum`` prints."""
    der = Ed25519PublicKey.from_public_bytes(public_key).public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


class WitnessHome:
    """The folder of one witness (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"WitnessHome({str(self.directory)!r})"

    # -- set up -----------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path, name: str) -> WitnessHome:
        """A new witness named ``name`` with a fresh key; refuses a folder that already holds one."""
        home = cls(directory)
        if (directory / _KEY_FILE).exists():
            raise WitnessError(f"{directory} already holds a witness key: a witness keeps its key for good")
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        vkey = cosigner_verifier_key(name, public)  # validates the name before anything is written
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_secret_file(directory / _KEY_FILE, raw)
        _write_atomically(directory / _VKEY_FILE, vkey + "\n")
        pem = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        _write_atomically(directory / PEM_FILE, pem.decode("ascii"))
        if not (directory / _LOGS_FILE).exists():
            _write_atomically(directory / _LOGS_FILE, "")
        if not (directory / _STATE_FILE).exists():
            _write_atomically(directory / _STATE_FILE, _state_text({}))
        return home

    def cosigner(self) -> Cosigner:
        """The witness's key under its name; its verifier key file must match it."""
        raw = read_key_file(self.directory / _KEY_FILE)
        published = parse_cosigner_key(self.vkey())
        cosigner = Cosigner(published.name, Ed25519PrivateKey.from_private_bytes(raw))
        if cosigner.public_key != published.public_key:
            raise KeyFormatError(f"{self.directory / _VKEY_FILE} is not the verifier key of {_KEY_FILE}")
        return cosigner

    def vkey(self) -> str:
        try:
            return (self.directory / _VKEY_FILE).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise WitnessError(
                f"{self.directory} is not a witness folder (`quitus witness init` first): {exc}"
            ) from exc

    def add_log(self, ledger_vkey: str) -> tuple[NoteVerifier, bool]:
        """Follow the ledger of ``ledger_vkey``; returns its key and whether it was new.

        One key per origin: a second key for a followed origin is refused (a log changing
        its key is a new log to whoever checks it)."""
        verifier = parse_verifier_key(ledger_vkey.strip())
        with self._locked():
            logs = self.logs()
            known = logs.get(verifier.name)
            if known is not None:
                if known != verifier:
                    raise WitnessError(f"this witness already follows {verifier.name!r} under another key")
                return verifier, False
            lines = [*(self._log_lines()), ledger_vkey.strip()]
            _write_atomically(self.directory / _LOGS_FILE, "".join(f"{line}\n" for line in lines))
        return verifier, True

    def logs(self) -> dict[str, NoteVerifier]:
        """The logs this witness follows, by origin."""
        return {v.name: v for v in (parse_verifier_key(line) for line in self._log_lines())}

    def _log_lines(self) -> list[str]:
        try:
            text = (self.directory / _LOGS_FILE).read_text(encoding="ascii")
        except FileNotFoundError:
            return []
        return [line.strip() for line in text.splitlines() if line.strip()]

    # -- witnessing -------------------------------------------------------------------------

    def latest(self) -> dict[str, WitnessedCheckpoint]:
        """The latest checkpoint cosigned, per origin (as persisted)."""
        return _read_state(self.directory / _STATE_FILE)

    def add_checkpoint(self, body: bytes, *, now: dt.datetime | None = None) -> str:
        """Check a submission, persist it, then return the cosignature line (tlog-witness).

        Raises :class:`~storage.ledger.witness.WitnessRefusedError` with the protocol's status."""
        request = parse_add_checkpoint(body)
        cosigner = self.cosigner()
        timestamp = int((now or dt.datetime.now(dt.UTC)).timestamp())
        with self._locked():
            state = self.latest()
            checkpoint, text = check_submission(request, self.logs(), state.get)
            previous = state.get(checkpoint.origin)
            if previous is None or checkpoint.size > previous.size:
                state[checkpoint.origin] = WitnessedCheckpoint(
                    checkpoint.size, checkpoint.root_hash, timestamp
                )
                _write_atomically(self.directory / _STATE_FILE, _state_text(state))
        return cosigner.cosign(text, timestamp)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # A fresh open per call: flock locks of two descriptors exclude each other, in one
        # process (threads of the server) as across processes.
        descriptor = os.open(self.directory / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)


def _state_text(state: dict[str, WitnessedCheckpoint]) -> str:
    logs = {
        origin: {
            "size": seen.size,
            "root": base64.b64encode(seen.root_hash).decode("ascii"),
            "cosigned_at": seen.timestamp,
        }
        for origin, seen in sorted(state.items())
    }
    return json.dumps({"format": STATE_FORMAT, "logs": logs}, indent=2) + "\n"


def _read_state(path: Path) -> dict[str, WitnessedCheckpoint]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fmt = data.get("format")
        state = {
            str(origin): WitnessedCheckpoint(
                int(seen["size"]), base64.b64decode(seen["root"], validate=True), int(seen["cosigned_at"])
            )
            for origin, seen in data["logs"].items()
        }
    except FileNotFoundError:
        raise WitnessError(f"{path} is missing: `quitus witness init` creates it") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # Never start afresh from a damaged state: that would forget what was cosigned.
        raise WitnessError(f"{path} is damaged ({exc}); restore it from a backup") from exc
    if fmt != STATE_FORMAT:
        raise WitnessError(f"{path} is not a witness state ({STATE_FORMAT}); restore it from a backup")
    return state


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text``: a temporary file, fsync, rename, fsync of the folder."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    temporary.replace(path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
