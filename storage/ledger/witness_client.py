"""The ledger's side of witnessing: submit a checkpoint, keep the cosigned note, check it later.

:func:`submit_checkpoint` signs (or reuses) the ledger's checkpoint of its current size and
sends it to the witness (``POST <url>/add-checkpoint``, C2SP tlog-witness) with a
consistency proof from the size the witness last cosigned. That size is taken from the
last cosigned record of ``checkpoints.log``; when the witness knows better (another host
submitted, a record was lost) it answers 409 with its size and the proof is sent again
from there, once. The cosignature is verified under the configured witness key before the
cosigned note — the ledger's signed note plus the witness's line — is appended to
``checkpoints.log`` (:mod:`storage.ledger.anchors`): the one place cosigned checkpoints are
kept, where ``audit verify`` already proves every record consistent with the tree.

Every failure raises a :class:`~storage.ledger.witness.WitnessError` whose message names
the witness and what it said, never anything about a report: checkpoints hold sizes and
hashes only.

For verifiers: :func:`latest_cosigned_note` (what a proof bundle carries) and
:func:`witness_problems` (what ``audit verify --witness-key`` reports).
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from storage.ledger.checkpoint import Checkpoint, open_checkpoint
from storage.ledger.errors import LedgerError, NoteError
from storage.ledger.store import Ledger
from storage.ledger.witness import (
    AddCheckpointRequest,
    Cosignature,
    CosignatureError,
    CosignerKey,
    WitnessError,
    WitnessRefusedError,
    WitnessUnavailableError,
    parse_cosigner_key,
    verify_cosignatures,
    with_cosignatures,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "CosignedCheckpoint",
    "WitnessEndpoint",
    "cosigned_checkpoints",
    "latest_cosigned_note",
    "submit_checkpoint",
    "witness_problems",
]

DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for the witness (connect and answer)."""

_MAX_RESPONSE_BYTES = 64 * 1024
_SIZE_BODY = re.compile(r"(0|[1-9][0-9]{0,18})\n")
_REASONS = {
    403: "the witness does not accept the ledger's signature on the checkpoint (is it following this "
    "ledger's key? `quitus witness add-log`)",
    404: 'the witness does not follow this ledger (`quitus witness add-log --vkey "$(cat ledger.vkey)"` '
    "on the witness)",
    422: "the witness found the ledger NOT consistent with the checkpoint it cosigned before: "
    "the ledger's history was rewritten (a fork)",
    400: "the witness could not read the request",
}


@dataclass(frozen=True)
class WitnessEndpoint:
    """Where the witness listens and the key its cosignatures must verify under."""

    url: str
    """Its submission prefix, e.g. ``https://witness.example.fr``; requests go to ``<url>/add-checkpoint``."""
    key: CosignerKey
    """Its verifier key (``QUITUS_WITNESS_KEY``)."""
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_config(cls, url: str, vkey: str, *, timeout: float = DEFAULT_TIMEOUT) -> WitnessEndpoint:
        if not url.startswith(("http://", "https://")):
            raise WitnessError(f"the witness URL must start with http:// or https://, got {url!r}")
        return cls(url.rstrip("/"), parse_cosigner_key(vkey), timeout)


@dataclass(frozen=True)
class CosignedCheckpoint:
    """A checkpoint of the ledger and the cosignatures it carries."""

    checkpoint: Checkpoint
    note: str
    """The signed note with its cosignature lines, as remembered in ``checkpoints.log``."""
    cosignatures: tuple[Cosignature, ...]

    @property
    def size(self) -> int:
        return self.checkpoint.size


def submit_checkpoint(ledger: Ledger, witness: WitnessEndpoint) -> CosignedCheckpoint:
    """Have the ledger's current checkpoint cosigned by ``witness`` and remember the cosigned note.

    Raises :class:`WitnessUnavailableError` (unreachable, timeout, an answer outside the
    protocol), :class:`WitnessRefusedError` (the witness refused: its status and why —
    409 a rollback or fork, 422 a fork, 403/404 not set up for this ledger) and
    :class:`CosignatureError` (the answer does not verify under the witness key).
    """
    if ledger.anchors is None:
        raise WitnessError("this ledger has no checkpoints.log to keep the cosigned checkpoint in")
    size, note = ledger.checkpoint()
    known = [c for c in cosigned_checkpoints(ledger, [witness.key]) if c.size <= size]
    old = known[-1].size if known else 0
    for attempt in (1, 2):
        proof = ledger.consistency_proof(old, size) if 0 < old < size else []
        status, content_type, data = _post(witness, AddCheckpointRequest(old, tuple(proof), note).body())
        if status == 200:
            return _remember(ledger, witness, note, data)
        if status != 409 or content_type.split(";")[0].strip() != "text/x.tlog.size":
            raise WitnessRefusedError(status, _refusal(witness, status, data))
        match = _SIZE_BODY.fullmatch(data.decode("ascii", errors="replace"))
        if match is None:
            raise WitnessUnavailableError(f"witness {witness.url}: 409 without a tree size in its body")
        witnessed = int(match.group(1))
        if witnessed > size:
            raise WitnessRefusedError(
                409,
                f"witness {witness.key.name}: it cosigned a checkpoint of {witnessed} entries of this "
                f"ledger, which holds {size}: the ledger was truncated or rolled back (or another "
                "installation signs with its key)",
                known_size=witnessed,
            )
        if attempt == 2 or witnessed == old:
            raise WitnessRefusedError(
                409,
                f"witness {witness.key.name}: it cosigned another tree of {witnessed} entries than this "
                "ledger's: the ledger's history was rewritten (a fork)",
                known_size=witnessed,
            )
        old = witnessed
    raise AssertionError("unreachable")  # pragma: no cover


def cosigned_checkpoints(
    ledger: Ledger, witness_keys: Sequence[str | CosignerKey]
) -> list[CosignedCheckpoint]:
    """The records of ``checkpoints.log`` signed by the ledger and cosigned by one of
    ``witness_keys``, oldest first. Records whose cosignature does not verify are left out
    (:func:`witness_problems` names them)."""
    found = []
    for _line, checkpoint, note in _remembered(ledger):
        try:
            cosignatures = verify_cosignatures(note, witness_keys)
        except (WitnessError, NoteError):
            continue
        if cosignatures:
            found.append(CosignedCheckpoint(checkpoint, note, tuple(cosignatures)))
    return found


def latest_cosigned_note(ledger: Ledger, witness_keys: Sequence[str], *, at_least: int = 0) -> str | None:
    """The cosigned note of the largest checkpoint of at least ``at_least`` entries that one of
    ``witness_keys`` cosigned (from ``checkpoints.log``), or ``None`` when there is none.

    The note is the ledger's signed note followed by the witness's cosignature line(s):
    ``open_checkpoint`` with the ledger key and :func:`~storage.ledger.witness.verify_cosignatures`
    with the witness key both verify it."""
    best: CosignedCheckpoint | None = None
    for cosigned in cosigned_checkpoints(ledger, witness_keys):
        if cosigned.size >= at_least and (best is None or cosigned.size >= best.size):
            best = cosigned
    return None if best is None else best.note


def witness_problems(ledger: Ledger, witness_keys: Sequence[str]) -> list[str]:
    """What ``audit verify --witness-key`` reports: empty when the latest checkpoint remembered
    in ``checkpoints.log`` carries a valid cosignature by each of ``witness_keys``.

    Also reported: a malformed witness key, and any record whose cosignature by one of these
    keys does not verify (forged or altered). That every remembered checkpoint is consistent
    with the ledger is :func:`~storage.ledger.verify.verify_ledger`'s check."""
    keys: list[CosignerKey] = []
    problems: list[str] = []
    for vkey in witness_keys:
        try:
            keys.append(parse_cosigner_key(vkey))
        except LedgerError as exc:
            problems.append(f"witness key: {exc}")
    if problems or not keys:
        return problems or ["no witness key given"]
    where = ledger.anchors.path if ledger.anchors is not None else "checkpoints.log"
    remembered = _remembered(ledger)
    if not remembered:
        return [f"no checkpoint of this ledger is remembered in {where}: nothing was witnessed"]
    by_key: dict[CosignerKey, list[tuple[int, Cosignature]]] = {key: [] for key in keys}
    for line, checkpoint, note in remembered:
        for key in keys:
            try:
                by_key[key] += [(checkpoint.size, c) for c in verify_cosignatures(note, [key])]
            except (WitnessError, NoteError) as exc:
                problems.append(f"{where}, line {line}: {exc}")
    latest = max(checkpoint.size for _, checkpoint, _ in remembered)
    for key, cosigned in by_key.items():
        if any(size == latest for size, _ in cosigned):
            continue
        if not cosigned:
            problems.append(
                f"witness {key.name} cosigned no checkpoint of this ledger ({where}): run "
                "`quitus audit checkpoint --witness` (QUITUS_WITNESS_URL, QUITUS_WITNESS_KEY)"
            )
            continue
        size, last = max(cosigned, key=lambda item: (item[0], item[1].timestamp))
        when = dt.datetime.fromtimestamp(last.timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        problems.append(
            f"the latest checkpoint ({latest} entries) is not cosigned by witness {key.name}: the latest "
            f"it cosigned holds {size} entries ({when}); run `quitus audit checkpoint --witness`"
        )
    return problems


# -- internals ----------------------------------------------------------------------------------


def _remembered(ledger: Ledger) -> list[tuple[int, Checkpoint, str]]:
    """``(line, checkpoint, note)`` of each record of ``checkpoints.log`` signed by the ledger."""
    if ledger.anchors is None:
        return []
    verifier = ledger.signer.verifier_key()
    records, _damaged = ledger.anchors.records()
    found = []
    for record in records:
        try:
            checkpoint, _ = open_checkpoint(record.note, [verifier])
        except LedgerError:
            continue  # `audit verify` reports what is not the ledger's
        if checkpoint.origin in ledger.origins:
            found.append((record.line, checkpoint, record.note))
    return found


def _post(witness: WitnessEndpoint, body: bytes) -> tuple[int, str, bytes]:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked by WitnessEndpoint
        witness.url + "/add-checkpoint",
        data=body,
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8", "User-Agent": "quitus"},
    )
    try:
        with urllib.request.urlopen(request, timeout=witness.timeout) as response:  # noqa: S310
            return (
                response.status,
                response.headers.get("Content-Type", ""),
                response.read(_MAX_RESPONSE_BYTES),
            )
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get("Content-Type", ""), exc.read(_MAX_RESPONSE_BYTES)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise WitnessUnavailableError(f"witness {witness.url} cannot be reached: {reason}") from exc


def _refusal(witness: WitnessEndpoint, status: int, data: bytes) -> str:
    said = data.decode("utf-8", errors="replace").strip().splitlines()
    detail = "".join(ch for ch in (said[0] if said else "") if ch.isprintable())[:200]
    reason = _REASONS.get(status, "the witness did not cosign")
    return f"witness {witness.key.name} answered {status}: {reason}" + (f" ({detail})" if detail else "")


def _remember(ledger: Ledger, witness: WitnessEndpoint, note: str, data: bytes) -> CosignedCheckpoint:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise WitnessUnavailableError(f"witness {witness.url}: its answer is not UTF-8") from None
    lines = [line + "\n" for line in text.removesuffix("\n").split("\n")] if text.endswith("\n") else []
    if not lines or not all(line.startswith("\u2014 ") for line in lines):
        raise WitnessUnavailableError(f"witness {witness.url}: 200 without signature lines")
    try:
        answered = verify_cosignatures(with_cosignatures(note, lines), [witness.key])
    except NoteError as exc:
        raise CosignatureError(f"witness {witness.key.name}: its answer is not a cosignature: {exc}") from exc
    if not answered:
        raise CosignatureError(
            f"witness {witness.key.name} answered without a cosignature by its key "
            f"{witness.key.key_id.hex()} (is QUITUS_WITNESS_KEY this witness's?)"
        )
    cosigned = with_cosignatures(note, [c.line for c in answered])  # ignore any other key's lines
    assert ledger.anchors is not None
    with ledger.anchors.locked() as log:
        log.append(cosigned)
    checkpoint, _ = open_checkpoint(cosigned, [ledger.signer.verifier_key()])
    return CosignedCheckpoint(checkpoint, cosigned, tuple(answered))
