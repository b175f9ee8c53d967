"""The fresh held-out corpora (``gen_fresh``, ``handwritten_fresh``) are well formed.

Only aggregate properties are checked here: no note is printed (they are held out).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bench.pii_corpora import gen_fresh, handwritten_fresh
from bench.pii_corpora._note import LABELS, check_note

GEN_N = 200

# Minimum spans per label in ``gen_fresh.generate(200, seed)`` and in the hand-written notes.
GEN_MINIMUM = {
    "PERSON": 400, "PHONE": 220, "EMAIL": 70, "ADDRESS": 180, "GPS": 30, "PLATE": 30,
    "CARD": 25, "IBAN": 25, "NIR": 25, "MAC": 28, "IP": 28, "IMEI": 30, "ACCESS_CODE": 90,
    "KEEP": 1000,
}  # fmt: skip
HANDWRITTEN_MINIMUM = {
    "PERSON": 350, "PHONE": 80, "EMAIL": 30, "ADDRESS": 50, "GPS": 15, "PLATE": 15,
    "CARD": 15, "IBAN": 15, "NIR": 15, "MAC": 15, "IP": 15, "IMEI": 15, "ACCESS_CODE": 35,
    "KEEP": 250,
}  # fmt: skip


@pytest.fixture(scope="module")
def generated() -> list[dict]:
    return [note for seed in gen_fresh.SEEDS for note in gen_fresh.generate(GEN_N, seed)]


@pytest.fixture(scope="module")
def handwritten() -> list[dict]:
    return handwritten_fresh.load()


def _counts(notes: list[dict]) -> Counter[str]:
    return Counter(span["label"] for note in notes for span in note["spans"])


def test_generated_spans_read_exactly_as_their_values(generated: list[dict]) -> None:
    gen_fresh.self_check(generated)
    for note in generated:
        assert note["corpus"] == gen_fresh.CORPUS
        for span in note["spans"]:
            assert note["text"][span["start"] : span["end"]] == span["value"]
            assert span["label"] in LABELS


def test_handwritten_spans_read_exactly_as_their_values(handwritten: list[dict]) -> None:
    for note in handwritten:
        assert note["corpus"] == handwritten_fresh.CORPUS
        assert not check_note(note)
        for span in note["spans"]:
            assert note["text"][span["start"] : span["end"]] == span["value"]
        # the marks are gone from the text
        assert "{" not in note["text"]
        assert "}" not in note["text"]


def test_generation_is_deterministic_per_seed() -> None:
    assert gen_fresh.generate(60, 12345) == gen_fresh.generate(60, 12345)
    assert gen_fresh.generate(60, 12345) != gen_fresh.generate(60, 12346)
    # a prefix does not depend on how many notes are asked for
    assert gen_fresh.generate(80, 7)[:30] == gen_fresh.generate(30, 7)


def test_at_least_300_handwritten_notes(handwritten: list[dict]) -> None:
    assert len(handwritten) >= 300  # 486 at the last count
    assert len({note["id"] for note in handwritten}) == len(handwritten)


@pytest.mark.parametrize("seed", list(gen_fresh.SEEDS))
def test_every_category_in_enough_quantity_in_each_generated_seed(seed: int) -> None:
    counts = _counts(gen_fresh.generate(GEN_N, seed))
    short = {label: counts[label] for label, least in GEN_MINIMUM.items() if counts[label] < least}
    assert not short, short


def test_every_category_in_enough_quantity_in_the_handwritten_notes(handwritten: list[dict]) -> None:
    counts = _counts(handwritten)
    short = {label: counts[label] for label, least in HANDWRITTEN_MINIMUM.items() if counts[label] < least}
    assert not short, short


def test_every_style_is_generated(generated: list[dict]) -> None:
    # the styles leave their mark: voice notes, forwarded headers, bullets, several persons
    texts = [note["text"] for note in generated]
    assert sum(" arobase " in t or " at " in t for t in texts) > 50
    assert sum("Message transféré" in t or "SMS" in t or "Texto" in t for t in texts) > 50
    assert sum(bool(re.search(r"^(- |• |\* |☐ |> )", t, re.M)) for t in texts) > 50
    assert sum(t.isupper() for t in texts if any(c.isalpha() for c in t)) > 10
    assert sum(t.startswith(("Tourn", "Planning", "Journ", "RECAP")) for t in texts) > 50


def test_no_two_notes_are_identical(generated: list[dict], handwritten: list[dict]) -> None:
    texts = [note["text"] for note in generated] + [note["text"] for note in handwritten]
    assert len(set(texts)) == len(texts)
    assert len({note["id"] for note in generated}) == len(generated)


# --- check digits: mostly valid, some mistyped on purpose ---------------------------------------


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _iban_ok(value: str) -> bool:
    compact = value.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _nir_ok(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    body = compact[:13].replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97 == int(compact[13:])


_CHECKERS = {
    "CARD": (lambda v: re.sub(r"[ -]", "", v), 16, _luhn_ok),
    "IMEI": (lambda v: re.sub(r"[ -]", "", v), 15, _luhn_ok),
    "IBAN": (lambda v: v.replace(" ", "").upper(), 27, _iban_ok),
    "NIR": (lambda v: v.replace(" ", "").upper(), 15, _nir_ok),
}


@pytest.mark.parametrize("label", list(_CHECKERS))
def test_check_digits_mostly_valid_some_mistyped(
    label: str, generated: list[dict], handwritten: list[dict]
) -> None:
    compact, length, is_valid = _CHECKERS[label]
    for notes in (generated, handwritten):
        values = [compact(s["value"]) for n in notes for s in n["spans"] if s["label"] == label]
        assert values
        assert all(len(v) == length for v in values), label
        valid = sum(is_valid(v) for v in values)
        assert valid >= 0.6 * len(values), (label, valid, len(values))
        assert valid < len(values), f"no deliberately mistyped {label}"


def test_siret_is_kept_and_luhn_valid_mostly(generated: list[dict]) -> None:
    sirets = [
        s["value"].replace(" ", "")
        for n in generated
        for s in n["spans"]
        if s["label"] == "KEEP" and re.fullmatch(r"[\d ]{14,17}", s["value"]) and "SIRET" in n["text"].upper()
    ]
    sirets = [v for v in sirets if len(v) == 14]
    assert len(sirets) > 50
    assert sum(_luhn_ok(v) for v in sirets) > 0.6 * len(sirets)


# --- the hand-written format -------------------------------------------------------------------


def test_parse_offsets_and_errors() -> None:
    text, spans = handwritten_fresh.parse("mr {N:Kerbrat} tel {T:06 12 34 56 78} ok")
    assert text == "mr Kerbrat tel 06 12 34 56 78 ok"
    assert [(s["label"], text[s["start"] : s["end"]]) for s in spans] == [
        ("PERSON", "Kerbrat"),
        ("PHONE", "06 12 34 56 78"),
    ]
    for bad in ("{X:foo}", "{N:foo", "a } b", "{N: foo}", "{N:Mme Durand}", "{K:}"):
        with pytest.raises(ValueError):
            handwritten_fresh.parse(bad)
