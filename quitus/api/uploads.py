"""Multipart capture: a ``report`` JSON part and the photos and signatures it names.

The report refers to an uploaded file by the name of its part (or the file's name) in
an attachment's ``file`` field — ``"image": {"file": "avant"}`` with a part
``avant=@avant.jpg``. Each referenced upload is checked **by content** (JPEG or PNG
signature, never the declared type or name), held to ``QUITUS_PHOTO_MAX_BYTES``, and
inlined as ``content_base64``; the resulting JSON is what capture stores. The same
request twice gives the same bytes, so a retry is recognised as a duplicate.

Uploads stay in memory (the request body is bounded by ``QUITUS_MAX_REQUEST_BYTES``):
a photo never reaches the disk unencrypted. The ``report`` part is decoded within the
capture budget (nesting depth, number of values, duplicate keys refused: see
:mod:`reports.capture.json_decode`), and refused with the capture's own issue code.
Errors name a location in the report (``photos[0].image``) or a part's position, never
a submitted name or value.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from quitus.api.errors import ApiError
from reports.capture.json_decode import load_json_object
from reports.capture.limits import CaptureLimits
from reports.intake import file_references

__all__ = ["MAX_PARTS", "read_multipart_submission"]

MAX_PARTS = 64
"""A report with more photos than this is sent as JSON with inline images."""
REPORT_PART = "report"
_IMAGE_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


class _InMemoryMultiPartParser(MultiPartParser):
    # Starlette spools parts above 1 MB to a temporary file: here they stay in memory.
    spool_max_size = 1 << 62


def image_type(data: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` from the first bytes; None for anything else."""
    for signature, media_type in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return media_type
    return None


async def read_multipart_submission(
    request: Request, *, max_body_bytes: int, max_upload_bytes: int, limits: CaptureLimits | None = None
) -> bytes:
    """The submission's JSON bytes with every referenced upload inlined; raises :class:`ApiError`."""
    parser = _InMemoryMultiPartParser(
        request.headers,
        request.stream(),
        max_files=MAX_PARTS,
        max_fields=MAX_PARTS,
        max_part_size=max_body_bytes,
    )
    try:
        form = await parser.parse()
    except MultiPartException:
        raise ApiError(
            422,
            "invalid_multipart",
            f"the multipart body cannot be read (malformed, or more than {MAX_PARTS} parts)",
            where="body",
            hint="send a 'report' part (JSON) and one part per photo or signature",
        ) from None
    try:
        report_text: bytes | None = None
        uploads: list[tuple[int, str, UploadFile]] = []
        for position, (name, value) in enumerate(form.multi_items(), start=1):
            if name == REPORT_PART and report_text is None:
                report_text = await _text_of(value)
            elif isinstance(value, UploadFile):
                uploads.append((position, name, value))
            else:
                raise ApiError(
                    422,
                    "unexpected_part",
                    f"part {position} is neither the report nor a file",
                    where=f"part {position}",
                    hint="send photos and signatures as files (curl -F name=@photo.jpg)",
                )
        if report_text is None:
            raise ApiError(
                422,
                "missing_report_part",
                "the multipart body has no 'report' part",
                where="body",
                hint="add the report as a part named 'report' (JSON)",
            )
        payload = _report_object(report_text, limits or CaptureLimits())
        used: set[int] = set()
        for path, attachment in file_references(payload):
            position, upload = _find_upload(uploads, attachment["file"], path)
            data = await upload.read()
            _check_upload(data, path, max_upload_bytes)
            attachment.clear()
            attachment["content_base64"] = base64.b64encode(data).decode("ascii")
            used.add(position)
        unused = [position for position, _, _ in uploads if position not in used]
        if unused:
            raise ApiError(
                422,
                "unreferenced_part",
                f"part {unused[0]} is not referenced by the report",
                where=f"part {unused[0]}",
                hint='reference each file from an attachment: {"file": "<part name>"}; nothing was stored',
            )
    finally:
        await form.close()
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


async def _text_of(value: str | UploadFile) -> bytes:
    raw = await value.read() if isinstance(value, UploadFile) else value.encode()
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(
            422, "invalid_report_part", "the 'report' part is not UTF-8 text", where="part report"
        ) from None
    return raw


_PART_PROBLEMS = {"invalid_json": "invalid_report_part", "not_an_object": "invalid_report_part"}


def _report_object(raw: bytes, limits: CaptureLimits) -> dict[str, Any]:
    payload, problem = load_json_object(raw, limits)
    if problem is not None or payload is None:
        code = problem.code if problem is not None else "invalid_report_part"
        message = problem.message if problem is not None else "the 'report' part cannot be read"
        if code == "not_an_object":
            message = "the 'report' part must be one JSON object"
        elif code == "invalid_json":
            message = f"the 'report' part is {message.split(';')[0]}"
        where = f"part report{'.' + problem.path if problem is not None and problem.path else ''}"
        raise ApiError(
            422, _PART_PROBLEMS.get(code, code), message, where=where, hint="fix the JSON; nothing was stored"
        )
    return payload


def _find_upload(
    uploads: list[tuple[int, str, UploadFile]], reference: str, path: str
) -> tuple[int, UploadFile]:
    for position, name, upload in uploads:
        if name == reference:
            return position, upload
    for position, _, upload in uploads:
        if upload.filename == reference:
            return position, upload
    raise ApiError(
        422,
        "missing_upload",
        "the report names a file that is not among the uploaded parts",
        where=f"{path}.file",
        hint="upload it as a part whose name (or file name) is the one the report gives; nothing was stored",
    )


def _check_upload(data: bytes, path: str, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise ApiError(
            413,
            "upload_too_large",
            f"the file is larger than the {max_bytes} bytes accepted per photo",
            where=path,
            hint="send a smaller photo (QUITUS_PHOTO_MAX_BYTES sets the limit); nothing was stored",
        )
    if image_type(data) is None:
        raise ApiError(
            415,
            "unsupported_upload_type",
            "the file is not a JPEG or PNG image (its content was checked, not its name)",
            where=path,
            hint="photos and signatures are JPEG or PNG; nothing was stored",
        )
