"""Reading a filled quitus form back into the JSON shape of a report.

:func:`read_form` does not judge what was typed: it returns what it found, in the
shape of :class:`~reports.schema.InterventionReport`, and the schema and the template
validation report the problems under each field's path. It only refuses a PDF it
cannot read as a quitus form at all.

Photos are the files attached to the PDF (embedded files or file attachment
annotations), their kind taken from their name: ``avant-*``, ``apres-*``, ``autre-*``
(or ``before-*``, ``after-*``, ``other-*``). A signature is the Ink annotations drawn
over a signature box, rasterized to a PNG.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from PIL import Image, ImageDraw
from pypdf import PasswordType, PdfReader
from pypdf.errors import FileNotDecryptedError, PyPdfError

from reports.capture.pdf_form_fields import (
    SIGNATURE_FIELDS,
    STATIC_FIELDS,
    FieldKind,
    FormInfo,
    SignatureBox,
    field_text,
    form_info,
)
from reports.errors import CaptureError

__all__ = ["read_form"]

_CORRUPT = "the file is not a readable PDF; export the filled form again from the tablet and resubmit it"
_ENCRYPTED = "the PDF is password-protected; save an unprotected copy of the filled form and resubmit it"
# pypdf raises builtin exceptions, not only its own, on malformed files.
_PYPDF_FAILURES = (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError)
_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_TIME = re.compile(r"(?:\s+|\s*[Tà]\s*)(\d{1,2})\s*[:hH]\s*(\d{2})")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_PHOTO_NAME = re.compile(r"(avant|apres|après|autre|before|after|other)[-_ ]", re.IGNORECASE)
_PHOTO_KINDS = {"avant": "before", "apres": "after", "après": "after", "autre": "other"}
_KIND_ORDER = {"before": 0, "after": 1, "other": 2}
_INK_SCALE = 4.0
"""Pixels per PDF point of a rasterized signature."""
_INK_WIDTH = 1.2
"""_Stroke width of a rasterized signature, in points."""
_INK_MAX_SIDE = 2048
"""Longest side of a rasterized signature, in pixels, whatever the box says."""

_Stroke = list[tuple[float, float]]


def read_form(data: bytes) -> dict[str, Any]:
    """The filled form ``data`` as an ``InterventionReport``-shaped dict.

    Empty fields are left out. French dates (JJ/MM/AAAA, JJ/MM/AAAA HH:MM, Europe/Paris)
    become ISO 8601 and decimal commas become points; a value that cannot be converted
    is kept as typed, so validation reports it under its path. Raises
    :class:`~reports.errors.CaptureError`: ``pdf_corrupt``, ``pdf_encrypted``,
    ``not_a_form`` or ``form_version_unsupported``.
    """
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise CaptureError("pdf_encrypted", _ENCRYPTED)
        fields = reader.get_fields() or {}
        info = form_info(fields)
        report = _report_from_fields(fields, info)
        photos = sorted(_attached_photos(reader), key=lambda photo: photo[1])
        strokes = _ink_strokes(reader, info.signature_boxes)
    except FileNotDecryptedError as exc:
        raise CaptureError("pdf_encrypted", _ENCRYPTED) from exc
    except _PYPDF_FAILURES as exc:
        raise CaptureError("pdf_corrupt", _CORRUPT) from exc
    if photos:
        report["photos"] = [{"kind": kind, "image": _inline(content)} for kind, _, content in photos]
    for who, box in info.signature_boxes.items():
        if strokes.get(who):
            report.setdefault(who, {})["image"] = _inline(_rasterize(strokes[who], box))
    return report


def _inline(content: bytes) -> dict[str, str]:
    return {"content_base64": base64.b64encode(content).decode("ascii")}


def _report_from_fields(fields: Mapping[str, Any], info: FormInfo) -> dict[str, Any]:
    category, intervention_type = info.template_key
    report: dict[str, Any] = {"equipment": {"category": category}, "intervention_type": intervention_type}
    checklist: dict[str, dict[str, str]] = {}
    parts: dict[int, dict[str, str]] = {}
    for name, field in fields.items():
        value = field_text(field)
        head, _, rest = name.partition(".")
        if not value:
            continue
        if head == "checklist" and rest.count(".") == 1:
            item_id, key = rest.split(".")
            checklist.setdefault(item_id, {"id": item_id})[key] = value
        elif head == "measurements" and rest:
            unit = info.units.get(rest)
            measurement = {"id": rest, "value": _decimal(value, unit)} | ({"unit": unit} if unit else {})
            report.setdefault("measurements", []).append(measurement)
        elif head == "selections" and rest:
            report.setdefault("selections", {})[rest] = value
        elif head == "parts" and name in STATIC_FIELDS:
            row, key = rest.split(".")
            parts.setdefault(int(row), {})[key] = _decimal(value) if key == "quantity" else value
        elif name in STATIC_FIELDS:
            _set(report, name, _convert(value, STATIC_FIELDS[name].kind))
    if checklist:
        report["checklist"] = list(checklist.values())
    if parts:
        report["parts"] = [parts[row] for row in sorted(parts)]
    outcome = report.get("outcome")
    if outcome is not None and outcome.get("status") == "unfinished":
        # The schema wants a reschedule request, even one without date or notes.
        outcome.setdefault("reschedule", {})
    return report


def _set(report: dict[str, Any], path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    for parent in parents:
        report = report.setdefault(parent, {})
    report[leaf] = value


def _convert(value: str, kind: FieldKind) -> object:
    if kind in ("date", "datetime"):
        return _iso(value, with_time=kind == "datetime")
    if kind == "year" and value.isdigit():
        return int(value)
    return value


def _iso(value: str, *, with_time: bool) -> str:
    """ISO 8601 for a French date (and time); ``value`` itself when it is not one."""
    date = _DATE.match(value)
    time = _TIME.fullmatch(value, date.end()) if date else None
    if date is None or (time is None if with_time else date.end() != len(value)):
        return value
    day, month, year = (int(g) for g in date.groups())
    try:
        if time is None:
            return dt.date(year, month, day).isoformat()
        return dt.datetime(year, month, day, int(time[1]), int(time[2])).isoformat()
    except ValueError:
        return value


def _decimal(value: str, unit: str | None = None) -> str:
    """``"1 234,5 bar"`` → ``"1234.5"`` (the unit, when given, may follow); else ``value``."""
    text = value.removesuffix(unit) if unit else value
    text = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
    return text if _NUMBER.fullmatch(text) else value


def _attached_photos(reader: PdfReader) -> Iterator[tuple[str, list[str | int], bytes]]:
    """(kind, sort key, content) of every attached file.

    Apps attach files to the document (embedded files) or to a page (file attachment
    annotations); both count. A file whose name says no kind is an ``other`` photo,
    so nothing is dropped: sanitizing later refuses what is not an image.
    """
    files = [(name, content) for name, contents in reader.attachments.items() for content in contents]
    for page in reader.pages:
        for reference in page.get("/Annots") or ():
            annotation = reference.get_object()
            if annotation.get("/Subtype") != "/FileAttachment" or "/FS" not in annotation:
                continue
            spec = annotation["/FS"].get_object()
            stream = (spec.get("/EF") or {}).get("/F")
            if stream is not None:
                files.append((str(spec.get("/UF") or spec.get("/F") or ""), stream.get_object().get_data()))
    for name, content in files:
        match = _PHOTO_NAME.match(name)
        word = match[1].lower() if match else "other"
        kind = _PHOTO_KINDS.get(word, word)
        # Natural order, so that avant-2 comes before avant-10.
        words = (int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name.casefold()))
        yield kind, [_KIND_ORDER[kind], *words], content


def _ink_strokes(reader: PdfReader, boxes: Mapping[str, SignatureBox]) -> dict[str, list[_Stroke]]:
    """Strokes of the Ink annotations over each signature box, in page coordinates."""
    found: dict[str, list[_Stroke]] = {}
    for who, box in boxes.items():
        if who not in SIGNATURE_FIELDS or box.page >= len(reader.pages):
            continue
        for reference in reader.pages[box.page].get("/Annots") or ():
            annotation = reference.get_object()
            if annotation.get("/Subtype") != "/Ink" or "/Rect" not in annotation:
                continue
            x0, y0, x1, y1 = (float(v) for v in annotation["/Rect"])
            if not box.meets(x0, y0, x1, y1):
                continue
            for stroke in annotation.get("/InkList") or ():
                numbers = [float(n) for n in stroke]
                points = zip(numbers[::2], numbers[1::2], strict=False)
                finite = [point for point in points if all(map(math.isfinite, point))]
                if finite:
                    found.setdefault(who, []).append(finite)
    return found


def _rasterize(strokes: Iterable[Sequence[tuple[float, float]]], box: SignatureBox) -> bytes:
    """A PNG of black strokes on white, the box's size at ``_INK_SCALE`` pixels per point (at most)."""
    left, bottom, right, top = box.rect
    scale = min(_INK_SCALE, _INK_MAX_SIDE / max(right - left, top - bottom))
    image = Image.new(
        "L", (max(1, round((right - left) * scale)), max(1, round((top - bottom) * scale))), 255
    )
    draw = ImageDraw.Draw(image)
    width = max(2, round(_INK_WIDTH * scale))
    width_px, height_px = image.size

    def clamp(value: float, limit: int) -> float:
        # Strokes may leave the box; far-away points must not overflow the drawing.
        return min(max(value, -limit), 2.0 * limit)

    for stroke in strokes:
        points = [
            (clamp((x - left) * scale, width_px), clamp((top - y) * scale, height_px)) for x, y in stroke
        ]
        if len(points) == 1:
            (x, y), radius = points[0], width / 2
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
        elif points:
            draw.line(points, fill=0, width=width, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
