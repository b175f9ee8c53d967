"""Reading a filled quitus form back into the JSON shape of a report.

:func:`read_form` does not judge what was typed: it returns what it found, in the
shape of :class:`~reports.schema.InterventionReport`, and the schema and the template
validation report the problems under each field's path. It only refuses a PDF it
cannot read as a quitus form at all.

Photos are the files attached to the PDF (embedded files or file attachment
annotations), their kind taken from their name: ``avant-*``, ``apres-*``, ``autre-*``
(or ``before-*``, ``after-*``, ``other-*``). A signature is the Ink annotations drawn
over a signature box, rasterized to a PNG.

Reading is bounded (:class:`~reports.capture.limits.CaptureLimits`): the inflated size
of every compressed stream is added up before pypdf parses anything
(:mod:`reports.capture.pdf_budget`), pypdf's own per-stream caps are lowered to the same
budget, pages, fields and attached files are counted before any is decoded, and each
attached file is held to the photo size limit. :func:`read_form_isolated` does all of it
in a separate process with a memory and time limit (:mod:`reports.capture.isolation`):
what pypdf allocates beyond the budgets can only take that process down.

A filled field the quitus form does not have is not dropped silently: it is reported
(:attr:`FormReading.unknown_fields`) and capture rejects the report with
``form_field_unknown``, as the JSON format refuses an unknown key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw
from pypdf import PasswordType, PdfReader, apply_configuration
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError
from pypdf.generic import EmbeddedFile

from reports.capture.isolation import IsolatedFailure, run_isolated
from reports.capture.limits import CaptureLimits
from reports.capture.pdf_budget import check_inflated_size, format_bytes
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

__all__ = ["FormReading", "copy_submission_id", "read_form", "read_form_isolated", "read_form_reading"]

_DEFAULT_LIMITS = CaptureLimits()
_PHOTO_MAX_BYTES = 15 * 1024 * 1024
"""The default photo size limit (``PhotoLimits.max_bytes``): an attached file above it is refused."""

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


@dataclass(frozen=True)
class FormReading:
    """What a filled form holds."""

    report: dict[str, Any]
    """The report, in the shape of :class:`~reports.schema.InterventionReport`."""

    unknown_fields: tuple[str, ...] = field(default=())
    """Names of filled fields that quitus forms do not have (their values are left out)."""

    form_id: str | None = None
    """The blank form's id when the copy's ``submission_id`` field was left empty: the copy's
    submission id is then :meth:`with_copy_id`'s, derived by the caller that holds the key."""

    def with_copy_id(self, copy_key: bytes) -> dict[str, Any]:
        """:attr:`report` with the submission id of this filled copy when it typed none
        (:func:`copy_submission_id`); as it is otherwise."""
        if self.form_id is None or "submission_id" in self.report:
            return self.report
        return {**self.report, "submission_id": copy_submission_id(self.form_id, self.report, copy_key)}


def read_form(data: bytes, *, copy_key: bytes | None = None) -> dict[str, Any]:
    """The filled form ``data`` as an ``InterventionReport``-shaped dict (this process, default limits).

    ``copy_key``: the installation's index key, to give a copy whose ``submission_id`` was
    left empty its own (:func:`copy_submission_id`); without it that field stays absent.

    Empty fields are left out. French dates (JJ/MM/AAAA, JJ/MM/AAAA HH:MM, Europe/Paris)
    become ISO 8601 and decimal commas become points; a value that cannot be converted
    is kept as typed, so validation reports it under its path. Raises
    :class:`~reports.errors.CaptureError`: ``pdf_corrupt``, ``pdf_encrypted``,
    ``not_a_form``, ``form_version_unsupported``, or a budget code (``pdf_too_complex``,
    ``pdf_too_many_pages``, ``pdf_too_many_attachments``, ``pdf_attachment_too_large``).
    """
    reading = read_form_reading(data)
    return reading.report if copy_key is None else reading.with_copy_id(copy_key)


def read_form_isolated(
    data: bytes, limits: CaptureLimits = _DEFAULT_LIMITS, photo_max_bytes: int = _PHOTO_MAX_BYTES
) -> FormReading:
    """:func:`read_form_reading` in a separate process held to the limits' memory and time.

    The process that calls it never parses the PDF: a form that takes its reader past
    ``form_worker_memory_bytes`` or ``form_worker_seconds`` is ``pdf_too_complex``.
    """
    # Bounded inflation (chunks, a cap per stream and in all): safe here, and a form it refuses
    # never costs a child process holding a second copy of it.
    check_inflated_size(data, limits)
    try:
        return run_isolated(
            read_form_reading,
            data,
            limits,
            photo_max_bytes,
            memory_bytes=limits.form_worker_memory_bytes,
            seconds=limits.form_worker_seconds,
        )
    except IsolatedFailure as exc:
        raise CaptureError(
            "pdf_too_complex",
            f"reading the PDF {exc.reason}",
            limit=f"{format_bytes(limits.form_worker_memory_bytes)} of memory, "
            f"{limits.form_worker_seconds:g} s",
        ) from None


def read_form_reading(
    data: bytes, limits: CaptureLimits = _DEFAULT_LIMITS, photo_max_bytes: int = _PHOTO_MAX_BYTES
) -> FormReading:
    """The filled form ``data`` and its unknown fields, within ``limits`` (in this process)."""
    check_inflated_size(data, limits)
    cap = limits.form_max_stream_bytes
    try:
        with apply_configuration(
            maximum_declared_stream_length=max(cap, len(data)),
            array_based_stream_maximum_output_length=cap,
            jbig2_maximum_output_length=cap,
            lzw_maximum_output_length=cap,
            run_length_maximum_output_length=cap,
            zlib_maximum_output_length=cap,
            brotli_maximum_output_length=cap,
            image_maximum_buffer_size=cap,
            stream_decoding_work_maximum_length=2 * cap,
            xfa_decoding_work_maximum_length=2 * cap,
            xmp_maximum_input_length=cap,
            form_fields_maximum_entries=limits.form_max_fields,
            page_tree_maximum_entries=4 * limits.form_max_pages + 16,
            page_tree_maximum_page_entries=64 * limits.form_max_pages + 1024,
        ):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise CaptureError("pdf_encrypted", _ENCRYPTED)
            _check_pages(reader, limits)
            fields = reader.get_fields() or {}
            if len(fields) > limits.form_max_fields:
                raise CaptureError(
                    "pdf_too_complex",
                    f"the PDF has more than {limits.form_max_fields} form fields",
                    limit=f"{limits.form_max_fields} fields",
                )
            info = form_info(fields)
            report, unknown = _report_from_fields(fields, info)
            photos = sorted(_attached_photos(reader, limits, photo_max_bytes), key=lambda photo: photo[1])
            strokes = _ink_strokes(reader, info.signature_boxes)
    except FileNotDecryptedError as exc:
        raise CaptureError("pdf_encrypted", _ENCRYPTED) from exc
    except LimitReachedError as exc:
        raise CaptureError(
            "pdf_too_complex",
            "the PDF passes one of the parser's limits",
            limit=f"{format_bytes(cap)} per stream",
        ) from exc
    except _PYPDF_FAILURES as exc:
        raise CaptureError("pdf_corrupt", _CORRUPT) from exc
    if photos:
        report["photos"] = [{"kind": kind, "image": _inline(content)} for kind, _, content in photos]
    for who, box in info.signature_boxes.items():
        if strokes.get(who):
            report.setdefault(who, {})["image"] = _inline(_rasterize(strokes[who], box))
    # The copy's own id is derived by the caller (the key never enters this, maybe isolated, process).
    form_id = info.form_id if "submission_id" not in report and info.form_id else None
    return FormReading(report, tuple(unknown), form_id)


_COPY_DOMAIN = b"quitus/form-copy/v1|"
"""Separates these digests from the other HMACs under the index key (fingerprints, blind index)."""


def copy_submission_id(form_id: str, report: Mapping[str, Any], copy_key: bytes) -> str:
    """The submission id of one filled copy of the blank form ``form_id``: ``<form id>.<digest>``.

    The digest covers everything the copy holds (fields, photos, signatures), so two copies
    filled differently are two reports, and the same copy sent twice (or saved again
    unchanged) is the same submission: a re-ingest is idempotent. It is 80 bits of
    HMAC-SHA256 under ``copy_key`` (the installation's index key, :mod:`storage.keys`): the
    submission id is stored in clear, and an unkeyed digest of a copy with few fields would
    let anyone holding the database confirm a guess of what it says (a client's name);
    keyed, it reveals nothing without the key.
    """
    canonical = json.dumps(report, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hmac.new(copy_key, _COPY_DOMAIN + f"{form_id}|{canonical}".encode(), hashlib.sha256)
    return f"{form_id}.{digest.hexdigest()[:20]}"


def _check_pages(reader: PdfReader, limits: CaptureLimits) -> None:
    try:
        pages: int | str = len(reader.pages)
    except LimitReachedError:  # the page tree is larger than its cap: far too many pages
        pages = f"more than {limits.form_max_pages}"
    if not isinstance(pages, int) or pages > limits.form_max_pages:
        raise CaptureError(
            "pdf_too_many_pages",
            f"the PDF has {pages} pages, above the {limits.form_max_pages} accepted",
            pages=pages,
            max_pages=limits.form_max_pages,
        )


def _inline(content: bytes) -> dict[str, str]:
    return {"content_base64": base64.b64encode(content).decode("ascii")}


def _report_from_fields(fields: Mapping[str, Any], info: FormInfo) -> tuple[dict[str, Any], list[str]]:
    """The report, and the names of the filled fields that have no place in it."""
    category, intervention_type = info.template_key
    report: dict[str, Any] = {"equipment": {"category": category}, "intervention_type": intervention_type}
    checklist: dict[str, dict[str, str]] = {}
    parts: dict[int, dict[str, str]] = {}
    unknown: list[str] = []
    for name, form_field in fields.items():
        value = field_text(form_field)
        head, _, rest = name.partition(".")
        if not value or head == "quitus":
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
        else:
            unknown.append(name)
    if checklist:
        report["checklist"] = list(checklist.values())
    if parts:
        report["parts"] = [parts[row] for row in sorted(parts)]
    outcome = report.get("outcome")
    if outcome is not None and outcome.get("status") == "unfinished":
        # The schema wants a reschedule request, even one without date or notes.
        outcome.setdefault("reschedule", {})
    return report, unknown


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


def _attached_photos(
    reader: PdfReader, limits: CaptureLimits, photo_max_bytes: int
) -> Iterator[tuple[str, list[str | int], bytes]]:
    """(kind, sort key, content) of every attached file.

    Apps attach files to the document (embedded files) or to a page (file attachment
    annotations); both count. A file whose name says no kind is an ``other`` photo,
    so nothing is dropped: sanitizing later refuses what is not an image. The files are
    counted before any is decoded, and each is held to ``photo_max_bytes``.
    """
    pending: list[tuple[str, Any]] = [(entry.name, entry) for entry in reader.attachment_list]
    for page in reader.pages:
        for reference in page.get("/Annots") or ():
            annotation = reference.get_object()
            if annotation.get("/Subtype") != "/FileAttachment" or "/FS" not in annotation:
                continue
            spec = annotation["/FS"].get_object()
            stream = (spec.get("/EF") or {}).get("/F")
            if stream is not None:
                pending.append((str(spec.get("/UF") or spec.get("/F") or ""), stream))
            if len(pending) > limits.form_max_attachments:
                break
    if len(pending) > limits.form_max_attachments:
        raise CaptureError(
            "pdf_too_many_attachments",
            f"the PDF has more than {limits.form_max_attachments} attached files",
            max_count=limits.form_max_attachments,
        )
    files: list[tuple[str, bytes]] = []
    total = 0
    for name, source in pending:
        try:
            content = source.content if isinstance(source, EmbeddedFile) else source.get_object().get_data()
        except LimitReachedError:
            content = None
        if content is None or len(content) > photo_max_bytes:
            raise CaptureError(
                "pdf_attachment_too_large",
                f"an attached file is larger than {format_bytes(photo_max_bytes)} once decompressed",
                "photos",
                max_bytes=format_bytes(photo_max_bytes),
            )
        total += len(content)
        if total > limits.form_max_decoded_bytes:
            raise CaptureError(
                "pdf_too_complex",
                f"the attached files hold more than {format_bytes(limits.form_max_decoded_bytes)} together",
                limit=f"{format_bytes(limits.form_max_decoded_bytes)} decompressed in all",
            )
        files.append((name, content))
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
