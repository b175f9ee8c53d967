"""The published submission format (docs/report.schema.json) says what a client sends: the
company block is filled by the server from the configured identity, so it is not required
(and a value sent is replaced, which the schema says with ``readOnly``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reports.company import with_company
from reports.samples import generate_samples
from reports.schema import Company, InterventionReport
from reports.templates import TemplateCatalog

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "report.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@pytest.fixture(scope="module")
def submissions() -> list[dict[str, Any]]:
    samples = generate_samples(TemplateCatalog.load(), 6, seed=11, invalid_share=0, photo_size=(48, 32))
    return [s.payload for s in samples]


def test_a_submission_without_a_company_block_follows_the_published_schema(
    submissions: list[dict[str, Any]],
) -> None:
    for payload in submissions:
        sent = {k: v for k, v in payload.items() if k != "company"}
        assert [e.message for e in VALIDATOR.iter_errors(sent)] == []
        # ... and the server fills it in before the report is read
        report = InterventionReport.model_validate(with_company(sent, Company(name="Thermi'Clim Services")))
        assert report.company.name == "Thermi'Clim Services"


def test_the_schema_says_the_company_block_is_the_servers() -> None:
    assert "company" not in SCHEMA["required"]
    assert SCHEMA["properties"]["company"]["readOnly"] is True
    # what a client must send is still required
    assert {"submission_id", "client", "technician", "outcome"} <= set(SCHEMA["required"])


def test_a_report_as_stored_still_names_its_company(submissions: list[dict[str, Any]]) -> None:
    sent = {k: v for k, v in submissions[0].items() if k != "company"}
    with pytest.raises(ValueError, match="company"):
        InterventionReport.model_validate(sent)
