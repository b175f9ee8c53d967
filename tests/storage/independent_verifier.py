"""An independent verifier of proof bundles (`quitus-proof-bundle/2`).

Written only from `docs/proof-bundle-format.md` and the public specifications it cites
(RFC 9162 §2.1, C2SP signed-note, tlog-checkpoint, tlog-cosignature); it imports
nothing of quitus and uses only the standard library and `cryptography`. Every
failure, hostile input included, is reported as a problem string: it never raises.

Where the format leaves a choice open, the strict reading is taken (see the notes on
each check).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# -- limits: what a verifier reads of a hostile bundle ---------------------------------
MAX_BUNDLE_BYTES = 512 * 1024 * 1024
MAX_MEMBERS = 50_000
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_ENTRY_BYTES = 1024 * 1024
MAX_NOTE_BYTES = 256 * 1024  # signed-note: accept 16 signatures, post-quantum ones too
MAX_KEY_FILE_BYTES = 16 * 1024
MAX_SIGNATURE_LINES = 64
MAX_AUDIT_PATH = 64
MAX_TREE_SIZE = 2**63 - 1
MAX_PROBLEMS_PER_KIND = 50
MAX_PROBLEMS = 1000

# -- the files of the format ------------------------------------------------------------
PROOFS = "proofs.txt"
CHECKPOINT = "checkpoint.txt"
BODY = "checkpoint.body"
SIG = "checkpoint.sig"
VKEY = "ledger.vkey"
PEM = "ledger-public.pem"
SUMS = "SHA256SUMS"
REQUIRED_FILES = (PROOFS, CHECKPOINT, BODY, SIG, VKEY, PEM, SUMS)
INSTRUCTIONS = ("verify.sh", "VERIFY.md")

SEAL_PDF = "documents/rapport-scelle.pdf"
REDACTED_PDF = "documents/rapport-anonymise.pdf"
DISPOSITION = "documents/disposition.json"
CERTIFICATE_PDF = "documents/certificat-disposition.pdf"
# document -> (the steps of the entry that records it, the detail holding its SHA-256)
DOCUMENT_RULES: dict[str, tuple[tuple[str, ...], str]] = {
    SEAL_PDF: (("seal",), "pdf_full_sha256"),
    REDACTED_PDF: (("seal",), "pdf_redacted_sha256"),
    DISPOSITION: (("dispose", "shred"), "certificate_sha256"),
    CERTIFICATE_PDF: (("certify",), "certificate_pdf_sha256"),
}

ENTRY_VERSION = 1
BUNDLE_FORMAT = "quitus-proof-bundle/2"
EXPORT_STEP = "proof.export"
HOLD_STEPS = ("hold.place", "hold.release")
ENTRY_REQUIRED = ("v", "seq", "time", "step", "actor", "outcome")
ENTRY_OPTIONAL = ("report", "artifacts", "policy", "details")

_ENTRY_NAME = re.compile(r"entries/([0-9]{12})\.json")
_SEGMENT = re.compile(r"[A-Za-z0-9_.+@-]+")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_SUMS_LINE = re.compile(r"([0-9a-f]{64})  ([^\n]+)")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z")
_EM_DASH = "\u2014"

# everything the zip and JSON machinery may raise on hostile input
_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    KeyError,
    OverflowError,
)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2, step by step: the root the audit path leads to, None if the
    proof is malformed (index out of the tree, path too long or too short)."""
    if index < 0 or size <= 0 or index >= size:
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """C2SP signed-note: SHA-256(key name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


def _b64(text: str) -> bytes | None:
    """Strict standard base64 (RFC 4648 §4): valid alphabet, padding, canonical."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    if base64.b64encode(raw).decode("ascii") != text:
        return None
    return raw


def _valid_key_name(name: str) -> bool:
    """C2SP signed-note: non-empty, no Unicode space, no plus; no control character."""
    return bool(name) and not any(c.isspace() or c == "+" or ord(c) < 0x20 or ord(c) == 0x7F for c in name)


def _safe_path(name: str) -> bool:
    segments = name.split("/")
    return all(_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments)


def _lines(text: str) -> list[str] | None:
    """Newline-terminated lines; None when the text does not end in a newline."""
    if not text:
        return []
    if not text.endswith("\n"):
        return None
    return text[:-1].split("\n")


@dataclass
class _Entry:
    name: str
    seq: int
    data: bytes
    leaf: bytes
    obj: dict[str, Any] | None = None


@dataclass
class _State:
    problems: list[str] = field(default_factory=list)
    members: dict[str, bytes] = field(default_factory=dict)
    public_key: Ed25519PublicKey | None = None
    raw_public_key: bytes | None = None
    key_name: str | None = None
    origin: str | None = None
    tree_size: int | None = None
    root: bytes | None = None
    entries: dict[int, _Entry] = field(default_factory=dict)
    listed: set[str] = field(default_factory=set)  # documents, policies, instructions

    def add(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append(f"bundle: more than {MAX_PROBLEMS} problems, the rest is not reported")


# -- reading the zip ---------------------------------------------------------------------


def _read_zip(zip_path: Path, st: _State) -> bool:
    try:
        size = Path(zip_path).stat().st_size
    except (OSError, TypeError, ValueError) as exc:
        st.add(f"bundle: cannot read {zip_path!s}: {exc}")
        return False
    if size > MAX_BUNDLE_BYTES:
        st.add(f"bundle: {size} bytes, more than the {MAX_BUNDLE_BYTES} this verifier reads")
        return False
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                st.add(f"bundle: {len(infos)} zip members, more than the {MAX_MEMBERS} this verifier reads")
                return False
            total = 0
            seen: set[str] = set()
            for info in infos:
                name = info.filename
                if info.orig_filename != name:
                    st.add(f"{info.orig_filename!r}: a zip member name with a NUL or a foreign separator")
                    continue
                if name in seen:
                    st.add(f"{name!r}: appears more than once in the zip")
                    continue
                seen.add(name)
                if name.endswith("/"):
                    if not _safe_path(name[:-1]) or info.file_size != 0:
                        st.add(f"{name}: not a plain directory entry")
                    continue
                if not _safe_path(name):
                    st.add(f"{name!r}: not a file of the format (unsafe or unexpected path)")
                    continue
                if info.flag_bits & 0x1:
                    st.add(f"{name}: encrypted zip member")
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    st.add(f"{name}: {info.file_size} bytes, more than the {MAX_MEMBER_BYTES} read")
                    continue
                try:
                    with zf.open(info) as fh:
                        data = fh.read(MAX_MEMBER_BYTES + 1)
                except _READ_ERRORS as exc:
                    st.add(f"{name}: cannot be read from the zip: {exc}")
                    continue
                if len(data) > MAX_MEMBER_BYTES:
                    st.add(f"{name}: more than {MAX_MEMBER_BYTES} bytes")
                    continue
                total += len(data)
                if total > MAX_TOTAL_BYTES:
                    st.add(f"bundle: more than {MAX_TOTAL_BYTES} bytes uncompressed")
                    return False
                st.members[name] = data
    except _READ_ERRORS as exc:
        st.add(f"bundle: not a readable zip file: {exc}")
        return False
    return True


# -- the files are exactly those of the format, and match SHA256SUMS ---------------------


def _check_inventory(st: _State) -> None:
    for required in REQUIRED_FILES:
        if required not in st.members:
            st.add(f"{required}: missing from the bundle")
    for name in sorted(st.members):
        if name in REQUIRED_FILES:
            continue
        m = _ENTRY_NAME.fullmatch(name)
        if m:
            seq = int(m.group(1))
            data = st.members[name]
            st.entries[seq] = _Entry(name=name, seq=seq, data=data, leaf=leaf_hash(data))
            continue
        if name in INSTRUCTIONS or name.startswith("policies/"):
            st.listed.add(name)
            continue
        if name.startswith("documents/"):
            st.listed.add(name)
            if name not in DOCUMENT_RULES:
                # strict reading: a document must be one the format says how to match
                st.add(f"{name}: not a document this format defines (no entry can record it)")
            continue
        st.add(f"{name}: not a file of the format")
    if not st.entries:
        st.add("entries/: the bundle holds no entry")


def _check_sums(st: _State) -> None:
    data = st.members.get(SUMS)
    if data is None:
        return
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        st.add("SHA256SUMS: not ASCII text")
        return
    lines = _lines(text)
    if lines is None:
        st.add("SHA256SUMS: does not end in a newline")
        lines = text.split("\n")
    listed: set[str] = set()
    for number, line in enumerate(lines, 1):
        m = _SUMS_LINE.fullmatch(line)
        if not m:
            st.add(f"SHA256SUMS line {number}: not a `<sha256 hex>  <path>` line")
            continue
        digest, path = m.group(1), m.group(2)
        if path in listed:
            st.add(f"SHA256SUMS: {path} listed more than once")
            continue
        listed.add(path)
        if path == SUMS:
            st.add("SHA256SUMS: lists itself")
        elif path not in st.members:
            st.add(f"SHA256SUMS: lists {path}, absent from the bundle")
        elif sha256_hex(st.members[path]) != digest:
            st.add(f"SHA256SUMS: {path} does not match its SHA-256")
    for name in sorted(st.members):
        if name != SUMS and name not in listed:
            st.add(f"SHA256SUMS: {name} is not listed")


# -- the trust anchor -------------------------------------------------------------------


def _load_pem(st: _State) -> bytes | None:
    """The key of ledger-public.pem and its DER SubjectPublicKeyInfo."""
    data = st.members.get(PEM)
    if data is None:
        return None
    if len(data) > MAX_KEY_FILE_BYTES:
        st.add("ledger-public.pem: too large for a public key")
        return None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        st.add("ledger-public.pem: not ASCII text")
        return None
    m = re.fullmatch(
        r"-----BEGIN PUBLIC KEY-----\n((?:[A-Za-z0-9+/=]{1,76}\n)+)-----END PUBLIC KEY-----\n?", text
    )
    if not m:
        st.add("ledger-public.pem: not exactly one PEM `PUBLIC KEY` block")
        return None
    der = _b64(m.group(1).replace("\n", ""))
    if der is None:
        st.add("ledger-public.pem: bad base64")
        return None
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm, TypeError) as exc:
        st.add(f"ledger-public.pem: not a SubjectPublicKeyInfo: {exc}")
        return None
    if not isinstance(key, Ed25519PublicKey):
        st.add("ledger-public.pem: not an Ed25519 public key")
        return None
    canonical = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if canonical != der:
        st.add("ledger-public.pem: the DER is not the canonical SubjectPublicKeyInfo")
        return None
    st.public_key = key
    st.raw_public_key = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return der


def _check_pin(st: _State, der: bytes | None, fingerprint: object) -> None:
    how = (
        "pin the ledger key's fingerprint, as the company publishes it (`quitus audit key`): "
        "openssl pkey -pubin -in ledger-public.pem -outform DER | sha256sum"
    )
    if not isinstance(fingerprint, str) or not fingerprint.strip():
        st.add(f"pin: no pinned key fingerprint, the bundle cannot be said to verify; {how}")
        return
    pin = fingerprint.strip().lower()
    if not _HEX64.fullmatch(pin):
        st.add(f"pin: the pinned fingerprint is not 64 hex digits; {how}")
        return
    if der is None:
        st.add("pin: no usable ledger-public.pem to compare the pinned fingerprint with")
        return
    actual = sha256_hex(der)
    if actual != pin:
        st.add(f"pin: the bundle's ledger key {actual} is not the pinned key {pin}")


def _check_vkey(st: _State) -> None:
    data = st.members.get(VKEY)
    if data is None:
        return
    if len(data) > MAX_KEY_FILE_BYTES:
        st.add("ledger.vkey: too large for a verifier key")
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        st.add("ledger.vkey: not UTF-8")
        return
    if text.endswith("\n"):
        text = text[:-1]
    parts = text.split("+", 2)  # base64 holds "+": the name and the key id do not
    if len(parts) != 3:
        st.add("ledger.vkey: not `<name>+<key id hex>+<base64 key>`")
        return
    name, id_hex, key_b64 = parts
    if not _valid_key_name(name):
        st.add("ledger.vkey: invalid key name")
        return
    st.key_name = name
    if not re.fullmatch(r"[0-9a-f]{8}", id_hex):
        st.add("ledger.vkey: the key id is not 8 lowercase hex digits")
        return
    raw = _b64(key_b64)
    if raw is None or len(raw) != 33 or raw[0] != 0x01:
        st.add("ledger.vkey: the key is not base64(0x01 || 32-byte Ed25519 public key)")
        return
    if key_id(name, 0x01, raw[1:]).hex() != id_hex:
        st.add("ledger.vkey: the key id is not SHA-256(name || 0x0A || 0x01 || key)[:4]")
    if st.raw_public_key is not None and raw[1:] != st.raw_public_key:
        st.add("ledger.vkey: not the same public key as ledger-public.pem")


# -- the checkpoint ---------------------------------------------------------------------


def _check_checkpoint(st: _State) -> None:
    data = st.members.get(CHECKPOINT)
    if data is None:
        return
    if len(data) > MAX_NOTE_BYTES:
        st.add(f"checkpoint.txt: more than {MAX_NOTE_BYTES} bytes")
        return
    try:
        note = data.decode("utf-8")
    except UnicodeDecodeError:
        st.add("checkpoint.txt: not UTF-8")
        return
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        st.add("checkpoint.txt: holds a control character (signed-note forbids them)")
        return
    cut = note.rfind("\n\n")
    if cut < 0:
        st.add("checkpoint.txt: no blank line between the text and the signatures")
        return
    text, signatures = note[: cut + 1], note[cut + 2 :]
    sig_lines = _lines(signatures)
    if sig_lines is None:
        st.add("checkpoint.txt: the last signature line does not end in a newline")
        return
    if not sig_lines:
        st.add("checkpoint.txt: no signature line")
        return
    if len(sig_lines) > MAX_SIGNATURE_LINES:
        st.add(f"checkpoint.txt: more than {MAX_SIGNATURE_LINES} signature lines")
        return
    parsed: list[tuple[str, bytes]] = []
    for number, line in enumerate(sig_lines, 1):
        fields = line.split(" ")
        raw = _b64(fields[2]) if len(fields) == 3 else None
        if len(fields) != 3 or fields[0] != _EM_DASH or not _valid_key_name(fields[1]) or raw is None:
            st.add(f"checkpoint.txt: signature line {number} is not `— <key name> <base64>`")
            return
        if len(raw) < 5:
            st.add(f"checkpoint.txt: signature line {number} is too short for a key id and a signature")
            return
        parsed.append((fields[1], raw))

    _check_body(st, text)

    body = st.members.get(BODY)
    if body is not None and body != text.encode("utf-8"):
        st.add("checkpoint.body: is not the note text of checkpoint.txt")

    # the ledger's signature: the first line, by the key name, with its key id
    name, raw = parsed[0]
    if st.origin is not None and name != st.origin:
        st.add(f"checkpoint.txt: the first signature is by {name!r}, not by the origin {st.origin!r}")
    if st.key_name is not None and name != st.key_name:
        st.add(f"checkpoint.txt: the first signature is by {name!r}, not the ledger key {st.key_name!r}")
    if st.raw_public_key is None:
        st.add("checkpoint.txt: no usable ledger key to check the signature with")
        return
    expected_id = key_id(name, 0x01, st.raw_public_key)
    if raw[:4] != expected_id:
        st.add("checkpoint.txt: the first signature's key id is not the ledger key's")
    if len(raw) != 4 + 64:
        st.add("checkpoint.txt: the ledger signature is not a 64-byte Ed25519 signature")
        return
    signature = raw[4:]
    sig_file = st.members.get(SIG)
    if sig_file is not None and sig_file != signature:
        st.add("checkpoint.sig: is not the signature of the ledger's signature line")
    if st.public_key is not None:
        try:
            st.public_key.verify(signature, text.encode("utf-8"))
        except InvalidSignature:
            st.add("checkpoint.txt: the ledger signature does not verify with the ledger key")
    for number, (other_name, other_raw) in enumerate(parsed[1:], 2):
        if other_name == name and other_raw[:4] == expected_id:
            st.add(f"checkpoint.txt: signature line {number} is a second signature by the ledger key")
        # any other line is a cosignature by a key this verifier does not know: ignored


def _check_body(st: _State, text: str) -> None:
    lines = text[:-1].split("\n")
    # strict reading: exactly the three checkpoint lines, no extension line
    if len(lines) != 3:
        st.add(f"checkpoint.body: {len(lines)} lines, not the 3 checkpoint lines (origin, size, root)")
        return
    origin, size_text, root_text = lines
    st.origin = origin
    if st.key_name is not None and origin != st.key_name:
        st.add(f"checkpoint.body: the origin {origin!r} is not the ledger key name {st.key_name!r}")
    if not _DECIMAL.fullmatch(size_text) or int(size_text) > MAX_TREE_SIZE:
        st.add("checkpoint.body: the tree size is not a decimal number")
    else:
        st.tree_size = int(size_text)
        if st.tree_size == 0:
            st.add("checkpoint.body: the tree is empty")
    root = _b64(root_text)
    if root is None or len(root) != 32:
        st.add("checkpoint.body: the root hash is not base64 of 32 bytes")
    else:
        st.root = root


# -- entries ----------------------------------------------------------------------------


def _reject_constant(value: str) -> None:
    raise ValueError(f"non-JSON constant {value}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _bad_strings(obj: Any) -> bool:
    """True when a string of the entry holds a quote, a comma or a space."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any(c in item for c in '", ') or any(c.isspace() for c in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _parse_entry(st: _State, entry: _Entry) -> None:
    name, data = entry.name, entry.data
    if len(data) > MAX_ENTRY_BYTES:
        st.add(f"{name}: more than {MAX_ENTRY_BYTES} bytes")
        return
    try:
        text = data.decode("ascii")
        obj = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
        canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    except (UnicodeDecodeError, ValueError, RecursionError, TypeError) as exc:
        st.add(f"{name}: not a JSON entry: {exc}")
        return
    if not isinstance(obj, dict):
        st.add(f"{name}: not a JSON object")
        return
    if canonical.encode("ascii") != data:
        st.add(f"{name}: not canonical JSON (sorted keys, no spaces, ASCII)")
    missing = [k for k in ENTRY_REQUIRED if k not in obj]
    unknown = sorted(k for k in obj if k not in ENTRY_REQUIRED and k not in ENTRY_OPTIONAL)
    if missing:
        st.add(f"{name}: lacks {', '.join(missing)}")
    if unknown:
        st.add(f"{name}: unknown fields {', '.join(unknown)}")
    if "v" in obj and obj["v"] != ENTRY_VERSION:
        st.add(f"{name}: entry format v={obj['v']!r}, not {ENTRY_VERSION}")
    seq = obj.get("seq")
    if type(seq) is not int or seq != entry.seq:
        st.add(f"{name}: its seq {seq!r} is not the number of its file name")
    time = obj.get("time")
    if not isinstance(time, str) or not _TIME.fullmatch(time) or not _valid_time(time):
        st.add(f"{name}: time {time!r} is not a UTC time ending in Z")
    for key in ("step", "actor", "outcome", "report", "policy"):
        if key in obj and (not isinstance(obj[key], str) or not obj[key]):
            st.add(f"{name}: {key} is not a non-empty string")
    if "details" in obj and not isinstance(obj["details"], dict):
        st.add(f"{name}: details is not an object")
    if _bad_strings(obj):
        st.add(f"{name}: a value holds a quote, a comma or a space")
    entry.obj = obj


def _valid_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text[:19])
    except ValueError:
        return False
    return True


# -- proofs.txt -------------------------------------------------------------------------


def _check_proofs(st: _State) -> None:
    data = st.members.get(PROOFS)
    if data is None:
        return
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        st.add("proofs.txt: not ASCII text")
        return
    lines = _lines(text)
    if lines is None:
        st.add("proofs.txt: does not end in a newline")
        lines = text.split("\n")
    by_name = {e.name: e for e in st.entries.values()}
    proved: set[str] = set()
    reported = 0
    for number, line in enumerate(lines, 1):
        if reported >= MAX_PROBLEMS_PER_KIND:
            st.add("proofs.txt: too many bad lines, the rest is not checked")
            break
        before = len(st.problems)
        _check_proof_line(st, number, line, by_name, proved)
        reported += len(st.problems) > before
    for name in sorted(by_name):
        if name not in proved:
            st.add(f"{name}: no inclusion proof line in proofs.txt")


def _check_proof_line(
    st: _State, number: int, line: str, by_name: dict[str, _Entry], proved: set[str]
) -> None:
    where = f"proofs.txt line {number}"
    fields = line.split(" ")
    if len(fields) < 3:
        st.add(f"{where}: not `<file> <leaf index> <tree size> [<sibling hash hex> ...]`")
        return
    file, index_text, size_text, hashes = fields[0], fields[1], fields[2], fields[3:]
    entry = by_name.get(file)
    if entry is None:
        st.add(f"{where}: {file!r} is not an entry file of the bundle")
        return
    if file in proved:
        st.add(f"{where}: a second line for {file}")
        return
    proved.add(file)
    if not _DECIMAL.fullmatch(index_text) or not _DECIMAL.fullmatch(size_text):
        st.add(f"{where}: {file}: leaf index or tree size is not a decimal number")
        return
    index, size = int(index_text), int(size_text)
    if index != entry.seq:
        st.add(f"{where}: {file}: leaf index {index} is not the entry's seq {entry.seq}")
    if st.tree_size is not None and size != st.tree_size:
        st.add(f"{where}: {file}: tree size {size} is not the checkpoint's {st.tree_size}")
    if len(hashes) > MAX_AUDIT_PATH:
        st.add(f"{where}: {file}: an audit path of {len(hashes)} hashes is impossible")
        return
    if not all(_HEX64.fullmatch(h) for h in hashes):
        st.add(f"{where}: {file}: a sibling hash is not 64 lowercase hex digits")
        return
    if st.root is None:
        st.add(f"{file}: not included: no checkpoint root to check it against")
        return
    root = root_from_inclusion(index, size, entry.leaf, [bytes.fromhex(h) for h in hashes])
    if root is None:
        st.add(f"{file}: not included: the audit path does not fit leaf {index} of a tree of {size}")
    elif root != st.root:
        st.add(f"{file}: not included: its audit path does not lead to the checkpoint's root hash")


# -- ownership, the export entry, documents ---------------------------------------------


def _check_export_and_ownership(st: _State) -> None:
    if not st.entries:
        return
    last_seq = max(st.entries)
    export = st.entries[last_seq]
    obj = export.obj
    if obj is None:
        st.add(f"{export.name}: the last entry is unreadable, so is the bundle's report")
        return
    if obj.get("step") != EXPORT_STEP:
        st.add(f"{export.name}: the last entry is a {obj.get('step')!r} entry, not the {EXPORT_STEP} entry")
    report = obj.get("report")
    if not isinstance(report, str) or not report:
        st.add(f"{export.name}: the export entry names no report")
        return

    reported = 0
    for seq in sorted(st.entries):
        entry = st.entries[seq]
        if entry.obj is None:
            continue
        problem = _ownership_problem(entry, report)
        if problem:
            reported += 1
            if reported <= MAX_PROBLEMS_PER_KIND:
                st.add(problem)

    details = obj.get("details")
    if not isinstance(details, dict):
        st.add(f"{export.name}: the export entry has no details")
        return
    if details.get("format") != BUNDLE_FORMAT:
        st.add(f"{export.name}: the export entry's format is {details.get('format')!r}, not {BUNDLE_FORMAT}")
    others = [st.entries[s] for s in sorted(st.entries) if s != last_seq]
    count = details.get("history_count")
    if type(count) is not int or count != len(others):
        st.add(f"{export.name}: history_count {count!r} is not the {len(others)} other entries of the bundle")
    history = "".join(e.leaf.hex() + "\n" for e in others).encode("ascii")
    if details.get("history_sha256") != sha256_hex(history):
        st.add(f"{export.name}: history_sha256 is not the SHA-256 of the other entries' leaf hashes")
    _check_files_list(st, export.name, details.get("files"))


def _ownership_problem(entry: _Entry, report: str) -> str | None:
    obj = entry.obj
    assert obj is not None
    owner = obj.get("report")
    if owner is None:
        if obj.get("step") in HOLD_STEPS:
            return None  # a hold on the client or the site: it names no report
        return f"{entry.name}: a {obj.get('step')!r} entry of no report, neither the report's nor a hold's"
    if owner != report:
        return f"{entry.name}: belongs to report {owner!r}, not the bundle's report {report!r}"
    return None


def _check_files_list(st: _State, where: str, files: object) -> None:
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        st.add(f"{where}: the export entry's files is not a list of `<path>:<sha256 hex>`")
        return
    seen: set[str] = set()
    for item in files:
        path, sep, digest = item.rpartition(":")
        if not sep or not path or not _HEX64.fullmatch(digest):
            st.add(f"{where}: files item {item!r} is not `<path>:<sha256 hex>`")
            continue
        if path in seen:
            st.add(f"{where}: files lists {path} more than once")
            continue
        seen.add(path)
        if path not in st.listed:
            if path in st.members:
                st.add(f"{where}: files lists {path}, which is not a document, policy or instruction file")
            else:
                st.add(f"{where}: files lists {path}, absent from the bundle")
        elif sha256_hex(st.members[path]) != digest:
            st.add(f"{where}: files: {path} does not match the SHA-256 the export entry recorded")
    for path in sorted(st.listed - seen):
        st.add(f"{path}: not listed in the export entry's files")


def _check_documents(st: _State) -> None:
    report = None
    if st.entries:
        last = st.entries[max(st.entries)].obj
        report = last.get("report") if last else None
    for path, (steps, detail) in DOCUMENT_RULES.items():
        data = st.members.get(path)
        if data is None:
            continue
        digest = sha256_hex(data)
        recorders = [
            e.obj
            for e in st.entries.values()
            if e.obj is not None and e.obj.get("step") in steps and e.obj.get("report") == report
        ]
        if not recorders:
            st.add(f"{path}: no {' or '.join(steps)} entry of the report records it")
            continue
        if not any(
            isinstance(o.get("details"), dict) and o["details"].get(detail) == digest for o in recorders
        ):
            st.add(f"{path}: its SHA-256 is not the {detail} of the report's {' or '.join(steps)} entry")


# -- the whole ----------------------------------------------------------------------------


def _verify(zip_path: Path, fingerprint: str, st: _State) -> None:
    if not _read_zip(zip_path, st):
        return
    _check_inventory(st)
    _check_sums(st)
    der = _load_pem(st)
    _check_pin(st, der, fingerprint)
    _check_vkey(st)
    _check_checkpoint(st)
    for seq in sorted(st.entries):
        _parse_entry(st, st.entries[seq])
    _check_proofs(st)
    _check_export_and_ownership(st)
    _check_documents(st)


def verify_bundle_file(zip_path: Path, fingerprint: str) -> list[str]:
    """Problems found (empty list: the bundle verifies). fingerprint: hex SHA-256 of the
    ledger public key's DER SubjectPublicKeyInfo, as the auditor pinned it."""
    st = _State()
    try:
        _verify(zip_path, fingerprint, st)
    except Exception as exc:  # noqa: BLE001 - a verifier reports, it never raises
        st.add(f"bundle: the verifier failed on this input ({type(exc).__name__}: {exc})")
    if not st.problems and not st.entries:
        st.add("bundle: nothing was verified")
    return st.problems
