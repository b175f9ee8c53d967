"""The blind index: one digest per person's e-mail, phone or name, however it is written."""

from __future__ import annotations

import pytest

from storage.blind_index import legacy_phone_term, normalize_term, subject_digest

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("written", "term"),
    [
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("tél. 06-12-34-56-78", "+33612345678"),
        ("01 23 45 67 89", "+33123456789"),
        # dialled like France, but overseas: the same number whichever way it is written
        ("0262 12 34 56", "+262262123456"),
        ("+262 262 12 34 56", "+262262123456"),
        ("0590 12 34 56", "+590590123456"),
        ("0696 12 34 56", "+596696123456"),
        # a foreign number keeps its country
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        # not a possible number: digits only, as index version 1 did
        ("123456", "123456"),
        ("06 12 34 56 78 90 12", "06123456789012"),
        ("12", None),
        ("pas de numéro", None),
    ],
)
def test_a_phone_is_normalized_to_e164(written: str, term: str | None) -> None:
    assert normalize_term("phone", written) == term


def test_every_writing_of_one_phone_gives_one_digest() -> None:
    writings = ["+33 (0)6 12 34 56 78", "06 12 34 56 78", "0612345678", "+33612345678"]
    assert len({subject_digest(KEY, "phone", w) for w in writings}) == 1
    # index version 1 gave "+33 (0)6…" a digest of its own: a request by phone missed reports
    assert len({legacy_phone_term(w) for w in writings}) == 2


def test_e_mails_and_names_are_unchanged() -> None:
    assert normalize_term("email", " Jeanne@Exemple.FR ") == "jeanne@exemple.fr"
    assert normalize_term("name", "Mme Dupont, Jean-Éric") == "dupont eric jean"
