"""The second fresh held-out pair (``gen_fresh2``, ``handwritten_fresh2``) is well formed.

Only aggregate properties are checked: no note is printed (they are held out).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bench.pii_corpora import gen_fresh, gen_fresh2, handwritten_fresh, handwritten_fresh2, split
from bench.pii_corpora._note import LABELS, PII_LABELS, Note, check_note

GEN_N = 200

# Minimum spans per label in ``gen_fresh2.generate(200, seed)`` for each seed of ``SEEDS``
# (about two thirds of the smallest count over the five seeds), and in the hand-written notes.
GEN_MINIMUM = {
    "PERSON": 400, "PHONE": 250, "EMAIL": 80, "ADDRESS": 250, "GPS": 20, "PLATE": 25,
    "CARD": 18, "IBAN": 30, "NIR": 20, "MAC": 20, "IP": 20, "IMEI": 30, "ACCESS_CODE": 90,
    "KEEP": 1200,
}  # fmt: skip
HANDWRITTEN_MINIMUM = {
    "PERSON": 250, "PHONE": 60, "EMAIL": 20, "ADDRESS": 50, "GPS": 12, "PLATE": 12,
    "CARD": 12, "IBAN": 12, "NIR": 12, "MAC": 12, "IP": 12, "IMEI": 12, "ACCESS_CODE": 25,
    "KEEP": 100,
}  # fmt: skip


@pytest.fixture(scope="module")
def generated() -> list[Note]:
    return [note for seed in gen_fresh2.SEEDS for note in gen_fresh2.generate(GEN_N, seed)]


@pytest.fixture(scope="module")
def handwritten() -> list[Note]:
    return handwritten_fresh2.load()


def _counts(notes: list[Note]) -> Counter[str]:
    return Counter(span["label"] for note in notes for span in note["spans"])


# --- offsets, labels, ids ------------------------------------------------------------------------


def test_generated_spans_read_exactly_as_their_values(generated: list[Note]) -> None:
    gen_fresh2.self_check(generated)
    for note in generated:
        assert note["corpus"] == gen_fresh2.CORPUS
        assert re.fullmatch(r"fresh2-s80\d\d-\d{4}", note["id"])
        for span in note["spans"]:
            assert note["text"][span["start"] : span["end"]] == span["value"]
            assert span["label"] in LABELS


def test_handwritten_spans_read_exactly_as_their_values(handwritten: list[Note]) -> None:
    for note in handwritten:
        assert note["corpus"] == handwritten_fresh2.CORPUS
        assert not check_note(note)
        assert note["spans"], note["id"]
        for span in note["spans"]:
            assert note["text"][span["start"] : span["end"]] == span["value"]
        # the marks are gone from the text
        assert "{" not in note["text"]
        assert "}" not in note["text"]


def test_every_label_is_present_in_each_generated_seed_and_in_the_handwritten_notes(
    handwritten: list[Note],
) -> None:
    for seed in gen_fresh2.SEEDS:
        counts = _counts(gen_fresh2.generate(GEN_N, seed))
        assert [label for label in LABELS if not counts[label]] == [], seed
    counts = _counts(handwritten)
    assert [label for label in LABELS if not counts[label]] == []


# --- determinism ---------------------------------------------------------------------------------


def test_generation_is_deterministic_per_seed() -> None:
    assert gen_fresh2.generate(60, 12345) == gen_fresh2.generate(60, 12345)
    assert gen_fresh2.generate(60, 12345) != gen_fresh2.generate(60, 12346)
    # a prefix does not depend on how many notes are asked for
    assert gen_fresh2.generate(80, 7)[:30] == gen_fresh2.generate(30, 7)
    assert range(8000, 8005) == gen_fresh2.SEEDS


# --- sizes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", list(gen_fresh2.SEEDS))
def test_two_hundred_generated_notes_hold_at_least_500_personal_values(seed: int) -> None:
    notes = gen_fresh2.generate(GEN_N, seed)
    assert len(notes) == GEN_N
    assert len({note["id"] for note in notes}) == GEN_N
    assert sum(span["label"] in PII_LABELS for note in notes for span in note["spans"]) >= 500


@pytest.mark.parametrize("seed", list(gen_fresh2.SEEDS))
def test_every_category_in_enough_quantity_in_each_generated_seed(seed: int) -> None:
    counts = _counts(gen_fresh2.generate(GEN_N, seed))
    short = {label: counts[label] for label, least in GEN_MINIMUM.items() if counts[label] < least}
    assert not short, short


def test_at_least_200_handwritten_notes_with_unique_ids_and_texts(handwritten: list[Note]) -> None:
    assert len(handwritten) >= 200  # 250 at the last count
    assert len({note["id"] for note in handwritten}) == len(handwritten)
    assert len({note["text"] for note in handwritten}) == len(handwritten)
    assert handwritten[0]["id"] == "hwf2-0001"


def test_every_category_in_enough_quantity_in_the_handwritten_notes(handwritten: list[Note]) -> None:
    counts = _counts(handwritten)
    short = {label: counts[label] for label, least in HANDWRITTEN_MINIMUM.items() if counts[label] < least}
    assert not short, short


# --- registers and independence -----------------------------------------------------------------


def test_every_register_is_generated(generated: list[Note]) -> None:
    texts = [note["text"] for note in generated]
    upper = [t.upper() for t in texts]
    call_logs = sum(t.startswith(("JOURNAL", "APPELS DU JOUR", "PERMANENCE", "MAIN COURANTE")) for t in upper)
    quotes = sum("DEVIS N°" in t or "FACTURE N°" in t for t in upper)
    handovers = sum(bool(re.match(r"(POUR |@|PASSATION POUR |\w+ — )", t)) for t in upper)
    franglais = sum(
        bool(re.match(r"(CUSTOMER|CALLER|CLIENT M|\[TRADUIT|TRADUCTION AUTO|\(TRANSLATED\))", t))
        for t in upper
    )
    spreadsheets = sum(t.count(";") >= 10 for t in texts)
    disputes = sum("HUISSIER" in t for t in upper)
    counts = {
        "call_log": call_logs,
        "quote": quotes,
        "handover": handovers,
        "franglais": franglais,
        "spreadsheet": spreadsheets,
        "dispute": disputes,
    }
    assert set(counts) == set(gen_fresh2.REGISTERS)
    assert all(count > 100 for count in counts.values()), counts
    assert sum(t.isupper() for t in texts) > 10  # caps lock on
    assert sum(t == t.lower() for t in texts) > 30  # typed fast: lower case, no accents


def test_no_note_is_repeated_nor_shared_with_the_first_fresh_pair(
    generated: list[Note], handwritten: list[Note]
) -> None:
    texts = [note["text"] for note in generated] + [note["text"] for note in handwritten]
    assert len(set(texts)) == len(texts)
    others = {note["text"] for note in gen_fresh.generate(GEN_N, gen_fresh.SEEDS[0])}
    others |= {note["text"] for note in handwritten_fresh.load()}
    assert not set(texts) & others


def test_registered_as_held_out() -> None:
    assert {gen_fresh2.CORPUS, handwritten_fresh2.CORPUS} <= split.HELD_OUT_CORPORA
    assert not {gen_fresh2.CORPUS, handwritten_fresh2.CORPUS} & split.TUNING_CORPORA
    held = split.held_out(n=3)
    assert len(held[gen_fresh2.CORPUS]) == 3 * len(gen_fresh2.SEEDS)
    assert held[gen_fresh2.CORPUS][:3] == gen_fresh2.generate(3, gen_fresh2.SEEDS[0])
    assert held[handwritten_fresh2.CORPUS] == handwritten_fresh2.load()
    assert not any(split.is_tuning(note) for notes in held.values() for note in notes)


# --- check digits: mostly valid, about 15 % mistyped on purpose ---------------------------------


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
    rearranged = value[4:] + value[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _nir_ok(value: str) -> bool:
    body = value[:13].replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97 == int(value[13:])


_CHECKERS = {
    "CARD": (lambda v: re.sub(r"[ -]", "", v), 16, _luhn_ok),
    "IMEI": (lambda v: re.sub(r"[ -]", "", v), 15, _luhn_ok),
    "IBAN": (lambda v: v.replace(" ", "").upper(), 27, _iban_ok),
    "NIR": (lambda v: v.replace(" ", "").upper(), 15, _nir_ok),
}


@pytest.mark.parametrize("label", list(_CHECKERS))
def test_check_digits_mostly_valid_some_mistyped(
    label: str, generated: list[Note], handwritten: list[Note]
) -> None:
    compact, length, is_valid = _CHECKERS[label]
    for notes, least_wrong, most_wrong in ((generated, 0.07, 0.25), (handwritten, 0.05, 0.3)):
        values = [compact(s["value"]) for n in notes for s in n["spans"] if s["label"] == label]
        assert values
        assert all(len(v) == length for v in values), label
        wrong = sum(not is_valid(v) for v in values) / len(values)
        assert least_wrong <= wrong <= most_wrong, (label, wrong, len(values))


def test_company_sirets_are_kept_and_mostly_luhn_valid(generated: list[Note]) -> None:
    sirets = [
        s["value"].replace(" ", "")
        for n in generated
        for s in n["spans"]
        if s["label"] == "KEEP" and re.fullmatch(r"\d{3} \d{3} \d{3} \d{5}|\d{14}", s["value"])
    ]
    assert len(sirets) > 150
    valid = sum(_luhn_ok(v) for v in sirets)
    assert 0.7 * len(sirets) < valid < len(sirets)


# --- the hand-written format ---------------------------------------------------------------------


def test_parse_offsets() -> None:
    text, spans = handwritten_fresh2.parse("mme {P:Hoarau} tel {TEL:0692 12 34 56}\ncode {CODE:4417}")
    assert text == "mme Hoarau tel 0692 12 34 56\ncode 4417"
    assert [(s["label"], text[s["start"] : s["end"]]) for s in spans] == [
        ("PERSON", "Hoarau"),
        ("PHONE", "0692 12 34 56"),
        ("ACCESS_CODE", "4417"),
    ]


@pytest.mark.parametrize(
    ("marked", "complaint"),
    [
        ("{X:foo}", "unknown tag"),
        ("{P:foo", "stray brace"),
        ("a } b", "stray brace"),
        ("{P: foo}", "blanks around"),
        ("{P:Mme Payet}", "civility"),
        ("{P:m. Payet}", "civility"),
        ("{K:}", "empty"),
    ],
)
def test_parse_refuses_malformed_marks(marked: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        handwritten_fresh2.parse(marked)


def test_load_names_the_line_of_a_bad_note(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("# header\n%%\nok {P:Payet}\n%%\nchez {P:Mme Grondin}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"notes\.txt:5 .*civility"):
        handwritten_fresh2.load(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("# header only\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no '%%' line"):
        handwritten_fresh2.load(empty)
