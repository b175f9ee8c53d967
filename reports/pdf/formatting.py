"""French formatting and the small reportlab building blocks the sections share.

Every text goes through :func:`paragraph` (or :func:`long_text`), which escapes it
before reportlab reads it as paragraph markup: a ``<b>`` typed by a technician prints as
``<b>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from reports.pdf.fonts import REGULAR
from reports.pdf.layout import CONTENT_WIDTH, RULE, TINT, styles
from reports.schema import PARIS

__all__ = [
    "CELL_FONT",
    "bold",
    "colored",
    "duration",
    "french_date",
    "french_datetime",
    "french_number",
    "long_text",
    "pairs",
    "paragraph",
    "table",
]

# Table cells that hold a plain string ("" fillers) use the table's font: never Helvetica,
# which would be an unembedded font in the file.
CELL_FONT = ("FONT", (0, 0), (-1, -1), REGULAR, 8)


def paragraph(text: str, style: str = "body") -> Paragraph:
    return _paragraph(escape(text), getattr(styles(), style))


def _paragraph(markup: str, style: ParagraphStyle) -> Paragraph:
    """``Paragraph(markup, style)``, its markup parsed once per process: most texts of a
    report (labels, units, the template's wording) come back in every report and in both
    variants, and parsing is a sixth of a render. Each paragraph gets its own copy of the
    parsed fragments (reportlab's layout sets attributes on them)."""
    text, parsed_style, fragments = _parsed(markup, style)
    return Paragraph(text, parsed_style, frags=[fragment.clone() for fragment in fragments])


@lru_cache(maxsize=4096)
def _parsed(markup: str, style: ParagraphStyle) -> tuple[str, ParagraphStyle, list[Any]]:
    probe = Paragraph(markup, style)
    return probe.text, probe.style, probe.frags


def bold(text: str, style: str = "cell_bold") -> Paragraph:
    return paragraph(text, style)


def colored(text: str, color: colors.Color, style: str = "cell_bold") -> Paragraph:
    base = getattr(styles(), style)
    return Paragraph(escape(text), base.clone(f"{base.name}-colored", textColor=color))


def french_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def french_datetime(moment: dt.datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


def french_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def duration(start: dt.datetime, end: dt.datetime) -> str:
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


def long_text(text: str | None, when_empty: str) -> list[Flowable]:
    """Free text as paragraphs (one per line of the text), or a muted line when empty."""
    if not text:
        return [paragraph(when_empty, "label")]
    body = styles().body
    return [_paragraph(escape(line), body) for line in text.splitlines() if line.strip()] or [
        paragraph(when_empty, "label")
    ]


def table(
    rows: list[list[object]],
    widths: Sequence[float],
    *,
    header: bool = True,
    extra: Iterable[tuple[object, ...]] = (),
) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0, splitInRow=1, hAlign="LEFT")
    commands: list[tuple[object, ...]] = [
        CELL_FONT,
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header:
        commands += [("BACKGROUND", (0, 0), (-1, 0), TINT), ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE)]
    table.setStyle(TableStyle([*commands, *extra]))
    return table


def pairs(items: Sequence[tuple[str, str | None]], columns: int = 2) -> Table:
    """Label/value pairs laid out in ``columns`` columns; pairs without a value are left out."""
    shown = [(label, value) for label, value in items if value]
    label_width = 100.0 if columns == 2 else 90.0
    value_width = CONTENT_WIDTH / columns - label_width
    rows: list[list[object]] = []
    for start in range(0, len(shown), columns):
        row: list[object] = []
        for label, value in shown[start : start + columns]:
            row += [paragraph(label, "label"), paragraph(value or "", "cell")]
        row += [""] * (2 * columns - len(row))
        rows.append(row)
    return table(rows or [[""] * (2 * columns)], [label_width, value_width] * columns, header=False)
