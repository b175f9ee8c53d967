"""Filling a blank form from a report payload, the way a tablet PDF app does.

The demo, the benchmark and the tests use :func:`fill_form` to stand in for a
technician: it only uses what any PDF reader with forms support produces — field
values, an Ink annotation per drawn signature, and embedded files for the photos —
so :func:`~reports.capture.pdf_form.read_form` sees nothing it would not see from a
real tablet.

The form does not carry everything a JSON submission can: photo captions, tags and
the parts to order of a reschedule request are left out. Any other value the form has
no field for (an address country other than FR, a seventh part, a checklist item not
in the template…) is a ``ValueError``.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
)

from reports.capture.pdf_form import blank_form
from reports.capture.pdf_form_fields import (
    SIGNATURE_FIELDS,
    STATIC_FIELDS,
    FieldKind,
    SignatureBox,
    form_info,
)
from reports.templates import Template

__all__ = ["fill_form"]

# Keys the form has no field for, by design (see the module docstring).
_NOT_ON_FORM = {
    "schema_version",
    "equipment.category",
    "intervention_type",
    "tags",
    "photos",
    "outcome.reschedule.parts_to_order",
    "client_signature.image",
    "technician_signature.image",
}
_PHOTO_PREFIXES = {"before": "avant", "after": "apres", "other": "autre"}
_INK_STEP = 1.0
"""Distance between traced rows, in PDF points: one stroke per run of dark pixels."""
_INK_WIDTH = 1.2
_PADDING = 6.0
_PARIS = ZoneInfo("Europe/Paris")
_APPEARANCE_LOGGER = "pypdf.generic._appearance_stream"
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def fill_form(template: Template, payload: Mapping[str, Any], *, blank: bytes | None = None) -> bytes:
    """A copy of ``blank`` (a fresh blank form of ``template`` by default) filled with ``payload``.

    ``payload`` is shaped like an ``InterventionReport``; photos and signature images
    must be given as ``{"content_base64": ...}``. Dates are written in French
    (JJ/MM/AAAA, JJ/MM/AAAA HH:MM in Europe/Paris), decimals with a comma. Raises
    ``ValueError`` when the payload holds a value the form has no field for.
    """
    reader = PdfReader(io.BytesIO(blank if blank is not None else blank_form(template)))
    fields = reader.get_fields() or {}
    info = form_info(fields)
    if info.template_id != template.id:
        raise ValueError(f"the blank form is for template {info.template_id!r}, not {template.id!r}")
    values = _field_values(payload)
    missing = sorted(set(values) - set(fields))
    if missing:
        raise ValueError(f"the form has no field for: {', '.join(missing)}")
    writer = PdfWriter(clone_from=reader)
    with _values_kept_out_of_logs():
        writer.update_page_form_field_values(None, values, auto_regenerate=True)
    for who in SIGNATURE_FIELDS:
        signature = payload.get(who)
        if signature and "image" in signature:
            _draw_ink(writer, info.signature_boxes[who], _image_bytes(signature["image"], who))
    counts = dict.fromkeys(_PHOTO_PREFIXES, 0)
    for index, photo in enumerate(payload.get("photos") or ()):
        content = _image_bytes(photo["image"], f"photos[{index}]")
        counts[photo["kind"]] += 1
        writer.add_attachment(
            f"{_PHOTO_PREFIXES[photo['kind']]}-{counts[photo['kind']]}.{_extension(content)}", content
        )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@contextmanager
def _values_kept_out_of_logs() -> Iterator[None]:
    """Drop pypdf's warning that quotes a value its core fonts cannot draw (Ω, for one).

    The value is personal data and must not reach the logs; the warning is moot anyway,
    since the form asks the viewer to redraw its fields (``NeedAppearances``).
    """
    logger = logging.getLogger(_APPEARANCE_LOGGER)
    quoting = _QuotedValueFilter()
    logger.addFilter(quoting)
    try:
        yield
    finally:
        logger.removeFilter(quoting)


class _QuotedValueFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Text string")


def _field_values(payload: Mapping[str, Any]) -> dict[str, str]:
    """Form field name → text, for every value of ``payload`` the form carries."""
    values: dict[str, str] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if path in _NOT_ON_FORM or value is None or (path.endswith(".country") and value == "FR"):
                continue
            if isinstance(value, Mapping):
                walk(value, f"{path}.")
            elif path not in ("checklist", "measurements", "parts") and not path.startswith("selections."):
                spec = STATIC_FIELDS.get(path)
                values[path] = _text(value, spec.kind if spec else "text")

    walk(payload, "")
    for item in payload.get("checklist") or ():
        values[f"checklist.{item['id']}.status"] = item["status"]
        if item.get("comment") is not None:
            values[f"checklist.{item['id']}.comment"] = item["comment"]
    for measurement in payload.get("measurements") or ():
        values[f"measurements.{measurement['id']}"] = _text(measurement["value"], "decimal")
    for key, choice in (payload.get("selections") or {}).items():
        values[f"selections.{key}"] = str(choice)
    for row, part in enumerate(payload.get("parts") or ()):
        for key, value in part.items():
            spec = STATIC_FIELDS.get(f"parts.{row}.{key}")
            values[f"parts.{row}.{key}"] = _text(value, spec.kind if spec else "text")
    return values


def _text(value: object, kind: FieldKind = "text") -> str:
    """``value`` as a technician types it: French dates in Europe/Paris, decimal commas."""
    if isinstance(value, str) and kind in ("date", "datetime"):
        try:
            value = dt.datetime.fromisoformat(value) if kind == "datetime" else dt.date.fromisoformat(value)
        except ValueError:
            return str(value)  # written as it is: reading it back reports it
    if isinstance(value, dt.datetime):
        return (value.astimezone(_PARIS) if value.tzinfo else value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float | Decimal | int) and not isinstance(value, bool):
        return str(value).replace(".", ",")
    if kind == "decimal" and isinstance(value, str) and _NUMBER.fullmatch(value):
        return value.replace(".", ",")
    return str(value)


def _image_bytes(attachment: Mapping[str, Any], where: str) -> bytes:
    if attachment.get("content_base64") is None:
        raise ValueError(f"{where}: fill_form needs the image as 'content_base64'")
    return base64.b64decode(attachment["content_base64"])


def _extension(content: bytes) -> str:
    return "png" if content.startswith(b"\x89PNG") else "jpg"


def _draw_ink(writer: PdfWriter, box: SignatureBox, image_bytes: bytes) -> None:
    """An Ink annotation tracing the dark pixels of the image, fitted into ``box``."""
    strokes = _trace(image_bytes, box)
    if not strokes:
        return
    left, bottom, right, top = box.rect
    drawing = [f"0 G {_INK_WIDTH} w 1 J 1 j"]
    for stroke in strokes:
        (x0, y0), *rest = stroke
        drawing.append(
            f"{x0:.2f} {y0:.2f} m " + " ".join(f"{x:.2f} {y:.2f} l" for x, y in rest or [(x0, y0)]) + " S"
        )
    appearance = DecodedStreamObject()
    appearance.set_data("\n".join(drawing).encode("ascii"))
    rect = ArrayObject(FloatObject(v) for v in (left, bottom, right, top))
    appearance.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): rect,
        }
    )
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Ink"),
            NameObject("/Rect"): rect,
            NameObject("/F"): NumberObject(4),
            NameObject("/C"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(0)]),
            NameObject("/BS"): DictionaryObject({NameObject("/W"): FloatObject(_INK_WIDTH)}),
            NameObject("/InkList"): ArrayObject(
                ArrayObject(FloatObject(round(c, 2)) for point in stroke for c in point) for stroke in strokes
            ),
            # A stream must be an indirect object, and pypdf has no public call to add one.
            NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(appearance)}),
        }
    )
    writer.add_annotation(box.page, annotation)


def _trace(image_bytes: bytes, box: SignatureBox) -> list[list[tuple[float, float]]]:
    """One horizontal stroke per run of dark cells, row by row, in page coordinates.

    The image is fitted into the box on a grid of ``_INK_STEP`` points; a cell is dark
    when any pixel in it is, so thin lines of a large image survive the scaling.
    """
    with Image.open(io.BytesIO(image_bytes)) as opened:
        rgba = opened.convert("RGBA")
    gray = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("L")
    ink = gray.point(lambda v: 255 if v < 128 else 0)
    left, bottom, right, top = box.rect
    scale = min((right - left - 2 * _PADDING) / ink.width, (top - bottom - 2 * _PADDING) / ink.height)
    columns = max(1, round(ink.width * scale / _INK_STEP))
    rows = max(1, round(ink.height * scale / _INK_STEP))
    cells = ink.resize((columns, rows), Image.Resampling.BOX).tobytes()
    strokes: list[list[tuple[float, float]]] = []
    for row in range(rows):
        y = top - _PADDING - (row + 0.5) * _INK_STEP
        line = cells[row * columns : (row + 1) * columns] + b"\0"
        start: int | None = None
        for column, value in enumerate(line):
            if value and start is None:
                start = column
            elif not value and start is not None:
                x0, x1 = (left + _PADDING + (c + 0.5) * _INK_STEP for c in (start, column - 1))
                strokes.append([(x0, y), (x1, y)] if x1 > x0 else [(x0, y)])
                start = None
    return strokes
