"""Hostile submissions, generated at test time (the big ones are never committed).

Each builder returns the bytes an attacker would send. They are small on the wire and
huge once decoded: a filled quitus form whose embedded files are zlib streams of zeros,
a form with hundreds of attachments or pages, photos declaring an enormous canvas, JSON
nested thousands of levels deep or holding millions of values. ``bench/capture_bombs.py``
feeds each one to a real ``quitus serve`` and ``quitus ingest``; the functional tests check
each is refused with a code.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

__all__ = ["HOSTILE", "LARGE", "Hostile", "deep_json", "filled_form", "pdf_with_embedded_files"]

MiB = 1024 * 1024


@dataclass(frozen=True)
class Hostile:
    """One hostile submission and how quitus must refuse it."""

    name: str
    media_type: Literal["application/json", "application/pdf"]
    build: Callable[[], bytes]
    codes: frozenset[str]
    """Any of these issue or error codes is a correct refusal."""


@functools.cache
def filled_form() -> bytes:
    """A valid filled quitus form (climatisation.mise_en_service), as a tablet saves it."""
    from reports.capture.pdf_form_fill import fill_form
    from tests.reports.test_pdf_form import CLIM, valid_payload

    return fill_form(CLIM, valid_payload(CLIM))


@functools.cache
def _zeros_deflated(size: int) -> bytes:
    compressor = zlib.compressobj(9)
    chunk = b"\0" * MiB
    parts = [compressor.compress(chunk) for _ in range(size // MiB)]
    parts.append(compressor.compress(b"\0" * (size % MiB)))
    return b"".join([*parts, compressor.flush()])


def _flate_stream(deflated: bytes, **entries: Any) -> StreamObject:
    stream = StreamObject()
    stream._data = deflated  # already encoded: written as it is
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    for key, value in entries.items():
        stream[NameObject(key)] = value
    return stream


def pdf_with_embedded_files(
    count: int, size: int, *, name: str = "avant-{}.jpg", base: bytes | None = None
) -> bytes:
    """The filled form with ``count`` embedded files, each ``size`` zero bytes once inflated."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base or filled_form())))
    deflated = _zeros_deflated(size)
    names = ArrayObject()
    for index in range(count):
        stream = _flate_stream(
            deflated,
            **{
                "/Type": NameObject("/EmbeddedFile"),
                "/Params": DictionaryObject({NameObject("/Size"): NumberObject(size)}),
            },
        )
        filename = TextStringObject(name.format(index))
        spec = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Filespec"),
                NameObject("/F"): filename,
                NameObject("/UF"): filename,
                NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(stream)}),
            }
        )
        names.extend([filename, writer._add_object(spec)])
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/EmbeddedFiles"): DictionaryObject({NameObject("/Names"): names})}
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_pages(count: int) -> bytes:
    """The filled form followed by ``count`` blank pages."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(filled_form())))
    for _ in range(count):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_bomb_content_stream(size: int) -> bytes:
    """The filled form whose first page's content stream inflates to ``size`` bytes."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(filled_form())))
    page = writer.pages[0]
    page[NameObject("/Contents")] = writer._add_object(_flate_stream(_zeros_deflated(size)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_unknown_field() -> bytes:
    """The filled form with one more text field the quitus form does not have, filled in."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(filled_form())))
    field = DictionaryObject(
        {
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject("client.birth_date"),
            NameObject("/V"): TextStringObject("01/02/1970"),
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
        }
    )
    reference = writer._add_object(field)
    writer._root_object["/AcroForm"]["/Fields"].append(reference)  # type: ignore[index, union-attr]
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header for a ``width`` × ``height`` grey image, and a tiny zlib stream of zeros."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compress(b"\0" * min((width + 1) * height, 4 * MiB), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def png_bomb(pixels: int) -> bytes:
    """A real, fully decodable grey PNG of about ``pixels`` pixels, all black: tiny once deflated."""
    side = int(pixels**0.5)
    row = b"\0" * (side + 1)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header is rewritten to declare ``width`` × ``height``."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (16, 16)).save(buffer, format="JPEG")
    data = bytearray(buffer.getvalue())
    at = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


def deep_json(depth: int) -> bytes:
    """A report-shaped object whose ``observations`` is nested ``depth`` lists deep."""
    return b'{"submission_id": "deep-0001", "observations": ' + b"[" * depth + b"]" * depth + b"}"


def wide_json(count: int) -> bytes:
    """A report-shaped object with ``count`` tiny values in one list (``[0,0,0,…]``)."""
    return b'{"submission_id": "wide-0001", "tags": [' + b",".join([b"0"] * count) + b"]}"


def many_objects_json(count: int) -> bytes:
    """A report-shaped object with ``count`` empty objects in one list."""
    return b'{"submission_id": "objs-0001", "tags": [' + b",".join([b"{}"] * count) + b"]}"


def report_with_photo(photo: bytes, template_payload: dict[str, Any] | None = None) -> bytes:
    """A valid generated report whose first photo is ``photo``."""
    from tests.api_client import sample_reports

    payload = template_payload or sample_reports(1)[0].payload
    payload = json.loads(json.dumps(payload))
    if template_payload is None:  # each hostile file is its own submission, never a conflict of another
        payload["submission_id"] = "photo-" + hashlib.sha256(photo).hexdigest()[:16]
    payload["photos"][0]["image"] = {"content_base64": base64.b64encode(photo).decode("ascii")}
    return json.dumps(payload).encode()


HOSTILE: tuple[Hostile, ...] = (
    Hostile(
        "pdf: 30 embedded files of 70 MiB of zeros",
        "application/pdf",
        lambda: pdf_with_embedded_files(30, 70 * MiB),
        frozenset({"pdf_attachment_too_large", "pdf_too_complex", "pdf_too_large"}),
    ),
    Hostile(
        "pdf: one embedded file of 70 MiB of zeros",
        "application/pdf",
        lambda: pdf_with_embedded_files(1, 70 * MiB),
        frozenset({"pdf_attachment_too_large", "pdf_too_complex"}),
    ),
    Hostile(
        "pdf: 400 embedded files of 64 KiB",
        "application/pdf",
        lambda: pdf_with_embedded_files(400, 64 * 1024),
        frozenset({"pdf_too_many_attachments"}),
    ),
    Hostile(
        "pdf: 12 embedded files of 12 MiB (each allowed, too much together)",
        "application/pdf",
        lambda: pdf_with_embedded_files(12, 12 * MiB),
        frozenset({"pdf_too_complex"}),
    ),
    Hostile(
        "pdf: a page content stream of 200 MiB of zeros",
        "application/pdf",
        lambda: pdf_with_bomb_content_stream(200 * MiB),
        frozenset({"pdf_too_complex"}),
    ),
    Hostile(
        "pdf: 2,000 pages",
        "application/pdf",
        lambda: pdf_with_pages(2000),
        frozenset({"pdf_too_many_pages"}),
    ),
    Hostile(
        "photo: PNG declaring 100,000 x 100,000 pixels",
        "application/json",
        lambda: report_with_photo(png_declaring(100_000, 100_000)),
        frozenset({"photo_too_many_pixels"}),
    ),
    Hostile(
        "photo: JPEG declaring 60,000 x 60,000 pixels",
        "application/json",
        lambda: report_with_photo(jpeg_declaring(60_000, 60_000)),
        frozenset({"photo_too_many_pixels"}),
    ),
    Hostile(
        "photo: PNG of 39 Mpx of black (decodable, under the pixel limit)",
        "application/json",
        lambda: report_with_photo(png_bomb(39_000_000)),
        frozenset({"accepted"}),
    ),
    Hostile(
        "json: nested 100,000 levels",
        "application/json",
        lambda: deep_json(100_000),
        frozenset({"json_too_deep"}),
    ),
    Hostile(
        "json: nested 3,000 levels", "application/json", lambda: deep_json(3000), frozenset({"json_too_deep"})
    ),
    Hostile(
        "json: 3 million values in one list",
        "application/json",
        lambda: wide_json(3_000_000),
        frozenset({"json_too_complex"}),
    ),
    Hostile(
        "json: 2 million empty objects",
        "application/json",
        lambda: many_objects_json(2_000_000),
        frozenset({"json_too_complex"}),
    ),
)
"""The corpus, most severe first: what ``bench/capture_bombs.py`` and the tests feed quitus."""


def large_report(size: int) -> bytes:
    """A valid generated report padded to ``size`` bytes by one inline "photo" of base64 text."""
    from tests.api_client import sample_reports

    payload = json.loads(json.dumps(sample_reports(1)[0].payload))
    payload["submission_id"] = f"large-{size}"
    base = len(json.dumps(payload).encode())
    filler = base64.b64encode(b"\xff\xd8\xff" + bytes((size - base) * 3 // 4 - 64)).decode("ascii")
    payload["photos"][0]["image"] = {"content_base64": filler}
    return json.dumps(payload).encode()


LARGE: tuple[Hostile, ...] = (
    Hostile(
        "json: a 60 MB report (one inline photo of 45 MB), within the request limit",
        "application/json",
        lambda: large_report(60 * MiB),
        frozenset({"photo_too_large", "captured"}),
    ),
    Hostile(
        "pdf: a 60 MB form (incompressible noise in one stream)",
        "application/pdf",
        lambda: _pdf_with_noise(60 * MiB),
        frozenset({"pdf_attachment_too_large", "pdf_too_complex"}),
    ),
)
"""Large but within the request size limit: ``bench/capture_bombs.py --large`` only (slow to build)."""


def _pdf_with_noise(size: int) -> bytes:
    import os

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(filled_form())))
    noise = zlib.compress(os.urandom(size), 1)
    page = writer.pages[0]
    page[NameObject("/Contents")] = writer._add_object(_flate_stream(noise))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
