"""The layout of ARCHITECTURE.md, checked from the imports of every module.

ARCHITECTURE.md gives each top-level package a "must not" and one direction for
dependencies: ``quitus`` → ``workflows`` → (``retention``, ``reports``, ``anonymization``,
``policies``) → ``storage``. :func:`check_architecture` parses every ``.py`` file of the
seven packages under a root (with :mod:`ast`: nothing is imported or run) and collects
every import — at module level, inside functions, under ``if TYPE_CHECKING:`` — and every
``importlib.import_module("…")`` / ``__import__("…")`` of a string literal. Each
violation names the file, the line, the import as written, and the rule it breaks.

Retention's own SQL queries are "the exception to remove": the retention modules that
still import SQLAlchemy or ``storage.models`` are listed in
:data:`RETENTION_SQL_ALLOWLIST`. The list is a ratchet: a module not on it that starts
doing so fails, and so does a listed module that no longer does (remove it from the
list when its queries have moved to a ``storage/`` repository).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PACKAGES = ("reports", "anonymization", "policies", "retention", "storage", "workflows", "quitus")

DIRECTION = (
    "ARCHITECTURE.md: Dependencies point one way: quitus → workflows → "
    "(retention, reports, anonymization, policies) → storage"
)

ALLOWED_DEPENDENCIES: Mapping[str, frozenset[str]] = {
    # The bottom layer: SQLAlchemy models, repositories, blobs, keys, ledger.
    "storage": frozenset(),
    # The domain layer. Each may use storage (its repositories) and, within the layer,
    # only the packages that own what it works on; the edges below make no cycle.
    # reports owns the report domain (schema, templates, the strict YAML reader): it
    # is the base the other three build on, and imports none of them.
    "reports": frozenset({"storage"}),
    # anonymization redacts *reports* (reports.schema) with the templates' vocabulary.
    "anonymization": frozenset({"reports", "storage"}),
    # policies reads its YAML with the reports' strict YAML source; it decides, and
    # imports neither retention (which executes) nor anonymization.
    "policies": frozenset({"reports", "storage"}),
    # retention applies policies to reports; its executor anonymizes (anonymization
    # owns the generalization of quasi-identifiers).
    "retention": frozenset({"policies", "reports", "anonymization", "storage"}),
    # workflows: Prefect flows and thin tasks "that call the packages above".
    "workflows": frozenset({"retention", "reports", "anonymization", "policies", "storage"}),
    # quitus: the application shell, wiring everything.
    "quitus": frozenset({"workflows", "retention", "reports", "anonymization", "policies", "storage"}),
}
"""Which first-party packages each package may import (ARCHITECTURE.md, "Layout")."""

LAYER = {
    "storage": 0,
    "reports": 1,
    "anonymization": 1,
    "policies": 1,
    "retention": 1,
    "workflows": 2,
    "quitus": 3,
}
"""The layers of the dependency direction: an edge never goes up."""

PREFECT_RULE = (
    "ARCHITECTURE.md: only workflows/ (Prefect flows and thin tasks; the embedded APScheduler) "
    "and quitus/ (the shell) orchestrate — domain functions are plain Python, testable without "
    "Prefect; reports must not know about Prefect, storage must not call it"
)


@dataclass(frozen=True)
class Rule:
    packages: frozenset[str]
    """The packages the rule applies to."""
    forbidden: tuple[str, ...]
    """Module prefixes they must not import (``sqlalchemy`` forbids ``sqlalchemy.orm`` too)."""
    why: str
    """The rule, as ARCHITECTURE.md states it."""


MUST_NOT = (
    Rule(
        frozenset(PACKAGES) - {"workflows", "quitus"},
        ("prefect", "apscheduler"),
        PREFECT_RULE,
    ),
    Rule(
        frozenset({"reports"}),
        ("sqlalchemy", "alembic", "storage.models", "storage.database"),
        "ARCHITECTURE.md: reports/ must not know about Prefect or SQL "
        "(it calls storage/ repositories such as storage.report_store)",
    ),
    Rule(
        frozenset({"anonymization"}),
        (
            "sqlalchemy",
            "alembic",
            "storage.models",
            "storage.database",
            "storage.report_store",
            "storage.blobs",
            "storage.keystore",
        ),
        "ARCHITECTURE.md: anonymization/ must not store anything (it detects and redacts; "
        "the caller stores the result)",
    ),
    Rule(
        frozenset({"policies"}),
        (
            "sqlalchemy",
            "alembic",
            "storage.erasure",
            "storage.models",
            "storage.database",
            "storage.report_store",
        ),
        "ARCHITECTURE.md: policies/ must not execute dispositions (it decides; retention/ "
        "executes through storage/)",
    ),
    Rule(
        frozenset({"retention"}),
        ("reportlab", "pyhanko", "pyhanko_certvalidator", "reports.pdf"),
        "ARCHITECTURE.md: retention/ must not render or sign (reports/ owns PDF rendering and PAdES signing)",
    ),
    Rule(
        frozenset({"storage"}),
        ("presidio_analyzer", "presidio_anonymizer", "spacy"),
        "ARCHITECTURE.md: storage/ must not call Presidio or Prefect (PII detection is anonymization/'s)",
    ),
)

RETENTION_SQL = ("sqlalchemy", "storage.models")
RETENTION_SQL_RULE = (
    "ARCHITECTURE.md: SQL lives in storage/ repositories; the domain packages call them "
    "(retention's own queries are the exception to remove)"
)
RETENTION_SQL_ALLOWLIST = frozenset(
    {
        "retention/facts.py",
        "retention/statistics.py",
        "retention/subjects.py",
    }
)
"""The retention modules that still import SQLAlchemy or ``storage.models`` (their own
queries), as committed when this list was last refreshed. Whoever moves a module's queries
to a storage repository removes it here in the same commit; nobody adds to it."""


@dataclass(frozen=True)
class Import:
    path: str
    """The importing file, relative to the root (``retention/planner.py``)."""
    line: int
    module: str
    """The importing module (``retention.planner``)."""
    target: str
    """What is imported, absolute: ``sqlalchemy.select`` for ``from sqlalchemy import select``."""
    statement: str
    """The import as written."""

    def imports(self, prefix: str) -> bool:
        return self.target == prefix or self.target.startswith(prefix + ".")

    def where(self) -> str:
        return f"{self.path}:{self.line}: `{self.statement}`"


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(root: Path, path: Path) -> str:
    name = module_name(root, path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _absolute(package: str, level: int, name: str | None) -> str:
    base = package.split(".")
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([name] if name else [])])


def _dynamic_import(node: ast.Call) -> str | None:
    """The literal module of ``importlib.import_module("m")``, ``import_module("m")``, ``__import__("m")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def imports_of(root: Path, path: Path) -> Iterator[Import]:
    """Every import in one file, wherever it is written."""
    relative = path.relative_to(root).as_posix()
    module, package = module_name(root, path), _package_of(root, path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(relative, node.lineno, module, alias.name, ast.unparse(node))
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(package, node.level, node.module) if node.level else str(node.module)
            for alias in node.names:
                target = source if alias.name == "*" else f"{source}.{alias.name}"
                yield Import(relative, node.lineno, module, target, ast.unparse(node))
        elif isinstance(node, ast.Call) and (literal := _dynamic_import(node)) is not None:
            dots = len(literal) - len(literal.lstrip("."))
            target = _absolute(package, dots, literal[dots:] or None) if dots else literal
            yield Import(relative, node.lineno, module, target, ast.unparse(node))


def collect_imports(root: Path) -> list[Import]:
    """The imports of every ``.py`` file of the seven packages under ``root``."""
    found: list[Import] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found.extend(imports_of(root, path))
    return found


def check_architecture(
    root: Path, *, retention_sql_allowlist: frozenset[str] = RETENTION_SQL_ALLOWLIST
) -> list[str]:
    """What in the tree under ``root`` breaks ARCHITECTURE.md, one message per violation."""
    problems: list[str] = []
    doing_sql: set[str] = set()
    for found in collect_imports(root):
        package = found.module.partition(".")[0]
        top = found.target.partition(".")[0]
        if top in PACKAGES and top != package and top not in ALLOWED_DEPENDENCIES[package]:
            allowed = ", ".join(sorted(ALLOWED_DEPENDENCIES[package])) or "no other quitus package"
            problems.append(f"{found.where()}: {package}/ may import {allowed}, not {top}/ ({DIRECTION})")
        for rule in MUST_NOT:
            if package in rule.packages:
                hit = next((p for p in rule.forbidden if found.imports(p)), None)
                if hit is not None:
                    problems.append(f"{found.where()}: {package}/ imports {hit} ({rule.why})")
        if package == "retention" and any(found.imports(p) for p in RETENTION_SQL):
            doing_sql.add(found.path)
            if found.path not in retention_sql_allowlist:
                problems.append(
                    f"{found.where()}: a new retention module with its own SQL ({RETENTION_SQL_RULE}); "
                    "add the query to a storage/ repository and call it (RETENTION_SQL_ALLOWLIST "
                    "only shrinks)"
                )
    for path in sorted(retention_sql_allowlist - doing_sql):
        problems.append(
            f"{path}: listed in RETENTION_SQL_ALLOWLIST but imports neither sqlalchemy nor storage.models "
            f"any more — remove it from the list, the ratchet shrinks ({RETENTION_SQL_RULE})"
        )
    return problems


# -- the tree ------------------------------------------------------------------------------


def test_the_packages_follow_the_architecture() -> None:
    problems = check_architecture(ROOT)
    assert not problems, "\n".join(problems)


def test_every_package_is_read() -> None:
    """The checks above cannot pass vacuously: each package has modules, and imports are seen."""
    found = collect_imports(ROOT)
    assert {i.module.partition(".")[0] for i in found} == set(PACKAGES)
    assert any(i.path == "workflows/flows.py" and i.imports("prefect") for i in found)


def test_the_allowed_edges_point_one_way() -> None:
    assert set(ALLOWED_DEPENDENCIES) == set(PACKAGES) == set(LAYER)
    for package, allowed in ALLOWED_DEPENDENCIES.items():
        assert package not in allowed
        assert all(LAYER[other] <= LAYER[package] for other in allowed), package

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            other == goal or (other not in seen and reaches(other, goal, seen | {other}))
            for other in ALLOWED_DEPENDENCIES[start]
        )

    assert not [p for p in PACKAGES if reaches(p, p)], "the allowed dependencies make a cycle"


# -- the checker catches what it should ------------------------------------------------------


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """A tree of the seven packages (empty ``__init__.py`` each) plus ``files``."""
    for package in PACKAGES:
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").touch()
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


CLEAN_RETENTION_SQL = {"retention/queries.py": "from sqlalchemy import select\n"}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"storage/flows.py": "def run():\n    import prefect\n"},
            ["storage/flows.py:2: `import prefect`: storage/ imports prefect (", "Prefect"],
            id="prefect-inside-a-function",
        ),
        pytest.param(
            {
                "reports/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                "    from sqlalchemy.orm import Session\n"
            },
            [
                "reports/typed.py:3: `from sqlalchemy.orm import Session`",
                "must not know about Prefect or SQL",
            ],
            id="sqlalchemy-under-type-checking",
        ),
        pytest.param(
            {
                "retention/certificate.py": "import importlib\n"
                "render = importlib.import_module('reports.pdf')\n"
            },
            [
                "retention/certificate.py:2: `importlib.import_module('reports.pdf')`",
                "must not render or sign",
            ],
            id="import-module-literal",
        ),
        pytest.param(
            {"retention/sign.py": "from pyhanko.sign import signers\n"},
            ["retention/sign.py:1:", "imports pyhanko (", "must not render or sign"],
            id="pyhanko-in-retention",
        ),
        pytest.param(
            {"policies/apply.py": "from storage.erasure import shred_reports\n"},
            ["policies/apply.py:1:", "imports storage.erasure", "must not execute dispositions"],
            id="policies-executing",
        ),
        pytest.param(
            {"anonymization/keep.py": "from storage import report_store\n"},
            ["anonymization/keep.py:1:", "imports storage.report_store", "must not store anything"],
            id="anonymization-storing",
        ),
        pytest.param(
            {"storage/pii.py": "import spacy\n"},
            ["storage/pii.py:1: `import spacy`", "must not call Presidio or Prefect"],
            id="spacy-in-storage",
        ),
        pytest.param(
            {"storage/sub/mod.py": "from ...workflows import flows\n"},
            [
                "storage/sub/mod.py:1: `from ...workflows import flows`",
                "storage/ may import no other",
                "one way",
            ],
            id="relative-import-upwards",
        ),
        pytest.param(
            {"workflows/cli.py": "from quitus.cli import app\n"},
            ["workflows/cli.py:1:", "not quitus/", "quitus → workflows"],
            id="workflows-importing-the-shell",
        ),
        pytest.param(
            {"reports/plan.py": "from retention import planner\n"},
            ["reports/plan.py:1:", "reports/ may import storage, not retention/"],
            id="reports-importing-retention",
        ),
    ],
)
def test_a_forbidden_import_is_named_with_its_file_line_and_rule(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    root = write_tree(tmp_path, {**CLEAN_RETENTION_SQL, **files})
    problems = check_architecture(root, retention_sql_allowlist=frozenset(CLEAN_RETENTION_SQL))
    assert len(problems) == 1, problems
    assert all(part in problems[0] for part in expected), problems[0]


def test_allowed_imports_pass(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            **CLEAN_RETENTION_SQL,
            "reports/intake.py": "from storage.report_store import ReportStore\nimport reportlab\n",
            "retention/executor.py": "from policies.loading import PolicySet\n"
            "from storage.erasure import shred_reports\n",
            "workflows/flows.py": "from prefect import flow\nfrom retention import executor\n",
            "quitus/cli.py": "import importlib\nimportlib.import_module('workflows.flows')\n",
        },
    )
    assert check_architecture(root, retention_sql_allowlist=frozenset(CLEAN_RETENTION_SQL)) == []


def test_the_retention_sql_allowlist_is_a_ratchet(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "retention/old.py": "from sqlalchemy import select\n",
            "retention/moved.py": "from storage.retention_store import RetentionStore\n",
            "retention/new.py": "def due():\n    from storage.models import ReportRecord\n",
        },
    )
    problems = check_architecture(
        root, retention_sql_allowlist=frozenset({"retention/old.py", "retention/moved.py"})
    )
    assert len(problems) == 2, problems
    new, moved = problems
    assert new.startswith(
        "retention/new.py:2: `from storage.models import ReportRecord`: a new retention module"
    )
    assert "the exception to remove" in new
    assert moved.startswith("retention/moved.py: listed in RETENTION_SQL_ALLOWLIST but imports neither")


DISPOSAL_GATE = "retention/gate.py"
"""ARCHITECTURE.md invariant 4: the disposal gate is the only path to shred or anonymize."""


def erasure_bypasses(root: Path) -> list[str]:
    """Imports of the crypto-shredding or anonymizing primitives outside the disposal gate."""
    primitives = ("storage.erasure.shred_reports", "retention.statistics.write_k_anonymous")
    return [
        f"{found.where()}: only {DISPOSAL_GATE} may call it — every command, flow and route that "
        "disposes of a report goes through retention.gate.DisposalGate (ARCHITECTURE.md invariant 4)"
        for found in collect_imports(root)
        if found.path not in (DISPOSAL_GATE, "storage/erasure.py", "retention/statistics.py")
        and any(found.imports(p) for p in primitives)
    ]


def test_only_the_disposal_gate_shreds_or_anonymizes() -> None:
    assert erasure_bypasses(ROOT) == []


def test_a_shred_outside_the_gate_is_named(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"quitus/commands/reports.py": "from storage.erasure import shred_reports\n"})
    [problem] = erasure_bypasses(root)
    assert problem.startswith("quitus/commands/reports.py:1: `from storage.erasure import shred_reports`")
