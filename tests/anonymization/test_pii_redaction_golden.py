"""Redaction outputs pinned byte for byte: placeholders, keyed pseudonyms and masks.

``redaction_golden.json.gz`` holds, for a few hundred notes (the project corpus and the
tuning part of ``bench/pii_corpora``) and a dozen generated reports, what each
redactor configuration returned when the fixture was recorded: the redacted texts, the
redacted reports and their ``Redaction`` lists. It also holds what the engine detected
in each text, and the test replays those detections: the fixture pins *redaction*
(numbering, pseudonyms, masks, the report's own values found in its free text), not
detection, which keeps changing as the recognizers improve.

Re-record only when a change of output is intended, and say so in the commit::

    .venv/bin/python -m tests.anonymization.test_pii_redaction_golden --record
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from anonymization.engine import PiiEngine
from anonymization.entities import Entity
from anonymization.operators import MASKABLE_TYPES
from anonymization.redaction import KeptFields, RedactedReport, ReportRedactor
from reports.schema import InterventionReport

FIXTURE = Path(__file__).with_name("redaction_golden.json.gz")
KEY = bytes(range(32))
"""The fixed pseudonym key the fixture was recorded with."""

CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "placeholder": {},
    "pseudonym": {"pseudonym_key": KEY},
    "placeholder_with_key": {"pseudonym_key": KEY, "style": "placeholder"},
    "mask": {"masked_types": sorted(MASKABLE_TYPES)},
    "mask_with_pseudonym": {"pseudonym_key": KEY, "masked_types": sorted(MASKABLE_TYPES)},
}
KEPT: dict[str, KeptFields | None] = {
    "all": None,
    "client_copy": KeptFields(own=("client",), other_structured=True),
    "technician_copy": KeptFields(own=("technician",)),
}
EXTRA_TEXTS = [
    "",
    "Mme Leroy au 06 12 34 56 78 ; M. Martin au 07 11 22 33 44 ; Mme Leroy rappelle au 0612345678.",
    "Écrire à jean point dupont arobase orange point fr ou jean.dupont@orange.fr, tél +33 6 12 34 56 78.",
    "IBAN FR76 3000 6000 0112 3456 7890 189, carte 4970 1012 3456 7893, Jean Dupont et Dupont seul.",
    "Clés chez M. Martin, 12 rue des Lilas. Fluide R32, 1,2 kg.",
]


def _digest(text: str, keep: Iterable[str]) -> str:
    """Where a detection is recorded: the text and the technical values it was told to keep."""
    return hashlib.sha256("\x1f".join([text, *sorted(keep)]).encode("utf-8", "surrogatepass")).hexdigest()


def _keeps(texts: Sequence[str], keep: Sequence[Iterable[str]] | None) -> list[list[str]]:
    return [list(values) for values in keep] if keep is not None else [[] for _ in texts]


class _ReplayedEngine(PiiEngine):
    """Returns the detections recorded in the fixture: no model, no recognizer."""

    def __init__(self, detections: dict[str, list[list[Any]]]) -> None:
        self.detections = detections

    def detect_many(
        self, texts: Sequence[str], *, keep: Sequence[Iterable[str]] | None = None
    ) -> list[list[Entity]]:
        return [
            [Entity(*found) for found in self.detections[_digest(text, values)]]
            for text, values in zip(texts, _keeps(texts, keep), strict=True)
        ]


class _RecordingEngine(PiiEngine):
    """The real engine, remembering what it found in each text."""

    def __init__(self) -> None:
        super().__init__()
        self.detections: dict[str, list[list[Any]]] = {}

    def detect_many(
        self, texts: Sequence[str], *, keep: Sequence[Iterable[str]] | None = None
    ) -> list[list[Entity]]:
        keeps = _keeps(texts, keep)
        found = super().detect_many(texts, keep=keeps)
        for text, values, entities in zip(texts, keeps, found, strict=True):
            self.detections[_digest(text, values)] = [[e.start, e.end, e.type, e.score] for e in entities]
        return found


def _report_output(result: RedactedReport) -> dict[str, Any]:
    return {
        "report": result.report.model_dump(mode="json", warnings=False),
        "redactions": [asdict(redaction) for redaction in result.redactions],
    }


def _outputs(engine: PiiEngine, texts: Sequence[str], reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    models = [InterventionReport.model_validate(payload) for payload in reports]
    outputs: dict[str, Any] = {}
    for name, options in CONFIGURATIONS.items():
        redactor = ReportRedactor(engine, **options)
        copies = {
            kept_name: None if kept is None else [kept] * len(models) for kept_name, kept in KEPT.items()
        }
        outputs[name] = {
            "texts": [redactor.redact_text(text) for text in texts],
            "reports": {
                kept_name: [_report_output(r) for r in redactor.redact_reports(models, kept=kept)]
                for kept_name, kept in copies.items()
            },
        }
    return outputs


def _without_images(value: Any) -> Any:
    """A report payload whose inline images are blob references (redaction never reads images)."""
    if isinstance(value, dict):
        if "content_base64" in value:
            return {"blob_id": "golden-" + hashlib.sha256(value["content_base64"].encode()).hexdigest()[:16]}
        return {k: _without_images(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_images(v) for v in value]
    return value


def record() -> None:
    """Write the fixture from the current code (see the module docstring)."""
    sys.path.insert(0, str(Path(__file__).parents[2]))
    from bench.pii_corpora import split  # the recorder only: the test reads the fixture
    from reports.samples import generate_samples
    from reports.templates import TemplateCatalog
    from tests.anonymization.test_pii_redaction import make_report

    corpus = Path(__file__).parents[1] / "fixtures/pii/corpus.jsonl"
    lines = corpus.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines[:250]]
    texts += [note["text"] for note in split.tuning(range(2), 100)]
    texts += EXTRA_TEXTS
    samples = generate_samples(TemplateCatalog.load(), 16, seed=11, photo_size=(16, 16))
    reports = [s.payload for s in samples if s.expected == "valid"][:10]
    reports.append(json.loads(make_report().model_dump_json()))
    reports = [_without_images(payload) for payload in reports]
    engine = _RecordingEngine()
    outputs = _outputs(engine, texts, reports)
    fixture = {"texts": texts, "reports": reports, "detections": engine.detections, "outputs": outputs}
    data = json.dumps(fixture, ensure_ascii=False, sort_keys=True, indent=0).encode("utf-8", "surrogatepass")
    FIXTURE.write_bytes(gzip.compress(data, mtime=0))
    print(f"{FIXTURE}: {len(texts)} texts, {len(reports)} reports, {FIXTURE.stat().st_size} bytes")


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return json.loads(gzip.decompress(FIXTURE.read_bytes()).decode("utf-8", "surrogatepass"))


@pytest.fixture(scope="module")
def replayed(golden: dict[str, Any]) -> dict[str, Any]:
    return _outputs(_ReplayedEngine(golden["detections"]), golden["texts"], golden["reports"])


@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_texts_are_redacted_as_recorded(
    golden: dict[str, Any], replayed: dict[str, Any], configuration: str
) -> None:
    expected, actual = golden["outputs"][configuration]["texts"], replayed[configuration]["texts"]
    differing = [i for i, (e, a) in enumerate(zip(expected, actual, strict=True)) if e != a]
    assert not differing, f"{len(differing)} texts differ, first at index {differing[:5]}"


@pytest.mark.parametrize("kept", list(KEPT))
@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_reports_are_redacted_as_recorded(
    golden: dict[str, Any], replayed: dict[str, Any], configuration: str, kept: str
) -> None:
    expected = golden["outputs"][configuration]["reports"][kept]
    actual = json.loads(json.dumps(replayed[configuration]["reports"][kept], ensure_ascii=False))
    for number, (e, a) in enumerate(zip(expected, actual, strict=True)):
        assert e["redactions"] == a["redactions"], f"report #{number}: Redaction list differs"
        assert e["report"] == a["report"], f"report #{number}: redacted report differs"


def test_the_fixture_exercises_every_operator(golden: dict[str, Any]) -> None:
    """A golden test that pins nothing would pass anything: check it holds each kind of output."""
    texts = golden["outputs"]
    assert len(golden["texts"]) >= 400 and len(golden["reports"]) >= 8
    assert any("<PERSONNE_2>" in t for t in texts["placeholder"]["texts"])
    assert any("<TÉLÉPHONE_" in t and len(t) > 20 for t in texts["pseudonym"]["texts"])
    assert any("••" in t for t in texts["mask"]["texts"])
    assert any("<EMAIL_" in t for t in texts["mask"]["texts"])  # an e-mail mask() cannot show
    assert texts["placeholder"]["texts"] != golden["texts"]


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit(f"usage: python -m {__spec__.name if __spec__ else __file__} --record")
    record()
