"""C2SP tlog-checkpoint text and Ed25519 signed notes: formats, keys, and what is rejected."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import pytest

from storage.ledger.checkpoint import (
    MAX_SIGNATURES,
    Checkpoint,
    NoteSigner,
    generate_signing_key,
    key_id,
    load_signer,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    verifier_key,
)
from storage.ledger.errors import (
    BadSignatureError,
    CheckpointError,
    KeyFormatError,
    LedgerError,
    MalformedNoteError,
    NoteError,
    UnknownKeyError,
)
from storage.ledger.merkle import EMPTY_ROOT, mth

ORIGIN = "quitus.example/audit"
ROOT = mth([b"a", b"b", b"c"])
EM_DASH = "\u2014"

# Published example of Go's golang.org/x/mod/sumdb/note (the reference implementation
# of signed notes): a verifier key, the matching private key, a text and its note.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n"
    + f"{EM_DASH} PeterNeumann "
    + "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

# The example checkpoint text of the C2SP tlog-checkpoint specification.
C2SP_EXAMPLE = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    private_raw, _ = generate_signing_key()
    return load_signer(ORIGIN, private_raw)


@pytest.fixture(scope="module")
def other_signer() -> NoteSigner:
    private_raw, _ = generate_signing_key()
    return load_signer("witness.example/w1", private_raw)


def _go_public_key() -> bytes:
    material = base64.b64decode(GO_VKEY.split("+", 2)[2])
    assert material[0] == 0x01  # Ed25519
    return material[1:]


def _go_signer() -> NoteSigner:
    material = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert material[0] == 0x01
    return load_signer("PeterNeumann", material[1:])


# --- Key ids and verifier keys --------------------------------------------------------


def test_key_id_is_the_spec_hash_computed_by_hand() -> None:
    # key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]
    public_key = _go_public_key()
    by_hand = hashlib.sha256(b"PeterNeumann" + b"\x0a" + b"\x01" + public_key).digest()[:4]
    assert by_hand == bytes.fromhex("c74f20a3")  # the id published in Go's verifier key
    assert key_id("PeterNeumann", public_key) == by_hand


def test_key_id_of_a_fresh_key_is_the_spec_hash(signer: NoteSigner) -> None:
    by_hand = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + signer.public_key).digest()[:4]
    assert signer.key_id == by_hand
    assert signer.verifier_key() == f"{ORIGIN}+{by_hand.hex()}+" + base64.b64encode(
        b"\x01" + signer.public_key
    ).decode("ascii")


def test_verifier_key_matches_the_go_reference() -> None:
    assert verifier_key("PeterNeumann", _go_public_key()) == GO_VKEY
    verifier = parse_verifier_key(GO_VKEY)
    assert (verifier.name, verifier.key_id.hex(), verifier.public_key) == (
        "PeterNeumann",
        "c74f20a3",
        _go_public_key(),
    )


def test_signing_reproduces_the_go_reference_note_byte_for_byte() -> None:
    # Ed25519 is deterministic: same key and text, same signature as Go's note.Sign.
    assert sign_note(GO_TEXT, _go_signer()) == GO_NOTE
    assert open_note(GO_NOTE, [GO_VKEY]) == (GO_TEXT, ["PeterNeumann"])


@pytest.mark.parametrize(
    ("vkey", "complaint"),
    [
        ("PeterNeumann+c74f20a3", "must look like"),
        ("PeterNeumann", "must look like"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "must not be empty"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "must not contain spaces"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 lowercase hex"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 lowercase hex"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PetrNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW", "base64"),
        ("PeterNeumann+c74f20a3+Alpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not an Ed25519 key"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy", "not an Ed25519 key"),
    ],
)
def test_malformed_verifier_keys_are_rejected(vkey: str, complaint: str) -> None:
    with pytest.raises(KeyFormatError, match=complaint):
        parse_verifier_key(vkey)


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\there", "nbsp\u00a0here", "line\nbreak"])
def test_key_names_must_be_nonempty_without_spaces_or_plus(name: str) -> None:
    private_raw, public_raw = generate_signing_key()
    with pytest.raises(KeyFormatError):
        load_signer(name, private_raw)
    with pytest.raises(KeyFormatError):
        verifier_key(name, public_raw)


def test_generated_keys_load_and_wrong_sizes_are_refused() -> None:
    private_raw, public_raw = generate_signing_key()
    assert (len(private_raw), len(public_raw)) == (32, 32)
    assert load_signer(ORIGIN, private_raw).public_key == public_raw
    with pytest.raises(KeyFormatError, match="32 raw bytes"):
        load_signer(ORIGIN, private_raw[:31])
    with pytest.raises(KeyFormatError, match="32 bytes"):
        verifier_key(ORIGIN, public_raw + b"\x00")


def test_the_private_key_is_never_printed(signer: NoteSigner) -> None:
    assert "private_key" not in repr(signer)
    assert ORIGIN in repr(signer)


# --- Checkpoint text ------------------------------------------------------------------


def test_checkpoint_body_is_the_exact_c2sp_text() -> None:
    checkpoint = Checkpoint(ORIGIN, 3, ROOT)
    root_b64 = base64.b64encode(ROOT).decode("ascii")
    assert checkpoint.body() == f"{ORIGIN}\n3\n{root_b64}\n"
    with_extensions = Checkpoint(ORIGIN, 3, ROOT, ("ext one", "ext two"))
    assert with_extensions.body() == f"{ORIGIN}\n3\n{root_b64}\next one\next two\n"
    assert (
        Checkpoint(ORIGIN, 0, EMPTY_ROOT).body()
        == f"{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    )


@pytest.mark.parametrize(
    "checkpoint",
    [
        Checkpoint(ORIGIN, 3, ROOT),
        Checkpoint(ORIGIN, 0, EMPTY_ROOT),
        Checkpoint("o", 2**63 - 1, ROOT, ("a", "b c")),
    ],
)
def test_checkpoint_text_round_trips(checkpoint: Checkpoint) -> None:
    assert parse_checkpoint(checkpoint.body()) == checkpoint


def test_the_specification_example_parses_and_reprints() -> None:
    checkpoint = parse_checkpoint(C2SP_EXAMPLE)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.body() == C2SP_EXAMPLE


_ROOT_B64 = base64.b64encode(ROOT).decode("ascii")
_URLSAFE_B64 = base64.urlsafe_b64encode(bytes([0xFB]) * 32).decode("ascii")  # '-' and '_' instead of '+' '/'


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (f"{ORIGIN}\n3\n{_ROOT_B64}", "must end with a newline"),
        (f"{ORIGIN}\n3\n", "got 2 line"),
        (f"{ORIGIN}\n", "got 1 line"),
        ("", "must end with a newline"),
        (f"\n3\n{_ROOT_B64}\n", "line 1 must be a non-empty"),
        (f"{ORIGIN}\n\n{_ROOT_B64}\n", "line 2 must be a non-empty"),
        (f"{ORIGIN}\n3\n{_ROOT_B64}\n\n", "line 4 must be a non-empty"),
        (f"{ORIGIN}\n3\n{_ROOT_B64}\next\n\n", "line 5 must be a non-empty"),
        (f"{ORIGIN}\r\n3\n{_ROOT_B64}\n", "control characters"),
        (f"{ORIGIN}\n-3\n{_ROOT_B64}\n", "without sign"),
        (f"{ORIGIN}\n+3\n{_ROOT_B64}\n", "without sign"),
        (f"{ORIGIN}\n03\n{_ROOT_B64}\n", "leading zeros"),
        (f"{ORIGIN}\n3.0\n{_ROOT_B64}\n", "ASCII decimal"),
        (f"{ORIGIN}\n0x3\n{_ROOT_B64}\n", "ASCII decimal"),
        (f"{ORIGIN}\n\uff13\n{_ROOT_B64}\n", "ASCII decimal"),  # fullwidth digit three
        (f"{ORIGIN}\n 3\n{_ROOT_B64}\n", "ASCII decimal"),
        (f"{ORIGIN}\n3 \n{_ROOT_B64}\n", "ASCII decimal"),
        (f"{ORIGIN}\n{2**63}\n{_ROOT_B64}\n", "exceeds"),
        (f"{ORIGIN}\n{'9' * 30}\n{_ROOT_B64}\n", "ASCII decimal"),
        (f"{ORIGIN}\n3\n{_ROOT_B64.rstrip('=')}\n", "not canonical standard base64"),
        (f"{ORIGIN}\n3\n{_ROOT_B64.replace('=', '')}AA==\n", "line 3"),
        (f"{ORIGIN}\n3\n!{_ROOT_B64[1:]}\n", "not canonical standard base64"),
        (f"{ORIGIN}\n3\n{_URLSAFE_B64}\n", "not canonical standard base64"),
        (f"{ORIGIN}\n3\n{_ROOT_B64[:-2]}F=\n", "not canonical standard base64"),  # stray low bits
        (f"{ORIGIN}\n3\n{base64.b64encode(ROOT[:31]).decode()}\n", "decodes to 31 bytes"),
        (f"{ORIGIN}\n3\n{base64.b64encode(ROOT + b'x').decode()}\n", "decodes to 33 bytes"),
    ],
)
def test_malformed_checkpoint_text_is_rejected(text: str, complaint: str) -> None:
    with pytest.raises(CheckpointError, match=complaint):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"origin": ""}, "origin must be a non-empty"),
        ({"origin": "a\nb"}, "origin must not contain newlines"),
        ({"size": -1}, "between 0 and"),
        ({"size": 2**63}, "between 0 and"),
        ({"size": True}, "must be an int"),
        ({"root_hash": ROOT[:31]}, "32 bytes"),
        ({"extensions": ["a list"]}, "must be a tuple"),
        ({"extensions": ("",)}, "extension line 1 must be a non-empty"),
        ({"extensions": ("ok", "bad\n")}, "extension line 2 must not contain newlines"),
    ],
)
def test_invalid_checkpoint_fields_are_refused(fields: dict[str, object], complaint: str) -> None:
    arguments: dict[str, object] = {"origin": ORIGIN, "size": 3, "root_hash": ROOT, **fields}
    with pytest.raises(CheckpointError, match=complaint):
        Checkpoint(**arguments)  # type: ignore[arg-type]


# --- Signed notes ---------------------------------------------------------------------


def test_signed_checkpoint_round_trips(signer: NoteSigner) -> None:
    checkpoint = Checkpoint(ORIGIN, 3, ROOT)
    note = sign_checkpoint(checkpoint, signer)
    body, _, signatures = note.rpartition("\n\n")
    assert body + "\n" == checkpoint.body()
    assert signatures.startswith(f"{EM_DASH} {ORIGIN} ")
    blob = base64.b64decode(signatures.split(" ")[2])
    assert (blob[:4], len(blob)) == (signer.key_id, 4 + 64)
    assert open_checkpoint(note, [signer.verifier_key()], origin=ORIGIN) == (checkpoint, [ORIGIN])
    assert open_note(note.encode("utf-8"), [parse_verifier_key(signer.verifier_key())]) == (
        checkpoint.body(),
        [ORIGIN],
    )


def test_cosigned_notes_report_every_trusted_signer(signer: NoteSigner, other_signer: NoteSigner) -> None:
    note = sign_note("a text\n\nwith a blank line\n", signer, other_signer)
    text, names = open_note(note, [signer.verifier_key(), other_signer.verifier_key()])
    assert (text, names) == ("a text\n\nwith a blank line\n", [ORIGIN, other_signer.name])
    assert open_note(note, [other_signer.verifier_key()])[1] == [other_signer.name]


def test_signatures_from_unknown_keys_are_ignored(signer: NoteSigner) -> None:
    impostor = load_signer(ORIGIN, generate_signing_key()[0])  # same name, other key
    note = sign_note("text\n", impostor, signer)
    assert open_note(note, [signer.verifier_key()]) == ("text\n", [ORIGIN])


def test_a_modified_body_is_rejected(signer: NoteSigner) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), signer)
    forged = note.replace(f"{ORIGIN}\n3\n", f"{ORIGIN}\n4\n", 1)
    with pytest.raises(BadSignatureError, match=f"signature line 1 by '{ORIGIN}'"):
        open_note(forged, [signer.verifier_key()])


def test_a_forged_signature_is_rejected(signer: NoteSigner) -> None:
    text = "text\n"
    note = sign_note(text, signer)
    blob = bytearray(base64.b64decode(note.split(" ")[-1]))
    blob[10] ^= 0x01
    forged = f"{text}\n{EM_DASH} {ORIGIN} {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(BadSignatureError, match="does not verify"):
        open_note(forged, [signer.verifier_key()])


def test_a_signature_claiming_a_trusted_key_id_but_made_with_another_key_is_rejected(
    signer: NoteSigner,
) -> None:
    attacker = load_signer(ORIGIN, generate_signing_key()[0])
    signature = attacker.private_key.sign(b"text\n")
    blob = base64.b64encode(signer.key_id + signature).decode()
    with pytest.raises(BadSignatureError):
        open_note(f"text\n\n{EM_DASH} {ORIGIN} {blob}\n", [signer.verifier_key()])


def test_a_note_signed_with_the_wrong_key_is_rejected(signer: NoteSigner) -> None:
    note = sign_note("text\n", load_signer(ORIGIN, generate_signing_key()[0]))
    with pytest.raises(UnknownKeyError, match="no signature from a trusted key"):
        open_note(note, [signer.verifier_key()])


def test_a_signature_under_another_name_is_rejected(signer: NoteSigner) -> None:
    # Same private key, other name: the key id changes, so it is not the trusted key.
    renamed = NoteSigner(name="other.example/log", private_key=signer.private_key)
    note = sign_note("text\n", renamed)
    with pytest.raises(UnknownKeyError, match=re.escape("signed by other.example/log")):
        open_note(note, [signer.verifier_key()])
    # Relabelling the line with the trusted name does not help: the key id still differs.
    relabelled = note.replace("other.example/log", ORIGIN)
    with pytest.raises(UnknownKeyError):
        open_note(relabelled, [signer.verifier_key()])


def test_no_trusted_keys_means_no_note_opens(signer: NoteSigner) -> None:
    with pytest.raises(UnknownKeyError, match="trusted keys: none"):
        open_note(sign_note("text\n", signer), [])


def test_a_checkpoint_from_another_log_is_rejected(signer: NoteSigner) -> None:
    note = sign_checkpoint(Checkpoint("someone.else/log", 3, ROOT), signer)
    with pytest.raises(CheckpointError, match=re.escape(f"expected {ORIGIN!r}")):
        open_checkpoint(note, [signer.verifier_key()], origin=ORIGIN)


def _valid_line(signer: NoteSigner) -> str:
    return signer.signature_line("text\n")


@pytest.mark.parametrize(
    ("build", "complaint"),
    [
        (lambda line: "text\n" + line, "a blank line"),
        (lambda line: "text\n\n" + line.rstrip("\n"), "a blank line"),
        (lambda line: "text\n\n", "no signature lines"),
        (lambda line: "text\n\n" + line + "\n", "no signature lines"),
        (lambda line: "text\n\n" + line.replace(EM_DASH, "-"), "em dash"),
        (lambda line: "text\n\n" + line.replace(EM_DASH, "--"), "em dash"),
        (lambda line: "text\n\n" + line.replace(f"{EM_DASH} ", EM_DASH), "em dash"),
        (lambda line: "text\n\n" + line.replace(f" {ORIGIN} ", f" {ORIGIN}"), "<key name> <base64"),
        (lambda line: "text\n\n" + line.replace(ORIGIN, "bad+name"), "must not contain"),
        (lambda line: "text\n\n" + line[:-3] + "\n", "not standard base64"),
        (lambda line: "text\n\n" + f"{EM_DASH} {ORIGIN} AAAA\n", "too short"),
        (lambda line: "te\x00xt\n\n" + line, "control character"),
        (lambda line: "text\r\n\n" + line, "control character"),
        (lambda line: "text\n\n" + line + "\ud800\n", "not valid UTF-8"),
    ],
)
def test_malformed_notes_are_rejected(
    signer: NoteSigner, build: Callable[[str], str], complaint: str
) -> None:
    with pytest.raises(MalformedNoteError, match=complaint):
        open_note(build(_valid_line(signer)), [signer.verifier_key()])


def test_invalid_utf8_bytes_are_rejected(signer: NoteSigner) -> None:
    note = sign_note("text\n", signer).encode("utf-8")
    with pytest.raises(MalformedNoteError, match="not valid UTF-8"):
        open_note(b"\xff" + note, [signer.verifier_key()])


def test_too_many_signatures_are_rejected(signer: NoteSigner) -> None:
    strangers = [load_signer(f"w{i}.example", generate_signing_key()[0]) for i in range(MAX_SIGNATURES)]
    note = sign_note("text\n", signer, *strangers)
    with pytest.raises(MalformedNoteError, match=f"more than the {MAX_SIGNATURES}"):
        open_note(note, [signer.verifier_key()])
    assert open_note(sign_note("text\n", signer, *strangers[:15]), [signer.verifier_key()])[1] == [ORIGIN]


@pytest.mark.parametrize(
    ("text", "complaint"), [("no final newline", "end with a newline"), ("tab\there\n", "control character")]
)
def test_unsignable_text_is_refused(signer: NoteSigner, text: str, complaint: str) -> None:
    with pytest.raises(MalformedNoteError, match=complaint):
        sign_note(text, signer)


def test_every_ledger_error_shares_one_base() -> None:
    for note_error in (BadSignatureError, UnknownKeyError, MalformedNoteError, KeyFormatError):
        assert issubclass(note_error, NoteError)
    for error in (NoteError, CheckpointError):
        assert issubclass(error, LedgerError)
