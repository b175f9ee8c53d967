"""The budgets every capture decoder gets before it runs.

A submission is hostile until read: a 2 MB PDF can hold gigabytes of zlib-compressed
zeros, a JSON file thousands of nested lists, a folder a symlink to the key file. Each
decoder of :mod:`reports.capture` is given a :class:`CaptureLimits` and refuses, with a
stable issue code, the first input that would take it past one of them — before the
memory is allocated, never after. Photos have their own limits
(:class:`~reports.capture.photos.PhotoLimits`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CaptureLimits", "MiB"]

MiB = 1024 * 1024


@dataclass(frozen=True)
class CaptureLimits:
    """Budgets of the JSON decoder, the PDF form reader and the attachment reader."""

    json_max_depth: int = 32
    """Deepest nesting of lists and objects in a JSON submission (a report needs 5):
    ``json_too_deep``."""

    json_max_containers: int = 20_000
    """Most lists and objects in a JSON submission (a report with 64 photos and a long
    checklist needs a few hundred): ``json_too_complex``."""

    json_max_values: int = 200_000
    """Most values (separated by commas) in a JSON submission: ``json_too_complex``."""

    form_max_pages: int = 50
    """Most pages in a PDF form (a quitus form has 2 to 5): ``pdf_too_many_pages``."""

    form_max_fields: int = 5_000
    """Most form fields in a PDF form: ``pdf_too_complex``."""

    form_max_attachments: int = 64
    """Most files attached to a PDF form (its photos): ``pdf_too_many_attachments``."""

    form_max_stream_bytes: int = 16 * MiB
    """Largest decoded size of any one compressed stream of a PDF form (page content,
    attached file…): ``pdf_attachment_too_large`` for an attached file, else
    ``pdf_too_complex``. An attached photo is held to the photo size limit too."""

    form_max_decoded_bytes: int = 64 * MiB
    """Most bytes all the compressed streams of one PDF form may inflate to, together:
    ``pdf_too_complex``. Checked by inflating each stream into a bounded buffer that is
    thrown away, before the PDF parser sees the file."""

    form_worker_memory_bytes: int = 384 * MiB
    """Memory the process that parses a PDF form may add to its start-up size (an
    address-space limit, ``RLIMIT_AS``): a form that needs more is ``pdf_too_complex``
    and the process that received it is not affected. A form at every other limit
    (64 MiB of attachments) needs about 200 MiB."""

    form_worker_seconds: float = 30.0
    """CPU and wall-clock seconds the form-parsing process may take: ``pdf_too_complex``."""

    max_attachment_files: int = 64
    """Most ``file`` references in one submission read from its folder (``quitus ingest``)."""

    max_attachment_total_bytes: int = 96 * MiB
    """Most bytes all the files a submission references may hold together:
    ``attachments_too_large``. Each file is also held to the photo size limit."""
