"""Checking a proof bundle offline, as ``docs/proof-bundle-format.md`` ("Verifying") says.

Every input is hostile until checked: sizes are bounded before anything is read or
decompressed, every field is format-checked, and whatever is wrong becomes a problem
in :class:`BundleVerification`, never an exception. The key is never taken from the
bundle on trust: the caller pins it (``key``, the verifier key, or ``fingerprint``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import io
import json
import re
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from storage.ledger.bundle import (
    BUNDLE_FORMAT,
    DOCUMENT_NAMES,
    KEY_PEM,
    POLICY_NAME,
    SIGNED_FILES,
    SUMS,
    VERIFY_SCRIPT,
    VERIFY_TEXT,
    entry_file,
    key_fingerprint,
    parse_fingerprint,
)
from storage.ledger.checkpoint import NoteVerifier, open_note, parse_checkpoint, parse_verifier_key
from storage.ledger.errors import LedgerError
from storage.ledger.merkle import leaf_hash, verify_inclusion
from storage.ledger.steps import DISPOSAL_STEPS, LedgerStep
from storage.ledger.witness import verify_cosignatures
from storage.retention_vocabulary import HoldScope

__all__ = ["MAX_BUNDLE_BYTES", "BundleVerification", "verify_bundle"]

MAX_BUNDLE_BYTES = 512 * 2**20
"""A bundle larger than this is refused unread."""
MAX_FILES = 100_000
MAX_TOTAL_BYTES = 1024 * 2**20
"""Sum of the sizes the zip declares, uncompressed (a zip bomb is refused before inflating)."""
MAX_ENTRY_BYTES = 64 * 2**10
MAX_SMALL_BYTES = 64 * 2**10
"""``checkpoint.*``, ``ledger.vkey``, ``ledger-public.pem``."""
MAX_FILE_BYTES = 128 * 2**20
"""Any other file (documents, ``proofs.txt``, ``SHA256SUMS``)."""
MAX_PROBLEMS = 200
"""Problems reported at most (a hostile bundle can have a problem per line)."""
MAX_AUDIT_PATH = 63
"""Siblings in an inclusion proof (a tree of at most 2^63 - 1 entries)."""

_ENTRY_NAME = re.compile(r"entries/([0-9]{12})\.json")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_ENTRY_KEYS = frozenset(
    {"v", "seq", "time", "step", "actor", "outcome", "report", "artifacts", "policy", "details"}
)
_REQUIRED_KEYS = frozenset({"v", "seq", "time", "step", "actor", "outcome"})
_HOLD_STEPS = (LedgerStep.HOLD_PLACE, LedgerStep.HOLD_RELEASE)
_FORMAT_1 = ("manifest.json", "proofs.json")


@dataclass
class BundleVerification:
    """What a check found: ``ok`` only when nothing is wrong and the key was pinned."""

    report_id: str | None = None
    """The export entry's report (``None`` when the bundle is too damaged to say)."""
    tree_size: int | None = None
    entries: int = 0
    """Entries proven included."""
    pinned: bool = False
    """Whether the caller pinned the key (``key`` or ``fingerprint``)."""
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.pinned and not self.problems and self.entries > 0


def _check_cosignatures(data: bytes, witness_keys: Sequence[str], result: BundleVerification) -> None:
    """Each required witness cosigned ``checkpoint.txt`` (already read and checked above)."""
    note = zipfile.ZipFile(io.BytesIO(data)).read("checkpoint.txt").decode("utf-8")
    try:
        cosignatures = verify_cosignatures(note, witness_keys)
    except (LedgerError, UnicodeDecodeError) as exc:  # a forged line, a malformed witness key
        result.problems.append(f"checkpoint.txt: {exc}")
        return
    cosigned = {c.witness for c in cosignatures}
    for witness_key in witness_keys:
        name = witness_key.split("+", 1)[0]
        if name in cosigned:
            result.checked.append(f"checkpoint cosigned by witness {name}")
        else:
            result.problems.append(f"checkpoint.txt: no valid cosignature by witness {name}")


class _RefusedError(Exception):
    """The bundle cannot be checked further (the reason is already a problem)."""


def verify_bundle(
    data: bytes,
    *,
    key: str | None = None,
    fingerprint: str | None = None,
    witness_keys: Sequence[str] = (),
) -> BundleVerification:
    """Check a bundle offline against a pinned key: ``key`` (the verifier key text) or
    ``fingerprint`` (SHA-256 hex of its DER SubjectPublicKeyInfo), or both.

    ``witness_keys``: witnesses whose valid cosignature (C2SP cosignature/v1) of the bundle's
    checkpoint is required; other cosignature lines are accepted and not checked."""
    result = BundleVerification()
    with contextlib.suppress(_RefusedError):
        _verify(data, key, fingerprint, result)
        if witness_keys:
            _check_cosignatures(data, witness_keys, result)
    if len(result.problems) > MAX_PROBLEMS:
        more = len(result.problems) - MAX_PROBLEMS
        result.problems[MAX_PROBLEMS:] = [f"… and {more} more problems"]
    return result


def _verify(data: bytes, key: str | None, fingerprint: str | None, result: BundleVerification) -> None:
    pinned = _pinned(key, fingerprint, result)
    files = _read_zip(data, result)
    _check_names(files, result)
    entries = _entries(files, result)
    key_text = _check_key(files, pinned, result)
    verifier = parse_verifier_key(key_text)
    size, root = _check_checkpoint(files, verifier, result)
    _check_proofs(files, entries, size, root, result)
    export = _check_history(files, entries, result)
    _check_documents(files, entries, export, result)


# -- the pin ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pin:
    fingerprint: str
    """SHA-256 hex of the pinned key's DER SubjectPublicKeyInfo."""
    key: str | None
    """The pinned verifier key's text, when the caller gave it (its name is then pinned too)."""


def _pinned(key: str | None, fingerprint: str | None, result: BundleVerification) -> _Pin:
    pins: set[str] = set()
    try:
        if key is not None:
            pins.add(key_fingerprint(key.strip()))
        if fingerprint is not None:
            pins.add(parse_fingerprint(fingerprint))
    except LedgerError as exc:
        result.problems.append(f"pinned key: {exc}")
        raise _RefusedError from None
    if not pins:
        result.problems.append(
            "no pinned key: pass the company's published key (--key, `quitus audit key` prints it) "
            "or its fingerprint (--fingerprint; "
            "openssl pkey -pubin -in ledger-public.pem -outform DER | sha256sum)"
        )
        raise _RefusedError
    if len(pins) > 1:
        result.problems.append("the pinned key and the pinned fingerprint are not the same key")
        raise _RefusedError
    result.pinned = True
    return _Pin(pins.pop(), None if key is None else key.strip())


# -- reading the zip -------------------------------------------------------------------------


def _read_zip(data: bytes, result: BundleVerification) -> dict[str, bytes]:
    if len(data) > MAX_BUNDLE_BYTES:
        result.problems.append(f"bundle larger than {MAX_BUNDLE_BYTES // 2**20} MiB: refused unread")
        raise _RefusedError
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        EOFError,
        NotImplementedError,  # zipfile's answer to an entry claiming a zip version it cannot read
    ) as exc:
        result.problems.append(f"not a readable zip file ({exc})")
        raise _RefusedError from None
    if len(infos) > MAX_FILES:
        result.problems.append(f"bundle holds {len(infos)} files, more than the {MAX_FILES} accepted")
        raise _RefusedError
    declared = sum(info.file_size for info in infos)
    if declared > MAX_TOTAL_BYTES:
        result.problems.append(
            f"bundle unpacks to {declared} bytes, more than the {MAX_TOTAL_BYTES // 2**20} MiB accepted"
        )
        raise _RefusedError
    files: dict[str, bytes] = {}
    for info in infos:
        name = info.filename
        if info.is_dir():
            continue
        if name in files:
            result.problems.append(f"{_shown(name)}: present twice in the zip")
            raise _RefusedError
        limit = _limit(name)
        if info.file_size > limit:
            result.problems.append(f"{_shown(name)}: {info.file_size} bytes, more than the {limit} accepted")
            raise _RefusedError
        try:
            with archive.open(info) as stream:
                content = stream.read(limit + 1)
        except (
            zipfile.BadZipFile,
            OSError,
            ValueError,
            EOFError,
            RuntimeError,  # zipfile: an encrypted entry
            NotImplementedError,  # zipfile: a compression method it does not implement
            zlib.error,
        ) as exc:
            result.problems.append(f"{_shown(name)}: cannot be read from the zip ({exc})")
            raise _RefusedError from None
        if len(content) > limit:
            result.problems.append(f"{_shown(name)}: larger than the {limit} bytes accepted")
            raise _RefusedError
        files[name] = content
    if any(name in files for name in _FORMAT_1):
        result.problems.append(
            "this is a bundle of the old format quitus-proof-bundle/1 (manifest.json, proofs.json), "
            f"which proves too little to be relied on: ask for a new export ({BUNDLE_FORMAT}, "
            "`quitus proof export`)"
        )
        raise _RefusedError
    return files


def _limit(name: str) -> int:
    if name.startswith("entries/"):
        return MAX_ENTRY_BYTES
    if name in SIGNED_FILES[1:] or name == KEY_PEM:
        return MAX_SMALL_BYTES
    return MAX_FILE_BYTES


def _shown(name: str) -> str:
    """A file name as it may be printed (a hostile name could hold control characters)."""
    return name.encode("ascii", "backslashreplace").decode("ascii")[:120].replace("\n", "\\n")


def _listed_name(name: str) -> bool:
    """Whether ``name`` is one of the files the export entry must list."""
    if name in (VERIFY_SCRIPT, VERIFY_TEXT):
        return True
    if name.startswith("documents/"):
        return name.removeprefix("documents/") in DOCUMENT_NAMES
    if name.startswith("policies/"):
        return bool(POLICY_NAME.fullmatch(name.removeprefix("policies/")))
    return False


def _check_names(files: Mapping[str, bytes], result: BundleVerification) -> None:
    for name in files:
        known = (
            name in SIGNED_FILES
            or name in (KEY_PEM, SUMS)
            or _ENTRY_NAME.fullmatch(name)
            or _listed_name(name)
        )
        if not known:
            result.problems.append(f"{_shown(name)}: a file the format does not have (added to the bundle?)")
    missing = [name for name in (*SIGNED_FILES, KEY_PEM, SUMS) if name not in files]
    if missing:
        result.problems.append(f"missing: {', '.join(missing)}")
        raise _RefusedError
    _check_sums(files, result)


def _check_sums(files: Mapping[str, bytes], result: BundleVerification) -> None:
    text = _text(files, SUMS, result)
    listed: dict[str, str] = {}
    for number, line in enumerate(_lines(text, SUMS, result), start=1):
        digest, separator, name = line.partition("  ")
        if not separator or not _HEX64.fullmatch(digest) or not name:
            result.problems.append(f"{SUMS} line {number}: not '<sha256 hex>  <path>'")
            continue
        if name in listed:
            result.problems.append(f"{SUMS} line {number}: {_shown(name)} listed twice")
        listed[name] = digest
    for name, content in files.items():
        if name == SUMS:
            continue
        if name not in listed:
            result.problems.append(f"{_shown(name)}: not in {SUMS}")
        elif hashlib.sha256(content).hexdigest() != listed[name]:
            result.problems.append(f"{_shown(name)}: modified (its SHA-256 is not the one in {SUMS})")
    for name in listed:
        if name not in files:
            result.problems.append(f"{_shown(name)}: listed in {SUMS} but missing")
    if not result.problems:
        result.checked.append(f"{len(files) - 1} files, each listed in {SUMS} with its SHA-256")


# -- entries ---------------------------------------------------------------------------------


def _entries(files: Mapping[str, bytes], result: BundleVerification) -> dict[int, dict[str, Any]]:
    """Each entry file decoded, by its seq; a malformed one is a problem and left out."""
    entries: dict[int, dict[str, Any]] = {}
    for name, content in sorted(files.items()):
        match = _ENTRY_NAME.fullmatch(name)
        if match is None:
            continue
        seq = int(match.group(1))
        entry = _decode_entry(content)
        if entry is None:
            result.problems.append(f"{name}: not a ledger entry in canonical JSON")
        elif entry["seq"] != seq:
            result.problems.append(f"{name}: holds entry {entry['seq']}, not {seq}")
        else:
            entries[seq] = entry
    if not entries:
        result.problems.append("the bundle holds no entry")
        raise _RefusedError
    return entries


def _decode_entry(content: bytes) -> dict[str, Any] | None:
    """The entry, when ``content`` is one in canonical JSON with the fields of the format."""
    try:
        value = json.loads(content.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    well_formed = (
        canonical == content
        and _REQUIRED_KEYS <= value.keys() <= _ENTRY_KEYS
        and all(isinstance(value.get(k), str) for k in ("time", "step", "actor", "outcome"))
        and type(value["seq"]) is int
        and value["seq"] >= 0
        and isinstance(value.get("report", ""), str)
        and isinstance(value.get("details", {}), dict)
        and isinstance(value.get("artifacts", {}), dict)
    )
    return value if well_formed else None


# -- key and checkpoint ----------------------------------------------------------------------


def _check_key(files: Mapping[str, bytes], pin: _Pin, result: BundleVerification) -> str:
    """The bundle's verifier key, once it is shown to be the pinned key and the PEM's."""
    key_text = _text(files, "ledger.vkey", result)
    if not key_text.endswith("\n") or key_text.count("\n") != 1:
        result.problems.append("ledger.vkey: not one line")
        raise _RefusedError
    try:
        verifier = parse_verifier_key(key_text[:-1])
    except LedgerError as exc:
        result.problems.append(f"ledger.vkey: {exc}")
        raise _RefusedError from None
    try:
        pem = load_pem_public_key(files[KEY_PEM])
    except (ValueError, TypeError) as exc:
        result.problems.append(f"{KEY_PEM}: not a public key in PEM ({exc})")
        raise _RefusedError from None
    if not isinstance(pem, Ed25519PublicKey):
        result.problems.append(f"{KEY_PEM}: not an Ed25519 key")
        raise _RefusedError
    if files[KEY_PEM] != pem.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo):
        result.problems.append(f"{KEY_PEM}: not one public key in PEM, as openssl writes it")
        raise _RefusedError
    if pem.public_bytes(Encoding.Raw, PublicFormat.Raw) != verifier.public_key:
        result.problems.append(f"{KEY_PEM} and ledger.vkey are not the same key")
        raise _RefusedError
    fingerprint = hashlib.sha256(
        pem.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).hexdigest()
    if fingerprint != pin.fingerprint:
        result.problems.append(
            f"the bundle's key (fingerprint {fingerprint}) is not the pinned key: "
            "it was not signed by the company's ledger"
        )
        raise _RefusedError
    if pin.key is not None and pin.key != key_text[:-1]:
        result.problems.append("ledger.vkey: same key as the pinned one, under another name")
        raise _RefusedError
    result.checked.append(f"ledger key {verifier.name}: the pinned key (fingerprint {fingerprint})")
    return key_text[:-1]


def _check_checkpoint(
    files: Mapping[str, bytes], verifier: NoteVerifier, result: BundleVerification
) -> tuple[int, bytes]:
    note = _text(files, "checkpoint.txt", result)
    split = note.rfind("\n\n")
    if split < 0:
        result.problems.append("checkpoint.txt: not a signed note (no blank line before the signatures)")
        raise _RefusedError
    body, signature_lines = note[: split + 1], note[split + 2 :]
    mine = [line for line in signature_lines.split("\n") if line.startswith(f"\u2014 {verifier.name} ")]
    if len(mine) != 1:
        result.problems.append(
            f"checkpoint.txt: {len(mine)} signature lines of {verifier.name}, expected one"
        )
        raise _RefusedError
    try:
        raw = base64.b64decode(mine[0].rsplit(" ", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if raw[:4] != verifier.key_id or len(raw) != 68:
        result.problems.append(
            "checkpoint.txt: the ledger's signature line does not carry its key id and a signature"
        )
        raise _RefusedError
    if files["checkpoint.body"] != body.encode("utf-8"):
        result.problems.append("checkpoint.body: not the text of checkpoint.txt")
    if files["checkpoint.sig"] != raw[4:]:
        result.problems.append("checkpoint.sig: not the ledger's signature in checkpoint.txt")
    try:
        open_note(note, [verifier])
        checkpoint = parse_checkpoint(body)
    except LedgerError as exc:
        result.problems.append(f"checkpoint.txt: {exc}")
        raise _RefusedError from None
    if checkpoint.extensions:
        result.problems.append("checkpoint.body: lines after the root hash, which the format does not have")
    if checkpoint.origin != verifier.name:
        result.problems.append(
            f"checkpoint origin {checkpoint.origin!r} is not the key's name {verifier.name!r}"
        )
        raise _RefusedError
    result.tree_size = checkpoint.size
    result.checked.append(f"checkpoint signed by the ledger key: {checkpoint.size} entries")
    return checkpoint.size, checkpoint.root_hash


def _check_proofs(
    files: Mapping[str, bytes],
    entries: Mapping[int, dict[str, Any]],
    size: int,
    root: bytes,
    result: BundleVerification,
) -> None:
    text = _text(files, "proofs.txt", result)
    proven: set[str] = set()
    for number, line in enumerate(_lines(text, "proofs.txt", result), start=1):
        fields = line.split(" ")
        where = f"proofs.txt line {number}"
        if len(fields) < 3 or len(fields) > 3 + MAX_AUDIT_PATH:
            result.problems.append(f"{where}: not '<file> <leaf index> <tree size> <hashes…>'")
            continue
        name, index_text, size_text, *siblings = fields
        match = _ENTRY_NAME.fullmatch(name)
        if match is None or name not in files:
            result.problems.append(f"{where}: {_shown(name)} is not an entry file of the bundle")
            continue
        if name in proven:
            result.problems.append(f"{where}: a second proof of {name}")
            continue
        proven.add(name)
        if not _DECIMAL.fullmatch(index_text) or int(index_text) != int(match.group(1)):
            result.problems.append(f"{where}: leaf index {index_text!r} is not the entry's number")
            continue
        if not _DECIMAL.fullmatch(size_text) or int(size_text) != size:
            result.problems.append(f"{where}: tree size {size_text!r} is not the checkpoint's {size}")
            continue
        if not all(_HEX64.fullmatch(h) for h in siblings):
            result.problems.append(f"{where}: a sibling hash is not 64 lower-case hex digits")
            continue
        path = [bytes.fromhex(h) for h in siblings]
        if int(index_text) not in entries:
            continue  # malformed entry: already a problem
        if verify_inclusion(int(index_text), size, leaf_hash(files[name]), path, root):
            result.entries += 1
        else:
            result.problems.append(f"{name}: NOT included in the signed tree (entry or proof altered)")
    for name in sorted(n for n in files if _ENTRY_NAME.fullmatch(n) and n not in proven):
        result.problems.append(f"{name}: no inclusion proof in proofs.txt")
    if result.entries == len(entries) and not any(p.startswith("proofs.txt") for p in result.problems):
        result.checked.append(f"{result.entries} entries, each included in the signed tree")


def _check_history(
    files: Mapping[str, bytes], entries: Mapping[int, dict[str, Any]], result: BundleVerification
) -> dict[str, Any]:
    """The export entry, once it is shown to close the history and list every file."""
    last = max(entries)
    export = entries[last]
    details = export.get("details") or {}
    if export["step"] != LedgerStep.PROOF_EXPORT or not isinstance(export.get("report"), str):
        result.problems.append(
            f"{entry_file(last)}: the last entry is not the export (proof.export) of a report"
        )
        raise _RefusedError
    report_id = export["report"]
    result.report_id = report_id
    if details.get("format") != BUNDLE_FORMAT:
        result.problems.append(
            f"{entry_file(last)}: an export of format {details.get('format')!r}, not {BUNDLE_FORMAT}"
        )
    history = [seq for seq in entries if seq != last]
    if len(entries) != sum(1 for n in files if _ENTRY_NAME.fullmatch(n)):
        result.problems.append("the history cannot be checked: an entry file is malformed")
    for seq in sorted(history):
        entry = entries[seq]
        if entry["step"] in _HOLD_STEPS:
            _check_hold_entry(seq, entry, entries, report_id, result)
        elif entry.get("report") != report_id:
            result.problems.append(
                f"{entry_file(seq)}: {_shown(str(entry['step']))} entry of "
                f"{_shown(str(entry.get('report', 'no report')))}, not of report {report_id}"
            )
    count = details.get("history_count")
    if count != len(history) or isinstance(count, bool):
        result.problems.append(
            f"the export recorded a history of {count!r} entries; the bundle holds {len(history)}: "
            "entries were dropped or added"
        )
    lines = "".join(f"{leaf_hash(files[entry_file(seq)]).hex()}\n" for seq in sorted(history))
    if details.get("history_sha256") != hashlib.sha256(lines.encode("ascii")).hexdigest():
        result.problems.append("the history is not the one the export recorded (history_sha256 differs)")
    if _check_listed_files(files, details.get("files"), result):
        result.checked.append(
            f"the export ({entry_file(last)}) records these {len(history)} entries and the other files"
        )
    return export


def _check_listed_files(files: Mapping[str, bytes], recorded: object, result: BundleVerification) -> bool:
    """Whether the export's ``files`` are exactly the bundle's documents, policies and instructions."""
    actual = sorted(
        f"{name}:{hashlib.sha256(c).hexdigest()}" for name, c in files.items() if _listed_name(name)
    )
    if isinstance(recorded, list) and sorted(str(f) for f in recorded) == actual:
        return True
    recorded_set = set(map(str, recorded)) if isinstance(recorded, list) else set()
    for item in sorted(set(actual) - recorded_set):
        result.problems.append(f"{_shown(item.rsplit(':', 1)[0])}: not the file the export recorded")
    for item in sorted(recorded_set - set(actual)):
        result.problems.append(
            f"{_shown(item.rsplit(':', 1)[0])}: recorded by the export but missing or changed"
        )
    if recorded_set == set(actual):
        result.problems.append("the export's files list is not a plain list of distinct files")
    return False


def _check_hold_entry(
    seq: int,
    entry: Mapping[str, Any],
    entries: Mapping[int, dict[str, Any]],
    report_id: str,
    result: BundleVerification,
) -> None:
    details = entry.get("details") or {}
    name = entry_file(seq)
    if "report" in entry:
        result.problems.append(f"{name}: a hold entry about a report, which holds never write")
        return
    if entry["step"] == LedgerStep.HOLD_PLACE:
        ids = details.get("report_ids")
        if details.get("scope") == HoldScope.REPORTS and (not isinstance(ids, list) or report_id not in ids):
            result.problems.append(f"{name}: a hold on other reports, not on {report_id}")
        return
    placed = [
        s
        for s, e in entries.items()
        if s < seq
        and e["step"] == LedgerStep.HOLD_PLACE
        and (e.get("details") or {}).get("hold") == details.get("hold")
    ]
    if not placed:
        result.problems.append(f"{name}: the release of a hold the bundle does not place")


def _check_documents(
    files: Mapping[str, bytes],
    entries: Mapping[int, dict[str, Any]],
    export: Mapping[str, Any],
    result: BundleVerification,
) -> None:
    """Each document has the SHA-256 that an entry of the report recorded for it."""
    report_id = export["report"]
    wanted = {
        "rapport-scelle.pdf": ({LedgerStep.SEAL}, "pdf_full_sha256"),
        "rapport-anonymise.pdf": ({LedgerStep.SEAL}, "pdf_redacted_sha256"),
        "disposition.json": (DISPOSAL_STEPS, "certificate_sha256"),
        "certificat-disposition.pdf": ({LedgerStep.CERTIFY}, "certificate_pdf_sha256"),
    }
    for name, (steps, detail) in wanted.items():
        content = files.get(f"documents/{name}")
        if content is None:
            continue
        recorded = {
            value
            for e in entries.values()
            if e["step"] in steps
            and e.get("report") == report_id
            and isinstance(value := (e.get("details") or {}).get(detail), str)
        }
        step_names = " or ".join(sorted(steps))
        if hashlib.sha256(content).hexdigest() in recorded:
            result.checked.append(
                f"documents/{name}: the document the {step_names} entry recorded ({detail})"
            )
        else:
            result.problems.append(
                f"documents/{name}: not the document a {step_names} entry recorded ({detail})"
            )


# -- text helpers ----------------------------------------------------------------------------


def _text(files: Mapping[str, bytes], name: str, result: BundleVerification) -> str:
    try:
        return files[name].decode("utf-8")
    except UnicodeDecodeError:
        result.problems.append(f"{name}: not UTF-8 text")
        raise _RefusedError from None


def _lines(text: str, name: str, result: BundleVerification) -> list[str]:
    """Lines of a file whose every line ends in a newline."""
    if not text:
        return []
    if not text.endswith("\n"):
        result.problems.append(f"{name}: its last line does not end in a newline")
        text += "\n"
    return text[:-1].split("\n")
