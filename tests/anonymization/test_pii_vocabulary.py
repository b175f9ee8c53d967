"""The technical vocabulary: from the templates, the built-in list and the caller's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from anonymization.errors import VocabularyError
from anonymization.guard import TechnicalGuard
from anonymization.vocabulary import TechnicalVocabulary, load_vocabulary, read_vocabulary_file
from reports.templates import TemplateCatalog


def test_templates_give_units_dropdown_answers_and_label_words(vocabulary: TechnicalVocabulary) -> None:
    assert {"R32", "R410A", "Gaz naturel"} <= vocabulary.terms
    assert {"°C", "bar", "ppm", "mA"} <= vocabulary.units
    assert vocabulary.is_technical_word("Circulateur")
    assert vocabulary.is_term("saunier duval") and vocabulary.is_term("DAIKIN")


def test_a_company_template_adds_its_words(tmp_path: Path) -> None:
    (tmp_path / "vmc.entretien.yaml").write_text(
        "id: vmc.entretien\ntitle: Entretien VMC\nequipment_category: vmc\nintervention_type: entretien\n"
        "selections:\n  - id: type_vmc\n    label: Type\n    choices: [Hygrocosy BC, Double flux]\n",
        encoding="utf-8",
    )
    vocabulary = load_vocabulary(TemplateCatalog.load(tmp_path))
    assert "Hygrocosy BC" in vocabulary.terms


def test_extra_files_yaml_and_text(tmp_path: Path) -> None:
    yaml_file = tmp_path / "maison.yaml"
    yaml_file.write_text(
        "brands: [Zodiac]\nunits: [kcal/h]\nmarkers: [bon]\nequipment: [piscine]\n", encoding="utf-8"
    )
    text_file = tmp_path / "termes.txt"
    text_file.write_text(
        "# our product lines\nPoolex Jetline\n\nOptimeo  # trailing comment\n", encoding="utf-8"
    )
    vocabulary = load_vocabulary(TemplateCatalog.load(), [yaml_file, text_file])
    assert (
        "Zodiac" in vocabulary.brands and "kcal/h" in vocabulary.units and "piscine" in vocabulary.equipment
    )
    assert {"Poolex Jetline", "Optimeo"} <= vocabulary.terms
    guard = TechnicalGuard(vocabulary)
    text = "Pompe Poolex Jetline, bon 4521-A, 12 kcal/h."
    kinds = {(text[s.start : s.end], s.kind) for s in guard.spans(text)}
    assert {("Poolex Jetline", "term"), ("4521-A", "marker"), ("12 kcal/h", "measurement")} <= kinds


def test_an_added_word_stops_a_redaction(tmp_path: Path) -> None:
    from anonymization.engine import PiiEngine

    text = "Installation d'un adoucisseur Culligan, voir Fleck au dépôt."
    before = PiiEngine(load_vocabulary(TemplateCatalog.load()))
    assert "Fleck" in [text[e.start : e.end] for e in before.detect(text)]
    (tmp_path / "mots.txt").write_text("Fleck\n", encoding="utf-8")
    after = PiiEngine(load_vocabulary(TemplateCatalog.load(), [tmp_path / "mots.txt"]))
    assert "Fleck" not in [text[e.start : e.end] for e in after.detect(text)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "brands: [Zodiac]\nbrand: [Typo]\n",
            r"extra\.yaml:2: brand: .*known keys: brands, terms, units, markers",
        ),
        ("brands: Zodiac\n", r"extra\.yaml:1: brands: Input should be a valid list"),
        ("brands: [Zodiac\n", r"extra\.yaml:2: invalid YAML"),
        ("- just\n- a list\n", r"extra\.yaml:1: expected a mapping"),
        (
            "brands: [Zodiac]\nterms: [Jetline]\nbrands: [Poolex]\n",
            r"extra\.yaml:3:1: duplicate key 'brands' \(first at line 1\): remove one",
        ),
        ("terms:\n  - {x: 1, x: 2}\n", r"extra\.yaml:2:12: duplicate key 'x' \(first at line 2\)"),
    ],
)
def test_bad_yaml_names_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "extra.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(VocabularyError, match=message):
        read_vocabulary_file(path)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match="cannot read"):
        read_vocabulary_file(tmp_path / "missing.txt")
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Chaudière".encode("latin-1"))
    with pytest.raises(VocabularyError, match="not UTF-8"):
        read_vocabulary_file(latin)
