"""Decoding a JSON submission within a budget, refusing duplicate keys.

``json.loads`` recurses once per nesting level (3,000 nested lists are a
``RecursionError``) and allocates every value before anything can look at the result
(64 MiB of ``[0,0,0,…`` is a list of 32 million items). :func:`load_json_object` counts
first, on the bytes, at C speed — containers, values, then nesting depth over the
structural characters only — and parses only what fits in :class:`CaptureLimits`.

A key given twice in one object is refused (``duplicate_key``): ``json.loads`` would keep
the last value silently while the first stays in the stored raw submission, outside the
report and its subject index.
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

from reports.capture.limits import CaptureLimits
from reports.issues import ReportIssue, format_path, issue

__all__ = ["load_json_object", "looks_like_field_name"]

# A string (escapes included) or one structural character; strings are skipped whole.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def looks_like_field_name(key: str) -> bool:
    """Whether a submitted key may be quoted in a message: a key may itself be personal data."""
    return _FIELD_NAME.fullmatch(key) is not None


class _Duplicated(dict[str, Any]):
    """An object in which a key was given twice (which one: :attr:`key`)."""

    key = ""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    duplicated = _Duplicated(found)
    seen: set[str] = set()
    duplicated.key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return duplicated


def load_json_object(
    raw: bytes, limits: CaptureLimits, *, outline: bool = False
) -> tuple[dict[str, Any] | None, ReportIssue | None]:
    """The JSON object in ``raw``, or ``None`` and the issue that refuses it.

    Codes: ``not_utf8``, ``json_too_complex``, ``json_too_deep``, ``invalid_json``,
    ``duplicate_key``, ``not_an_object``. No message quotes a submitted value.

    ``outline``: every string longer than :data:`OUTLINE_STRING_BYTES` (an inline photo) is
    read as ``""`` and the text is checked as UTF-8 piece by piece, so a 60 MB submission
    costs kilobytes, not twice its size: its structure, keys and short values are those of
    the full reading, which alone checks the long strings' escapes (the API's receive
    path, :meth:`reports.intake.Intake.receive`; the intake flow reads it in full).
    """
    text, problem = _text_within_budget(raw, limits, outline=outline)
    if text is None:
        return None, problem
    try:
        payload = json.loads(text, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        return None, issue("", "invalid_json", detail=f"{exc.msg} at line {exc.lineno}, column {exc.colno}")
    duplicate = next(_duplicates(payload, ()), None)
    if duplicate is not None:
        where, key = duplicate
        named = f"'{key}'" if looks_like_field_name(key) else "a key"
        return None, issue(format_path(where), "duplicate_key", key=named)
    if not isinstance(payload, dict):
        return None, issue("", "not_an_object")
    return payload, None


def _text_within_budget(
    raw: bytes, limits: CaptureLimits, *, outline: bool
) -> tuple[str | None, ReportIssue | None]:
    """The text to parse (an outline's, long strings left out), or the issue that refuses it."""
    if outline:
        problem = _utf8_problem(raw)
        if problem is not None:
            return None, problem
        text = ""
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, issue("", "not_utf8", offset=exc.start)
    over_budget = _over_budget(raw, limits)
    if over_budget is not None:
        return None, over_budget
    return (_LONG_STRING.sub(b'""', raw).decode("utf-8-sig") if outline else text), None


OUTLINE_STRING_BYTES = 4096
"""Strings longer than this (JSON text, quotes included) are left out of an outline."""
_LONG_STRING = re.compile(rb'"(?=[^"\\]{%d})[^"\\]*(?:\\.[^"\\]*)*"' % OUTLINE_STRING_BYTES)
_UTF8_PIECE = 1 << 20


def _utf8_problem(raw: bytes) -> ReportIssue | None:
    """``not_utf8`` (with the offset) unless ``raw`` is UTF-8, checked a megabyte at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    for start in range(0, len(raw), _UTF8_PIECE):
        pending = len(decoder.getstate()[0])  # the bytes of a character cut by the previous piece
        try:
            decoder.decode(view[start : start + _UTF8_PIECE])
        except UnicodeDecodeError as exc:
            return issue("", "not_utf8", offset=start - pending + exc.start)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return issue("", "not_utf8", offset=len(raw) - len(exc.object) + exc.start)
    return None


def _over_budget(raw: bytes, limits: CaptureLimits) -> ReportIssue | None:
    """``json_too_deep`` or ``json_too_complex``, measured on the bytes without parsing them."""
    # Depth first (it names the problem best), over a bounded number of tokens.
    depth = _depth(raw, limits.json_max_depth, 2 * (limits.json_max_containers + limits.json_max_values))
    if depth > limits.json_max_depth:
        return issue("", "json_too_deep", max_depth=limits.json_max_depth)
    containers = raw.count(b"{") + raw.count(b"[")
    values = raw.count(b",") + 1
    if containers > limits.json_max_containers or values > limits.json_max_values:
        # Brackets and commas inside strings count too: the bound errs on the safe side.
        return issue(
            "",
            "json_too_complex",
            containers=containers,
            values=values,
            max_containers=limits.json_max_containers,
            max_values=limits.json_max_values,
        )
    return None


def _depth(raw: bytes, stop_above: int, max_tokens: int) -> int:
    """Deepest nesting in ``raw`` (strings skipped), stopping as soon as it passes ``stop_above``.

    Looks at ``max_tokens`` strings and brackets at most: past that, the counts refuse it.
    """
    depth = deepest = 0
    for token in itertools.islice(_TOKENS.finditer(raw), max_tokens):
        char = raw[token.start() : token.start() + 1]  # not token.group(): a string may be megabytes
        if char in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_above:
                    break
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def _duplicates(node: Any, where: tuple[int | str, ...]) -> Iterator[tuple[tuple[int | str, ...], str]]:
    """(path, key) of every object holding a key twice; the nesting is bounded already."""
    if isinstance(node, _Duplicated):
        yield where, node.key
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _duplicates(value, (*where, key if looks_like_field_name(key) else "(key)"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _duplicates(value, (*where, index))
