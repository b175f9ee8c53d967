"""Ledger steps and blob kinds are written as enum members, never as string literals.

A literal is how a writer and a reader come to disagree on a spelling (``"shred"`` read,
``"dispose"`` written). This scans the packages' sources for a literal that spells a
:class:`LedgerStep` or a :class:`BlobKind` where a step or a kind is written or compared.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.blob_kinds import BlobKind
from storage.ledger.steps import LedgerStep

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("reports", "anonymization", "policies", "retention", "storage", "workflows", "quitus")
VOCABULARIES = {ROOT / "storage" / "ledger" / "steps.py", ROOT / "storage" / "blob_kinds.py"}
STEPS = {step.value: step.name for step in LedgerStep}
KINDS = {kind.value: kind.name for kind in BlobKind}
BLOB_KIND_CALLS = {"latest_blob", "BlobToStore"}


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _literals(node: ast.AST) -> Iterator[ast.Constant]:
    """The string constants of an operand: itself, or the items of a tuple, list or set."""
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    yield from (item for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str))


def _reads_a_step(node: ast.AST) -> bool:
    """``entry["step"]``, ``entry.get("step")``, ``event.step`` or a variable named ``step``."""
    if isinstance(node, ast.Subscript):
        return _literal(node.slice) == "step"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return bool(node.args) and _literal(node.args[0]) == "step"
    if isinstance(node, ast.Attribute):
        return node.attr == "step"
    return isinstance(node, ast.Name) and node.id == "step"


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else None


def _step_defaults(arguments: ast.arguments) -> Iterator[ast.AST]:
    positional = arguments.posonlyargs + arguments.args
    with_default = positional[len(positional) - len(arguments.defaults) :]
    for arg, default in zip(with_default, arguments.defaults, strict=True):
        if arg.arg == "step":
            yield default
    for arg, kw_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if arg.arg == "step" and kw_default is not None:
            yield kw_default


def literals_in(source: str) -> Iterator[tuple[int, str, str]]:
    """(line, literal, member to use instead) for every step or blob kind written as a string."""
    for node in ast.walk(ast.parse(source)):
        steps: list[ast.AST] = []
        kinds: list[ast.AST] = []
        if isinstance(node, ast.keyword) and node.arg == "step":
            steps.append(node.value)
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_reads_a_step(operand) for operand in operands):
                steps += [c for operand in operands for c in _literals(operand)]
        elif isinstance(node, ast.Call) and _call_name(node) == "last_entry":
            steps += node.args
        elif isinstance(node, ast.Call) and _call_name(node) in BLOB_KIND_CALLS:
            kinds += [a for a in node.args if _literal(a) in KINDS]
            kinds += [k.value for k in node.keywords if k.arg == "kind"]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            steps += _step_defaults(node.args)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id.endswith("_STEP") for t in node.targets
        ):
            steps.append(node.value)
        for candidate in steps:
            value = _literal(candidate)
            if value in STEPS:
                yield candidate.lineno, value, f"LedgerStep.{STEPS[value]}"
        for candidate in kinds:
            value = _literal(candidate)
            if value in KINDS:
                yield candidate.lineno, value, f"BlobKind.{KINDS[value]}"


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('LedgerEvent(step="dispose", actor="a", outcome="o")', [(1, "dispose", "LedgerStep.DISPOSE")]),
        ('if entry["step"] == "shred": pass', [(1, "shred", "LedgerStep.SHRED")]),
        (
            'ok = entry.get("step") in ("shred", "dispose")',
            [(1, "shred", "LedgerStep.SHRED"), (1, "dispose", "LedgerStep.DISPOSE")],
        ),
        ('ok = "seal" == event.step', [(1, "seal", "LedgerStep.SEAL")]),
        ('ledger.last_entry("policies.change")', [(1, "policies.change", "LedgerStep.POLICIES_CHANGE")]),
        ('def read(*, step: str = "read"): pass', [(1, "read", "LedgerStep.READ")]),
        ('POLICY_CHANGE_STEP = "policies.change"', [(1, "policies.change", "LedgerStep.POLICIES_CHANGE")]),
        ('store.latest_blob(report_id, "pdf_full")', [(1, "pdf_full", "BlobKind.PDF_FULL")]),
        ('BlobToStore(kind="photo", content=b"")', [(1, "photo", "BlobKind.PHOTO")]),
        # Accepted: members, other vocabularies that share a spelling, unknown words.
        ("LedgerEvent(step=LedgerStep.DISPOSE, actor='a', outcome='o')", []),
        ('@app.command("shred")\ndef shred(): pass', []),
        ('@task(name="seal")\ndef seal(): pass', []),
        ('if entry["outcome"] == "validate": pass', []),
        ('if entry["step"] == "no.such.step": pass', []),
        ("store.latest_blob(report_id, BlobKind.PDF_REDACTED)", []),
    ],
)
def test_the_scan_finds_each_way_a_literal_is_written(source: str, found: list[tuple[int, str, str]]) -> None:
    assert sorted(literals_in(source)) == sorted(found)


def _sources() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path not in VOCABULARIES:
                yield path


def test_no_ledger_step_or_blob_kind_is_written_as_a_string_literal() -> None:
    sources = list(_sources())
    assert len(sources) > 100  # the scan reads the packages, not an empty folder
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{line}: {value!r} is written as a string; use {member}"
        for path in sources
        for line, value, member in literals_in(path.read_text(encoding="utf-8"))
    ]
    assert not found, "\n".join(found)
