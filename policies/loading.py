"""Loading and validating a directory of policy files.

Every problem is reported at once, each with its file and line: unknown keys, bad
durations, an id used by two files, a scope that no template can ever match.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from policies.errors import PolicyFileError
from policies.model import Policy, content_version
from reports.templates.yaml_source import YamlSourceError, load_yaml_document, located_errors

__all__ = ["BUILTIN_DIR", "LoadedPolicy", "PolicySet", "load_policies"]

BUILTIN_DIR = Path(__file__).parent / "builtin" / "fr"


@dataclass(frozen=True)
class LoadedPolicy:
    """A policy with where it came from and its version."""

    policy: Policy
    path: Path
    version: str
    """Hash of the file's bytes: any change to the file is a new version."""
    text: str

    @property
    def ref(self) -> str:
        """``id@version``: what the ledger and the reports record."""
        return f"{self.policy.id}@{self.version}"


class PolicySet:
    """The policies in force, by id, with the set's own version."""

    def __init__(self, policies: Iterable[LoadedPolicy]) -> None:
        self._by_id = {p.policy.id: p for p in policies}

    def __iter__(self) -> Iterator[LoadedPolicy]:
        return iter(sorted(self._by_id.values(), key=lambda p: p.policy.id))

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, policy_id: str) -> LoadedPolicy | None:
        return self._by_id.get(policy_id)

    def event_names(self) -> frozenset[str]:
        """The events the policies wait for (``trigger: {kind: event, event: …}``): the only
        ones worth recording."""
        triggers = (p.policy.trigger for p in self._by_id.values())
        return frozenset(t.event for t in triggers if t.kind == "event" and t.event is not None)

    @property
    def version(self) -> str:
        """Changes when any policy is added, removed or edited."""
        return content_version("\n".join(p.ref for p in self).encode())


def load_policies(
    directories: Sequence[Path], *, known_kinds: set[tuple[str, str]] | None = None
) -> PolicySet:
    """Every ``*.yaml`` in ``directories`` (a later directory may not reuse an id).

    ``known_kinds``: the (equipment category, intervention type) pairs the templates
    define; a scope matching none of them is an error.
    """
    problems: list[str] = []
    loaded: dict[str, LoadedPolicy] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            policy = _load_one(path, problems)
            if policy is None:
                continue
            previous = loaded.get(policy.policy.id)
            if previous is not None:
                problems.append(
                    f"{path}:1: id '{policy.policy.id}' is already used by {previous.path}; "
                    "ids must be unique"
                )
                continue
            if known_kinds is not None:
                problems += _unmatchable(policy, known_kinds)
            loaded[policy.policy.id] = policy
    if problems:
        raise PolicyFileError(problems)
    return PolicySet(loaded.values())


def _load_one(path: Path, problems: list[str]) -> LoadedPolicy | None:
    try:
        document = load_yaml_document(path)
    except YamlSourceError as exc:
        problems += exc.problems
        return None
    try:
        policy = Policy.model_validate(document.data)
    except ValidationError as exc:
        problems += located_errors(document, exc)
        return None
    raw = path.read_bytes()
    return LoadedPolicy(policy, path, content_version(raw), raw.decode("utf-8"))


def _unmatchable(loaded: LoadedPolicy, known_kinds: set[tuple[str, str]]) -> list[str]:
    scope = loaded.policy.scope
    categories = set(scope.equipment_categories) or {c for c, _ in known_kinds}
    types = set(scope.intervention_types) or {t for _, t in known_kinds}
    if any((c, t) in known_kinds for c in categories for t in types):
        return []
    known = ", ".join(f"{c}.{t}" for c, t in sorted(known_kinds))
    return [
        f"{loaded.path}:1: scope of '{loaded.policy.id}' matches no template (equipment categories "
        f"{sorted(categories)} × intervention types {sorted(types)}); templates: {known}"
    ]
