"""Paragraph markup is parsed once per process (reports.pdf.formatting): a report rendered
after others, its texts already parsed, is the same document byte for byte."""

from __future__ import annotations

from reports.pdf import render_report
from reports.pdf.formatting import _parsed, paragraph
from reports.samples import generate_samples
from reports.schema import InterventionReport
from reports.templates import TemplateCatalog


def test_a_report_renders_the_same_before_and_after_others_warmed_the_parse_cache() -> None:
    catalog = TemplateCatalog.load()
    reports = [
        InterventionReport.model_validate(s.payload)
        for s in generate_samples(catalog, 4, seed=12, invalid_share=0, photo_size=(96, 72))
    ]

    def render(report: InterventionReport, variant: str) -> bytes:
        template = catalog.for_report(*report.template_key)
        assert template is not None
        return render_report(
            report, template, report_id="RI-2026-000042", images={}, company=report.company, variant=variant
        )

    _parsed.cache_clear()
    first = {variant: render(reports[0], variant) for variant in ("full", "redacted")}
    for other in reports[1:]:
        render(other, "full")
        render(other, "redacted")
    assert _parsed.cache_info().hits > 0
    assert {variant: render(reports[0], variant) for variant in ("full", "redacted")} == first


def test_each_paragraph_has_its_own_fragments() -> None:
    one, two = paragraph("Pression de gaz"), paragraph("Pression de gaz")
    assert one.frags is not two.frags and one.frags[0] is not two.frags[0]
    assert [f.text for f in one.frags] == [f.text for f in two.frags] == ["Pression de gaz"]
