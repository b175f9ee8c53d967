"""Files the CLI writes and reads for a person: exports written safely, ``-`` for stdin/stdout.

Every export (sealed PDFs, proof bundles, subject exports, certificates of disposition, the
register of disposals, forms, consistency proofs, the demo's outputs) goes through
:func:`write_export`: the bytes land in a temporary file of the target's folder with an
unpredictable name, created with mode 0600 whatever the umask (``tempfile.mkstemp``: ``O_EXCL``,
so a symlink planted in the folder is never followed), are flushed to disk, then renamed over
the target in one step. A reader never sees half a file; a crash leaves no partial export
under the target's name; nobody else on the machine can read a person's data in it.

:func:`write_output` and :func:`read_input` add the command-line convention: ``-`` is standard
output or standard input.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

__all__ = [
    "EXPORT_MODE",
    "STDIO",
    "is_stdio",
    "read_input",
    "read_or_fail",
    "write_export",
    "write_or_fail",
    "write_output",
]

STDIO = "-"
"""The file name that means standard input or standard output."""

EXPORT_MODE = 0o600
"""Exports hold personal data or proofs about it: readable by their owner only."""


def is_stdio(target: str | Path | None) -> bool:
    """Whether ``target`` is ``-`` (standard input or output)."""
    return target is not None and str(target) == STDIO


def write_export(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically, with mode 0600, through an unpredictable name.

    Raises :class:`OSError` (the target's folder missing or not writable, a full disk): the
    target is then as it was, and no temporary file is left behind.
    """
    folder = target.parent
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            os.fchmod(stream.fileno(), EXPORT_MODE)  # mkstemp's already; said here on purpose
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX: the folder's entry is flushed with the folder)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # a folder that cannot be opened for reading still got the file
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the file itself is on disk
    finally:
        os.close(descriptor)


def write_output(target: str | Path, data: bytes) -> bool:
    """Write ``data`` to standard output when ``target`` is ``-``, else :func:`write_export`.

    Returns whether it went to standard output (the caller then prints its messages on
    stderr, so that the output stays the document alone). Raises :class:`OSError`.
    """
    if is_stdio(target):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return True
    write_export(Path(target), data)
    return False


def read_input(source: str | Path, *, limit: int | None = None) -> bytes:
    """The bytes of ``source``, or of standard input when it is ``-``; at most ``limit`` + 1
    bytes are read when ``limit`` is given (the caller refuses more). Raises :class:`OSError`."""
    if is_stdio(source):
        return sys.stdin.buffer.read(-1 if limit is None else limit + 1)
    with Path(source).open("rb") as stream:
        return stream.read(-1 if limit is None else limit + 1)


def write_or_fail(target: str | Path, data: bytes) -> bool:
    """:func:`write_output` for a command: a write that fails exits with code 2 and says what to do."""
    try:
        return write_output(target, data)
    except OSError as exc:
        from quitus.cli_support import fail, plain  # noqa: PLC0415 - the CLI's, only when it fails

        fail(
            f"cannot write {plain(target)}: {plain(exc.strerror or exc)}; give a path in a writable "
            "folder, or -o - for standard output"
        )


def read_or_fail(source: str | Path, *, limit: int | None = None) -> bytes:
    """:func:`read_input` for a command: a file that cannot be read exits with code 2."""
    try:
        return read_input(source, limit=limit)
    except OSError as exc:
        from quitus.cli_support import fail, plain  # noqa: PLC0415

        fail(f"cannot read {plain(source)}: {plain(exc.strerror or exc)}")
