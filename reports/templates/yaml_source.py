"""Load YAML strictly while keeping line numbers, so errors can name file and line.

Every YAML file quitus reads (templates, policies, the technical vocabulary) goes
through :func:`load_yaml_document`. It refuses a mapping key written twice, at any
depth: PyYAML would silently keep the last value, so ``duration: P5Y`` followed later
by ``duration: P10Y`` would keep a report ten years without anyone deciding it. Anchors,
aliases and merge keys (``<<: *base``) work; a key given after a merge overrides the
merged one, as merge keys intend, but an explicit key written twice is still refused.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

__all__ = ["YamlDocument", "YamlSourceError", "load_yaml_document", "located_errors", "read_yaml_document"]


class YamlSourceError(Exception):
    """The file is not readable, strict YAML; each problem names the file and line."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n  ".join(problems))
        self.problems = list(problems)
        """Each problem as ``file:line: message`` (``file:line:column:`` for a duplicate key)."""


class YamlDocument:
    """A parsed YAML mapping plus the line of every node, for error messages."""

    def __init__(self, path: Path, data: Any, root: yaml.Node) -> None:
        self.path = path
        self.data = data
        self._root = root

    def line_of(self, loc: tuple[int | str, ...]) -> int:
        """1-based line of the value at ``loc`` (a pydantic error location).

        Falls back to the deepest node found when ``loc`` goes further than the file
        (a missing key is reported at the mapping that should hold it).
        """
        node = self._root
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return node.start_mark.line + 1

    def where(self, loc: tuple[int | str, ...]) -> str:
        return f"{self.path}:{self.line_of(loc)}"


def _child(node: yaml.Node, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def load_yaml_document(path: Path) -> YamlDocument:
    """Parse ``path`` safely; raise :class:`YamlSourceError` naming file and line."""
    document, duplicates = read_yaml_document(path)
    if duplicates:
        raise YamlSourceError(*duplicates)
    return document


def read_yaml_document(path: Path) -> tuple[YamlDocument, list[str]]:
    """Parse ``path`` safely; the document and every key written twice (``file:line:column:``).

    A caller that reports every problem of a file at once (templates) goes on validating
    the document after duplicate keys; :class:`YamlSourceError` is raised only when the
    file cannot be parsed at all.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSourceError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    except OSError as exc:
        raise YamlSourceError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        duplicates = list(_duplicate_keys(root, path)) if root is not None else []
        # Constructing resolves merge keys in place: build the data from a second parse
        # so that ``root`` keeps the lines as written, for error messages.
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise YamlSourceError(f"{path}:{line}: invalid YAML ({exc.problem})") from exc
    if root is None or not isinstance(data, dict):
        raise YamlSourceError(*duplicates, f"{path}:1: expected a mapping of keys at the top of the file")
    return YamlDocument(path, data, root), duplicates


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _duplicate_keys(root: yaml.Node, path: Path) -> Iterator[str]:
    """Every key written a second time in the same mapping, in file order.

    Keys compare as PyYAML's dict would (``'a'`` and ``a`` are one key, so are ``1`` and
    ``true``). Keys merged in by ``<<`` are not compared: overriding them is their use.
    """
    keys = yaml.constructor.SafeConstructor()
    found: list[tuple[yaml.Node, yaml.Node]] = []
    seen: set[int] = set()  # an aliased node is one node: checked once, however often reused
    pending = [root]
    while pending:  # iterative: a deeply nested file must not exhaust the call stack here
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            first: dict[Hashable, yaml.Node] = {}
            for key, value in node.value:
                pending.extend((key, value))
                identity = _key_identity(keys, key)
                if identity is None:
                    continue
                if identity in first:
                    found.append((first[identity], key))
                else:
                    first[identity] = key
    for earlier, again in sorted(found, key=lambda pair: pair[1].start_mark.index):
        mark = again.start_mark
        yield (
            f"{path}:{mark.line + 1}:{mark.column + 1}: duplicate key '{again.value}' "
            f"(first at line {earlier.start_mark.line + 1}): remove one"
        )


def _key_identity(keys: yaml.constructor.SafeConstructor, key: yaml.Node) -> Hashable | None:
    """What ``key`` is as a dict key; ``None`` for a key that cannot be one (PyYAML refuses it)."""
    if not isinstance(key, yaml.ScalarNode):
        return None
    if key.tag == _MERGE_TAG:
        return (_MERGE_TAG,)  # two ``<<`` in one mapping: write ``<<: [*a, *b]`` instead
    try:
        identity = keys.construct_object(key)
    except (yaml.YAMLError, ValueError, TypeError):  # e.g. a date key such as 2024-13-45
        return (key.tag, key.value)
    return identity if isinstance(identity, Hashable) else (key.tag, key.value)


def located_errors(document: YamlDocument, exc: ValidationError) -> list[str]:
    """Each validation error as ``file:line: key: message`` (input values are never quoted)."""
    located = []
    for error in exc.errors(include_input=False, include_url=False):
        key = ".".join(str(p) for p in error["loc"]) or "(top level)"
        located.append(f"{document.where(error['loc'])}: {key}: {error['msg'].removeprefix('Value error, ')}")
    return located
