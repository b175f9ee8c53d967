"""The engine end to end: detection with the model, the technical guard, bad input, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from anonymization.engine import PiiEngine
from anonymization.entities import Entity
from anonymization.errors import TextInputError
from anonymization.nlp import CHUNK_CHARS

CORPUS = Path(__file__).parents[1] / "fixtures" / "pii" / "corpus.jsonl"


def detected(engine: PiiEngine, text: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start : e.end]) for e in engine.detect(text)]


def test_the_issue_example(pii_engine: PiiEngine) -> None:
    text = "Rappeler Mme Leroy au 06 12 34 56 78, clés chez le voisin M. Martin, 12 rue des Lilas 69003 Lyon."
    assert detected(pii_engine, text) == [
        ("PERSON", "Leroy"),
        ("PHONE_NUMBER", "06 12 34 56 78"),
        ("PERSON", "Martin"),
        ("ADDRESS", "12 rue des Lilas 69003 Lyon"),
    ]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "Chaudière Saunier Duval ThemaPlus Condens F25, CO 12 ppm, rendement 104,5 %.",
            "Saunier Duval ThemaPlus Condens F25",
        ),
        ("PAC Daikin Altherma 3 R EHBH08E6V en défaut U4.", "Daikin Altherma 3 R EHBH08E6V"),
        ("chaudière Ferroli Bluehelix Tech RRT 24C en défaut A03", "Ferroli Bluehelix Tech RRT 24C"),
        ("Fluide R410A récupéré : 1,25 kg, puis R32.", "R410A"),
        ("Disjoncteur 20 A 30 mA, section 2,5 mm².", "20 A 30 mA"),
        ("N° de série 4970101234567893 relevé sur la plaque.", "4970101234567893"),
        ("S/N 0612345678 sur l'étiquette.", "0612345678"),
        ("Réf. SD-0020135147 commandée, contrat CT-2025-0042, devis DEV-2025-00123.", "SD-0020135147"),
        ("Fiche Cerfa 15497 remplie, norme NF C 15-100.", "NF C 15-100"),
        ("Firmware v14.0.6.0 installé.", "v14.0.6.0"),
        ("Tableau Legrand XL³ 160, réf. Legrand 411617.", "Legrand 411617"),
    ],
)
def test_technical_content_survives(pii_engine: PiiEngine, text: str, kept: str) -> None:
    start = text.index(kept)
    assert not [e for e in pii_engine.detect(text) if e.overlaps(start, start + len(kept))]


def test_a_civility_makes_a_brand_a_person(pii_engine: PiiEngine) -> None:
    text = "Mme Legrand a fait remplacer son tableau Legrand XL³ 160."
    assert detected(pii_engine, text) == [("PERSON", "Legrand")]
    assert pii_engine.detect(text)[0].start == 4


def test_a_name_found_once_is_found_everywhere(pii_engine: PiiEngine) -> None:
    text = "Appeler M. Fabre avant. Fabre travaille de nuit, FABRE au portail."
    assert [t for t, _ in detected(pii_engine, text)] == ["PERSON"] * 3


def test_the_report_s_own_values_are_kept(pii_engine: PiiEngine) -> None:
    text = "Valeur relevée : 0645789012 au compteur."
    assert detected(pii_engine, text) == [("PHONE_NUMBER", "0645789012")]
    assert pii_engine.detect(text, keep=["0645789012"]) == []


def test_detect_many_keeps_order_and_handles_empty_texts(pii_engine: PiiEngine) -> None:
    texts = ["", "M. Dupont", "   ", "Rien à signaler.", "tél 06 12 34 56 78"]
    result = pii_engine.detect_many(texts)
    assert [len(r) for r in result] == [0, 1, 0, 0, 1]
    assert all(isinstance(e, Entity) for found in result for e in found)


def test_entities_never_overlap_and_are_sorted(pii_engine: PiiEngine) -> None:
    text = "Jean Dupont (jean.dupont@orange.fr), 12 rue Jean Dupont 75011 Paris, 06 12 34 56 78 - Jean Dupont"
    found = pii_engine.detect(text)
    assert found == sorted(found)
    assert all(a.end <= b.start for a, b in pairwise(found))


def test_long_text_is_cut_in_pieces_without_losing_entities(pii_engine: PiiEngine) -> None:
    filler = "Contrôle des sondes et du circulateur, rien à signaler. " * (2 * CHUNK_CHARS // 56)
    text = filler + "Rappeler M. Garnier au 06 98 76 54 32. " + filler + "Mail : a.garnier@free.fr"
    assert len(text) > 2 * CHUNK_CHARS
    assert detected(pii_engine, text) == [
        ("PERSON", "Garnier"),
        ("PHONE_NUMBER", "06 98 76 54 32"),
        ("EMAIL_ADDRESS", "a.garnier@free.fr"),
    ]


def test_a_megabyte_beyond_spacy_max_length(pii_engine: PiiEngine) -> None:
    text = ("Pression 1,5 bar. " * 60_000) + "IBAN FR76 3000 6000 0112 3456 7890 189"
    assert len(text) > 1_000_000 > pii_engine.nlp.max_length
    assert detected(pii_engine, text)[-1] == ("IBAN_CODE", "FR76 3000 6000 0112 3456 7890 189")


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x07\x1b[31mM. Roux\x1b[0m au 06 77 88 99 00\x7f",
        "Клиент M. Иванов, 電話 06 77 88 99 00, مرحبا",
        "lone \ud800 surrogate, M. Roux",
        "👍" * 300,
        "\n\n\t\r",
    ],
)
def test_odd_text_does_not_crash(pii_engine: PiiEngine, text: str) -> None:
    for entity in pii_engine.detect(text):
        assert 0 <= entity.start < entity.end <= len(text)


def test_non_strings_are_refused_with_their_index(pii_engine: PiiEngine) -> None:
    with pytest.raises(TextInputError, match="#1 is a bytes"):
        pii_engine.detect_many(["ok", b"bytes"])  # type: ignore[list-item]


def test_corpus_stays_below_the_targets(pii_engine: PiiEngine) -> None:
    """A regression guard on part of the benchmark corpus (no timing here: see bench/pii_eval.py)."""
    documents = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    documents = documents[:250] + [d for d in documents if d["source"] == "hard"]
    results = pii_engine.detect_many([d["text"] for d in documents])
    leaked = total = damaged = technical = 0
    for document, found in zip(documents, results, strict=True):
        covered = {i for e in found for i in range(e.start, e.end)}
        for span in document["entities"]:
            chars = [i for i in range(span["start"], span["end"]) if not document["text"][i].isspace()]
            total += len(chars)
            leaked += sum(i not in covered for i in chars)
        for token in document["technical"]:
            technical += 1
            damaged += any(e.overlaps(token["start"], token["end"]) for e in found)
    assert leaked / total <= 0.01
    assert damaged / technical <= 0.02


def test_detection_works_with_the_network_cut_off(tmp_path: Path) -> None:
    """A fresh process whose sockets all fail still loads the model and detects (nothing is downloaded)."""
    code = """
import socket
def refuse(*args, **kwargs):
    raise OSError("network disabled by the test")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from anonymization.engine import PiiEngine
engine = PiiEngine()
text = "Mail : jean.dupont@orange.fr, tél 06 12 34 56 78, Mme Leroy."
print(sorted({e.type for e in engine.detect(text)}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "['EMAIL_ADDRESS', 'PERSON', 'PHONE_NUMBER']"
