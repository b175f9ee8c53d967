"""The readings a technician's status page shows, judged by :func:`reports.readings.judge_reading`.

They are read from the report's *redacted* copy (the one the anonymized PDF is made of),
which holds no personal data: showing them is not a read of personal data. Before the
report is redacted, or once its key is destroyed, the page shows no readings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError

from reports.errors import TemplateError
from reports.pdf.formatting import french_number
from reports.readings import judge_reading, verdict_lines
from reports.schema import Measurement
from reports.templates import MeasurementSpec, TemplateCatalog
from storage.blob_kinds import BlobKind
from storage.errors import StorageError
from storage.report_store import ReportStore, ReportSummary

__all__ = ["ShownReading", "status_readings"]


@dataclass(frozen=True)
class ShownReading:
    """One line of the status page's readings table."""

    label: str
    value: str
    """The value as a French technician writes it (``1,5``)."""
    unit: str
    usual_range: str
    verdict: tuple[tuple[str, bool], ...]
    """``(text, alarm)`` lines; alarm lines are shown in red."""

    @property
    def alarm(self) -> bool:
        return any(alarm for _, alarm in self.verdict)


def status_readings(
    store: ReportStore, catalog: TemplateCatalog, report: ReportSummary
) -> list[ShownReading]:
    """The report's readings and their verdicts; empty when they cannot be shown (yet)."""
    if report.template_id is None:
        return []
    blob_id = store.latest_blob(report.id, BlobKind.REDACTED_REPORT)
    if blob_id is None:
        return []
    try:
        template = catalog.by_id(report.template_id)
        data = json.loads(store.read_blob(report.id, blob_id))
    except (TemplateError, StorageError, ValueError):
        return []  # template removed or broken, key destroyed, blob unreadable: no table
    shown = []
    for raw in data.get("measurements", []) if isinstance(data, dict) else []:
        try:
            measurement = Measurement.model_validate(raw)
        except ValidationError:
            continue
        judgement = judge_reading(measurement, template)
        spec = judgement.spec
        shown.append(
            ShownReading(
                label=spec.label if spec else measurement.id,
                value=french_number(measurement.value),
                unit=measurement.unit,
                usual_range=_usual_range(spec),
                verdict=tuple(verdict_lines(judgement, number=french_number)),
            )
        )
    return shown


def _usual_range(spec: MeasurementSpec | None) -> str:
    if spec is None or (spec.min is None and spec.max is None):
        return "—"
    if spec.min is not None and spec.max is not None:
        return f"{french_number(spec.min)} à {french_number(spec.max)} {spec.unit}"
    if spec.min is not None:
        return f"≥ {french_number(spec.min)} {spec.unit}"
    assert spec.max is not None
    return f"≤ {french_number(spec.max)} {spec.unit}"
