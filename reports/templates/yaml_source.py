"""Load YAML while keeping line numbers, so errors can name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

__all__ = ["YamlDocument", "YamlSourceError", "load_yaml_document", "located_errors"]


class YamlSourceError(Exception):
    """The file is not readable YAML; the message names the file and line."""


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
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSourceError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    except OSError as exc:
        raise YamlSourceError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise YamlSourceError(f"{path}:{line}: invalid YAML ({exc.problem})") from exc
    if root is None or not isinstance(data, dict):
        raise YamlSourceError(f"{path}:1: expected a mapping of keys at the top of the file")
    return YamlDocument(path, data, root)


def located_errors(document: YamlDocument, exc: ValidationError) -> list[str]:
    """Each validation error as ``file:line: key: message`` (input values are never quoted)."""
    located = []
    for error in exc.errors(include_input=False, include_url=False):
        key = ".".join(str(p) for p in error["loc"]) or "(top level)"
        located.append(f"{document.where(error['loc'])}: {key}: {error['msg'].removeprefix('Value error, ')}")
    return located
