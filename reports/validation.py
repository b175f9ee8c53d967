"""Validation of a parsed report against its template.

:func:`validate_report` returns every problem at once (not only the first) so a
technician corrects a report in one go. Schema problems (types, missing fields) are
found earlier, when the submission is parsed.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from reports.issues import UNKNOWN_ID, ReportIssue, issue
from reports.readings import (
    MissingConsequence,
    ReadingVerdict,
    judge_reading,
    missing_consequences,
    threshold_text,
)
from reports.schema import InterventionReport
from reports.technical_fields import technical_issues
from reports.templates import MeasurementSpec, Template, TemplateCatalog

__all__ = ["find_template", "validate_report"]


def find_template(report: InterventionReport, catalog: TemplateCatalog) -> Template | ReportIssue:
    """The report's template, or an ``unknown_template`` issue."""
    template = catalog.for_report(*report.template_key)
    if template is not None:
        return template
    template_id = ".".join(report.template_key)
    broken = next((b for b in catalog.broken if b.template_id == template_id), None)
    if broken is not None:
        return issue(
            "intervention_type",
            "template_broken",
            template=template_id,
            file=broken.path.name,
            count=len(broken.problems),
        )
    return issue(
        "intervention_type",
        "unknown_template",
        category=report.equipment.category,
        intervention_type=report.intervention_type,
        known=", ".join(t.id for t in catalog),
    )


def validate_report(report: InterventionReport, template: Template) -> list[ReportIssue]:
    """Every way ``report`` falls short of ``template``; empty when it is valid."""
    return [
        *_check_checklist(report, template),
        *_check_measurements(report, template),
        *_check_selections(report, template),
        *_check_photos(report, template),
        *_check_signatures(report, template),
        *technical_issues(report),
        *_check_team(report),
    ]


def _check_team(report: InterventionReport) -> list[ReportIssue]:
    """Each technician once: the lead is not in the team, nobody twice (ids are handles, not
    personal on their own, so they may be quoted)."""
    ids = [report.technician.id, *(member.id for member in report.team)]
    return [issue("team", "duplicate_entry", item=i) for i in sorted(_duplicates(ids))]


def _duplicates(ids: list[str]) -> set[str]:
    return {i for i, n in Counter(ids).items() if n > 1}


def _check_checklist(report: InterventionReport, template: Template) -> list[ReportIssue]:
    found: list[ReportIssue] = []
    given = [item.id for item in report.checklist]
    for index, item in enumerate(report.checklist):
        if template.checklist_item(item.id) is None:
            found.append(
                issue(f"checklist[{index}].id", "checklist_unknown", item=UNKNOWN_ID, template=template.id)
            )
    known = [i for i in given if template.checklist_item(i) is not None]  # an unknown id is never quoted
    found += [issue("checklist", "duplicate_entry", item=i) for i in sorted(_duplicates(known))]
    for spec in template.checklist:
        if spec.required and spec.id not in given:
            found.append(issue("checklist", "checklist_missing", item=spec.id, label=spec.label))
    return found


def _check_measurements(report: InterventionReport, template: Template) -> list[ReportIssue]:
    found: list[ReportIssue] = []
    given = [m.id for m in report.measurements]
    for index, measured in enumerate(report.measurements):
        spec = template.measurement(measured.id)
        if spec is None:
            found.append(
                issue(
                    f"measurements[{index}].id", "measurement_unknown", item=UNKNOWN_ID, template=template.id
                )
            )
            continue
        judgement = judge_reading(measured, template)
        if judgement.verdict is ReadingVerdict.WRONG_UNIT:
            found.append(
                issue(
                    f"measurements[{index}].unit",
                    "measurement_wrong_unit",
                    item=spec.id,
                    label=spec.label,
                    expected=spec.unit,
                    unit=measured.unit,
                )
            )
            continue
        # Out of range is recorded and flagged, not refused; a crossed threshold is refused
        # only when the report lacks what the threshold requires.
        for missing in missing_consequences(judgement, report):
            found.append(_consequence_issue(index, spec, measured.value, missing, template))
    known = [i for i in given if template.measurement(i) is not None]
    found += [issue("measurements", "duplicate_entry", item=i) for i in sorted(_duplicates(known))]
    for spec in template.measurements:
        if spec.required and spec.id not in given and report.outcome.status == "completed":
            found.append(
                issue("measurements", "measurement_missing", item=spec.id, label=spec.label, unit=spec.unit)
            )
    return found


def _consequence_issue(
    index: int, spec: MeasurementSpec, value: Decimal, missing: MissingConsequence, template: Template
) -> ReportIssue:
    item = template.checklist_item(missing.requirement.item)
    if missing.not_done:
        english = "done ('fait') with a comment" if missing.requirement.comment else "done ('fait')"
        french = "« fait » et commenté" if missing.requirement.comment else "« fait »"
    else:
        english, french = (
            "commented (the advice given, the action taken)",
            "commenté (conseil donné, action faite)",
        )
    return issue(
        f"measurements[{index}].value",
        "threshold_consequence_missing",
        item=spec.id,
        label=spec.label,
        value=value,
        unit=spec.unit,
        threshold=threshold_text(missing.threshold, spec.unit),
        threshold_label=missing.threshold.label,
        required_item=missing.requirement.item,
        required_label=item.label if item else missing.requirement.item,
        missing=english,
        missing_fr=french,
    )


def _check_selections(report: InterventionReport, template: Template) -> list[ReportIssue]:
    found: list[ReportIssue] = []
    for selection_id, value in report.selections.items():
        spec = template.selection(selection_id)
        if spec is None:
            found.append(
                issue(f"selections.{UNKNOWN_ID}", "selection_unknown", item=UNKNOWN_ID, template=template.id)
            )
        elif value not in spec.choices:
            found.append(
                issue(
                    f"selections.{selection_id}",
                    "selection_invalid",
                    item=spec.id,
                    label=spec.label,
                    choices=" | ".join(spec.choices),
                )
            )
    for spec in template.selections:
        if spec.required and spec.id not in report.selections:
            found.append(issue("selections", "selection_missing", item=spec.id, label=spec.label))
    return found


def _check_photos(report: InterventionReport, template: Template) -> list[ReportIssue]:
    counts = Counter(photo.kind for photo in report.photos)
    # An unfinished intervention may not have reached the "after" state.
    unfinished = report.outcome.status == "unfinished"
    return [
        issue(
            "photos",
            "photo_missing",
            template=template.id,
            count=need.min_count,
            kind=need.kind,
            label=need.label,
        )
        for need in template.photos
        if counts[need.kind] < need.min_count and not (unfinished and need.kind == "after")
    ]


def _check_signatures(report: InterventionReport, template: Template) -> list[ReportIssue]:
    if report.outcome.status == "unfinished":
        return []
    found = []
    if template.client_signature_required and report.client_signature is None:
        found.append(issue("client_signature", "signature_missing", who="client", who_fr="du client"))
    if report.technician_signature is None:
        found.append(
            issue("technician_signature", "signature_missing", who="technician", who_fr="du technicien")
        )
    return found
