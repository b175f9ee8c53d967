"""The decompression budget of a PDF form, checked before the PDF parser sees it.

A PDF's streams are mostly zlib (``/FlateDecode``): 70 MiB of zeros deflate to 70 KB, so a
2 MB upload can inflate to gigabytes inside the parser. :func:`check_inflated_size`
finds every ``stream`` keyword in the raw bytes and inflates what follows into a bounded
buffer that is thrown away at once, adding up the sizes: memory stays at one chunk,
time at most the budget's worth of inflating. It needs no parsing (and so cannot be
fooled by an object the parser would reach another way): a stream it cannot inflate is
not zlib, and the parser's own per-stream caps (set by the form reader) bound it.
"""

from __future__ import annotations

import re
import zlib

from reports.capture.limits import CaptureLimits, MiB
from reports.errors import CaptureError

__all__ = ["check_inflated_size", "format_bytes"]

# "stream" starting a stream's data (not the end of "endstream"), then its end of line.
_STREAM_START = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_CHUNK = 256 * 1024


def format_bytes(count: int) -> str:
    """``16 MiB``, ``512 KiB``: sizes in messages."""
    if count >= MiB:
        return f"{count / MiB:g} MiB"
    return f"{count / 1024:g} KiB" if count >= 1024 else f"{count} bytes"


def check_inflated_size(data: bytes, limits: CaptureLimits) -> int:
    """The total inflated size of the zlib streams of ``data``; refuses one past the limits.

    Raises :class:`CaptureError` ``pdf_too_complex`` when one stream inflates past
    ``form_max_stream_bytes`` or all of them past ``form_max_decoded_bytes``.
    """
    total = 0
    view = memoryview(data)
    for match in _STREAM_START.finditer(data):
        size = _inflated_size(view[match.end() :], limits.form_max_stream_bytes + 1)
        if size > limits.form_max_stream_bytes:
            raise CaptureError(
                "pdf_too_complex",
                f"one compressed stream inflates past {format_bytes(limits.form_max_stream_bytes)}",
                limit=f"{format_bytes(limits.form_max_stream_bytes)} per stream",
            )
        total += size
        if total > limits.form_max_decoded_bytes:
            raise CaptureError(
                "pdf_too_complex",
                f"the compressed streams inflate past {format_bytes(limits.form_max_decoded_bytes)} together",
                limit=f"{format_bytes(limits.form_max_decoded_bytes)} decompressed in all",
            )
    return total


def _inflated_size(data: memoryview, stop_at: int) -> int:
    """How many bytes the zlib stream at the start of ``data`` inflates to (at most ``stop_at``)."""
    inflater = zlib.decompressobj()
    size = 0
    for start in range(0, len(data), _CHUNK):
        pending = bytes(data[start : start + _CHUNK])
        while pending:
            try:
                size += len(inflater.decompress(pending, _CHUNK))
            except zlib.error:
                return size  # not zlib (or damaged): the parser's own caps apply to it
            if size >= stop_at or inflater.eof:
                return size
            pending = inflater.unconsumed_tail
        if inflater.eof:
            break
    return size
