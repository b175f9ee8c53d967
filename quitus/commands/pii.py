"""``quitus pii``: find and redact personal data in French free text.

``quitus pii detect FILE.jsonl`` (or ``-`` for stdin) reads lines ``{"id": str, "text": str}``
and writes one line per input line, in order: ``{"id": str, "entities": [{"type", "start",
"end", "score"}]}`` with offsets into ``text`` (Unicode code points, as Python counts them).
A line that cannot be read gives ``{"id": <id or null>, "line": n, "error": "..."}``
instead, and the other lines are still processed; the exit code is then 1.

``quitus pii redact [FILE]`` reads text from a file, or stdin (``-``, the default), and prints it
with typed placeholders.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from quitus.cli_support import fail, plain
from quitus.exit_codes import ExitCode

if TYPE_CHECKING:
    from anonymization.engine import PiiEngine

__all__ = ["app"]

app = typer.Typer(
    help="Personal data in French free text: detect and redact (offline).", no_args_is_help=True
)

MAX_TEXT_CHARS = 5_000_000
"""Longest text accepted on one line (or on stdin for redact)."""
BATCH_LINES = 256

VocabularyOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--vocabulary", help="Extra technical-vocabulary file (YAML or one term per line); repeatable."
    ),
]


def _engine(vocabulary: list[Path] | None, batch_size: int = 64) -> PiiEngine:
    from anonymization.engine import PiiEngine  # noqa: PLC0415
    from anonymization.errors import AnonymizationError  # noqa: PLC0415
    from anonymization.vocabulary import load_vocabulary  # noqa: PLC0415
    from reports.templates import TemplateCatalog  # noqa: PLC0415

    try:
        catalog = TemplateCatalog.load(_template_dir())
        return PiiEngine(load_vocabulary(catalog, vocabulary or ()), batch_size=batch_size)
    except AnonymizationError as exc:
        fail(str(exc))


def _template_dir() -> Path:
    """Company templates add technical words; without a valid QUITUS_HOME, the built-in ones suffice."""
    from quitus.settings import SettingsError, load_settings  # noqa: PLC0415

    try:
        return load_settings().template_dir
    except SettingsError:
        return Path("/nonexistent")


@app.command("detect")
def detect(
    source: Annotated[str, typer.Argument(help='A JSONL file of {"id", "text"} lines, or - for stdin.')],
    vocabulary: VocabularyOption = None,
    batch_size: Annotated[int, typer.Option(min=1, max=4096, help="Texts per model batch.")] = 64,
) -> None:
    """One JSON line of entities per input line; a bad line gets an error line, the rest go on."""
    stream = _open(source)
    engine = _engine(vocabulary, batch_size)
    failed = False
    try:
        batch: list[tuple[int, str | None, str | None, str | None]] = []
        for number, raw in enumerate(stream, start=1):
            batch.append(_parse_line(number, raw))
            if len(batch) >= BATCH_LINES:
                failed |= _flush(engine, batch)
                batch = []
        failed |= _flush(engine, batch)
    finally:
        if stream is not sys.stdin:
            stream.close()
    raise typer.Exit(ExitCode.REJECTED if failed else ExitCode.OK)


@app.command("redact")
def redact(
    source: Annotated[str, typer.Argument(help="A UTF-8 text file, or - for stdin (the default).")] = "-",
    vocabulary: VocabularyOption = None,
    mask: Annotated[
        list[str] | None,
        typer.Option(
            "--mask",
            help="Show a partial mask for this type (PHONE_NUMBER, IBAN_CODE, CREDIT_CARD, EMAIL_ADDRESS).",
        ),
    ] = None,
) -> None:
    """Read text (a file, or stdin), print it with <PERSONNE_1>, <TÉLÉPHONE_1>… in place of personal data."""
    from anonymization.redaction import ReportRedactor  # noqa: PLC0415

    stream = _open(source)
    try:
        text = stream.read(MAX_TEXT_CHARS + 1)
    finally:
        if stream is not sys.stdin:
            stream.close()
    if len(text) > MAX_TEXT_CHARS:
        fail(f"the text is longer than {MAX_TEXT_CHARS} characters; split it")
    try:
        redactor = ReportRedactor(_engine(vocabulary), masked_types=mask or ())
    except ValueError as exc:
        fail(str(exc))
    _write(sys.stdout, redactor.redact_text(text))


def _open(source: str) -> IO[str]:
    if source == "-":
        return sys.stdin
    try:
        return Path(source).open(encoding="utf-8", errors="surrogateescape", newline="\n")
    except OSError as exc:
        fail(f"cannot read {plain(source)} ({plain(exc.strerror)})")


class _BadLineError(Exception):
    def __init__(self, message: str, identifier: str | None = None) -> None:
        super().__init__(message)
        self.identifier = identifier


def _parse_line(number: int, raw: str) -> tuple[int, str | None, str | None, str | None]:
    """(line number, id, text, error): exactly one of text and error is set."""
    try:
        identifier, text = _read_record(raw)
    except _BadLineError as exc:
        return number, exc.identifier, None, str(exc)
    return number, identifier, text, None


def _read_record(raw: str) -> tuple[str, str]:
    if not raw.strip():
        raise _BadLineError('empty line: expected {"id": ..., "text": ...}')
    if len(raw) > MAX_TEXT_CHARS:
        raise _BadLineError(f"line longer than {MAX_TEXT_CHARS} characters; split the text")
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _BadLineError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise _BadLineError("not JSON (nested too deeply)") from None
    if not isinstance(record, dict):
        raise _BadLineError('expected a JSON object {"id": ..., "text": ...}')
    identifier = record.get("id")
    if not isinstance(identifier, str):
        raise _BadLineError('"id" must be a string')
    text = record.get("text")
    if not isinstance(text, str):
        raise _BadLineError('"text" must be a string', identifier)
    return identifier, text


def _flush(engine: PiiEngine, batch: list[tuple[int, str | None, str | None, str | None]]) -> bool:
    """Detect and write a batch of parsed lines; whether any line had an error."""
    texts = [text for _, _, text, _ in batch if text is not None]
    found = iter(engine.detect_many(texts))
    failed = False
    for number, identifier, text, error in batch:
        if text is None:
            failed = True
            _write(sys.stdout, json.dumps({"id": identifier, "line": number, "error": error}) + "\n")
            sys.stderr.write(f"line {number}: {error}\n")
        else:
            entities = [entity.as_dict() for entity in next(found)]
            _write(
                sys.stdout, json.dumps({"id": identifier, "entities": entities}, ensure_ascii=False) + "\n"
            )
    sys.stdout.flush()
    return failed


def _write(stream: IO[str], text: str) -> None:
    """Write even what the terminal's encoding cannot show (lone surrogates become U+FFFD)."""
    stream.write(text.encode("utf-8", errors="replace").decode("utf-8") if _has_surrogates(text) else text)


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
