"""docs/operations.md's alert rules match the code: the Prefect automation is one Prefect accepts,
and every metric the Prometheus rules and the table name is one ``/metrics`` writes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from prefect.events.schemas.automations import AutomationCore

from quitus.operations import prometheus_text, take_snapshot
from storage.report_store import ReportStore
from workflows.events import QuitusEvent

DOC = (Path(__file__).parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
OBSERVABILITY = DOC.split("## Observability", 1)[1].split("\n## ", 1)[0]


def _yaml_blocks() -> list[Any]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", OBSERVABILITY, re.S)]


def test_the_prefect_automation_is_valid_and_waits_for_the_retention_jobs_success() -> None:
    (automation,) = [block for block in _yaml_blocks() if "trigger" in block]
    parsed = AutomationCore.model_validate(automation)
    assert parsed.trigger.expect == {QuitusEvent.JOB_SUCCEEDED.value}  # type: ignore[union-attr]
    assert parsed.trigger.within.total_seconds() == 26 * 3600  # type: ignore[union-attr]
    assert parsed.trigger.match.root == {"prefect.resource.id": "quitus.job.retention"}  # type: ignore[union-attr]


def test_the_prometheus_rules_and_the_table_name_metrics_that_exist(store: ReportStore) -> None:
    written = set(re.findall(r"^# TYPE (\S+)", prometheus_text(take_snapshot(store)), re.M))
    (rules,) = [block for block in _yaml_blocks() if "groups" in block]
    expressions = " ".join(rule["expr"] for group in rules["groups"] for rule in group["rules"])
    named = set(re.findall(r"\bquitus_[a-z_]+\b", expressions)) - {"quitus_job"}
    assert named and named <= written
    table = set(re.findall(r"^\| `(quitus_[a-z_]+)", OBSERVABILITY, re.M))
    assert table == written


def test_every_event_quitus_emits_is_documented() -> None:
    for event in QuitusEvent:
        assert f"`{event.value}`" in OBSERVABILITY, event
