"""Readings are recorded, then judged: the one rule that says how a measurement compares to its template.

A reading outside the template's usual range is what a report must record (a CO level
above 50 ppm, a low hot-water temperature): it is accepted and flagged *hors plage*.
A reading that crosses one of the template's thresholds is accepted too, provided the
report shows what the threshold requires (a checklist item done, with a comment).
Only an impossible reading — not in the template's unit — is refused.

:func:`judge_reading` is used by validation, the PDF and the status page alike, so the
three never disagree. It never raises; a reading without template entry is ``UNCHECKED``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from reports.schema import ChecklistItem, InterventionReport, Measurement
from reports.templates import MeasurementSpec, Template, ThresholdRequirement, ThresholdSpec

__all__ = [
    "MissingConsequence",
    "ReadingJudgement",
    "ReadingVerdict",
    "judge_reading",
    "judge_readings",
    "missing_consequences",
    "threshold_text",
    "verdict_lines",
]


class ReadingVerdict(StrEnum):
    """How a reading compares to its template, from the most to the least serious."""

    WRONG_UNIT = "wrong_unit"
    """Not in the template's unit: the value means nothing, the report is refused."""
    THRESHOLD_CROSSED = "threshold_crossed"
    """Beyond a threshold: accepted when the report shows what the threshold requires."""
    OUT_OF_RANGE = "out_of_range"
    """Outside the usual range: recorded and flagged *hors plage*."""
    WITHIN = "within"
    """Inside the usual range."""
    UNCHECKED = "unchecked"
    """The template gives no range for it (or does not know the measurement)."""


@dataclass(frozen=True)
class ReadingJudgement:
    """One reading and what its template says about it."""

    measurement: Measurement
    spec: MeasurementSpec | None
    """The template's entry; ``None`` for a measurement the template does not have."""
    verdict: ReadingVerdict
    out_of_range: bool = False
    """Outside ``min..max`` (also true when a threshold is crossed beyond the range)."""
    crossed: tuple[ThresholdSpec, ...] = ()
    """The thresholds the reading crosses, in template order."""


def judge_reading(measurement: Measurement, template: Template) -> ReadingJudgement:
    """``measurement`` judged against ``template``: within, out of range, threshold crossed…"""
    spec = template.measurement(measurement.id)
    if spec is None:
        return ReadingJudgement(measurement, None, ReadingVerdict.UNCHECKED)
    if measurement.unit != spec.unit:
        return ReadingJudgement(measurement, spec, ReadingVerdict.WRONG_UNIT)
    value = measurement.value
    outside = (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max)
    crossed = tuple(t for t in spec.thresholds if t.crossed_by(value))
    if crossed:
        verdict = ReadingVerdict.THRESHOLD_CROSSED
    elif outside:
        verdict = ReadingVerdict.OUT_OF_RANGE
    elif spec.min is None and spec.max is None:
        verdict = ReadingVerdict.UNCHECKED
    else:
        verdict = ReadingVerdict.WITHIN
    return ReadingJudgement(measurement, spec, verdict, out_of_range=outside, crossed=crossed)


def judge_readings(report: InterventionReport, template: Template) -> list[ReadingJudgement]:
    """Every reading of ``report``, in report order."""
    return [judge_reading(m, template) for m in report.measurements]


@dataclass(frozen=True)
class MissingConsequence:
    """A threshold's requirement the report does not show."""

    threshold: ThresholdSpec
    requirement: ThresholdRequirement
    not_done: bool
    """The checklist item is absent or not ``fait``."""
    not_commented: bool
    """The item needs a comment and has none."""


def missing_consequences(judgement: ReadingJudgement, report: InterventionReport) -> list[MissingConsequence]:
    """What the thresholds ``judgement`` crosses require and ``report`` lacks."""
    items: dict[str, ChecklistItem] = {item.id: item for item in report.checklist}
    missing = []
    for threshold in judgement.crossed:
        for requirement in threshold.requires:
            item = items.get(requirement.item)
            not_done = item is None or item.status != "fait"
            not_commented = requirement.comment and (item is None or not (item.comment or "").strip())
            if not_done or not_commented:
                missing.append(MissingConsequence(threshold, requirement, not_done, not_commented))
    return missing


def threshold_text(threshold: ThresholdSpec, unit: str, *, number: str | None = None) -> str:
    """``> 50 ppm`` or ``< 45 °C`` (``number``: the limit as the caller formats numbers)."""
    sign = ">" if threshold.above is not None else "<"
    return f"{sign} {number if number is not None else threshold.limit} {unit}"


def verdict_lines(
    judgement: ReadingJudgement, *, number: Callable[[Decimal], str] = str
) -> list[tuple[str, bool]]:
    """The verdict in French, as the PDF and the status page print it: ``(text, alarm)`` lines.

    ``alarm`` lines go in red: a wrong unit, *hors plage*, each threshold crossed.
    """
    spec = judgement.spec
    if judgement.verdict is ReadingVerdict.WRONG_UNIT and spec is not None:
        return [(f"✗ unité attendue : {spec.unit}", True)]
    if judgement.verdict is ReadingVerdict.WITHIN:
        return [("✓ dans la plage", False)]
    if judgement.verdict is ReadingVerdict.UNCHECKED or spec is None:
        return [("—", False)]
    lines = [("✗ hors plage", True)] if judgement.out_of_range else []
    lines += [
        (f"✗ seuil {threshold_text(t, spec.unit, number=number(t.limit))} : {t.label}", True)
        for t in judgement.crossed
    ]
    return lines
