"""Shared set-up of the round-4 adversary tests: a fresh home, generated reports, the CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from reports.samples import Sample, generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus


def valid_samples(
    count: int,
    *,
    seed: int = 11,
    unfinished: bool | None = None,
    day: str | None = None,
    category: str | None = None,
) -> list[Sample]:
    """Valid generated reports (photos inline), moved to ``day`` (default: 3 days ago)."""
    samples = generate_samples(TemplateCatalog.load(), max(24, count * 12), seed=seed, photo_size=(160, 120))
    chosen = [
        s
        for s in samples
        if s.expected == "valid"
        and (unfinished is None or s.unfinished == unfinished)
        and (category is None or s.payload["equipment"]["category"] == category)
    ][:count]
    assert len(chosen) == count
    target = day or (dt.date.today() - dt.timedelta(days=3)).isoformat()
    moved = []
    for sample in chosen:
        old = sample.payload["arrival"][:10]
        payload = json.loads(json.dumps(sample.payload).replace(f'"{old}T', f'"{target}T'))
        if "request" in payload and payload["request"].get("date", "") > target:
            payload["request"]["date"] = target
        moved.append(dataclasses.replace(sample, payload=payload))
    return moved


def new_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    result = run_quitus(home, "init", "--company", "Thermi'Clim Services")
    assert result.returncode == 0, result.stdout + result.stderr
    return home


def ingest_payloads(home: Path, payloads: list[dict[str, Any]], folder: Path) -> list[str]:
    """Write the payloads as JSON files, ingest them, return the report ids in order."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index, payload in enumerate(payloads):
        path = folder / f"{index:03d}.json"
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        files.append(str(path))
    result = run_quitus(home, "ingest", *files)
    ids = []
    for line in result.stdout.splitlines():
        for word in line.replace("→", " ").split():
            if word.startswith("RI-01") and len(word.rstrip(":,")) == 29:
                ids.append(word.rstrip(":,"))
                break
    return ids


def process(home: Path) -> None:
    result = run_quitus(home, "process")
    assert result.returncode == 0, result.stdout + result.stderr


def personal_values(payload: dict[str, Any]) -> list[str]:
    client = payload["client"]
    values = [client.get("name"), client.get("email"), client.get("phone")]
    return [v for v in values if v]
