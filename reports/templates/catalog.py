"""Intervention templates (*paramétrage*): what each kind of intervention must record.

A template is one YAML file per equipment category × intervention type. It lists the
checklist items, the measurements (unit, usual range, thresholds with consequences), the
dropdowns and the required photos. Built-in templates live in ``reports/templates/builtin/``;
a company adds or overrides its own in ``$QUITUS_HOME/templates/`` (same id: the local file
wins). :func:`load_template` reports every problem of a file in one pass;
:class:`TemplateCatalog` lists broken files beside the good templates and reloads when a
file changes.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from reports.errors import TemplateError
from reports.templates.yaml_source import YamlSourceError, located_errors, read_yaml_document

__all__ = [
    "BUILTIN_DIR",
    "BrokenTemplate",
    "ChecklistItemSpec",
    "MeasurementSpec",
    "PhotoRequirement",
    "SelectionSpec",
    "Template",
    "TemplateCatalog",
    "ThresholdRequirement",
    "ThresholdSpec",
    "consistency_problems",
    "load_template",
]

BUILTIN_DIR = Path(__file__).parent / "builtin"

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChecklistItemSpec(_Spec):
    """A checklist item the technician ticks."""

    id: Slug
    label: Label
    required: bool = True
    """A required item must appear in the report with a status."""


class ThresholdRequirement(_Spec):
    """What the technician must have done when a reading crosses a threshold."""

    item: Slug
    """A checklist item of the same template that must be ``fait`` (done)."""
    comment: bool = False
    """The item must also carry the technician's comment (the advice given, the action taken)."""


class ThresholdSpec(_Spec):
    """A limit whose crossing has consequences the report must show.

    Exactly one of ``above`` (the reading is strictly greater) or ``below`` (strictly
    smaller) is given. The reading is recorded either way; the report is refused only
    when one of ``requires`` is missing.
    """

    above: Decimal | None = None
    below: Decimal | None = None
    label: Label
    """Why the limit matters, e.g. « Danger grave et immédiat : appareil à l'arrêt »."""
    requires: list[ThresholdRequirement] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_limit(self) -> ThresholdSpec:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' or 'below'")
        return self

    @property
    def limit(self) -> Decimal:
        return self.above if self.above is not None else self.below  # type: ignore[return-value]

    def crossed_by(self, value: Decimal) -> bool:
        if self.above is not None:
            return value > self.above
        return self.below is not None and value < self.below


class MeasurementSpec(_Spec):
    """A measurement with its unit, its usual range and its thresholds."""

    id: Slug
    label: Label
    unit: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    min: Decimal | None = None
    """Lowest usual value; below it the reading is recorded and flagged *hors plage*."""
    max: Decimal | None = None
    """Highest usual value; above it the reading is recorded and flagged *hors plage*."""
    required: bool = True
    thresholds: list[ThresholdSpec] = Field(default_factory=list)
    """Limits whose crossing requires checklist items done (and commented)."""

    @model_validator(mode="after")
    def _range_in_order(self) -> MeasurementSpec:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is greater than 'max'")
        return self


class SelectionSpec(_Spec):
    """A dropdown: one value among ``choices``."""

    id: Slug
    label: Label
    choices: list[Label] = Field(min_length=1)
    required: bool = True


class PhotoRequirement(_Spec):
    """Photos of one kind the report must carry."""

    kind: Literal["before", "after", "other"]
    min_count: int = Field(default=1, ge=1, le=20)
    label: Label


class Template(_Spec):
    """One intervention template."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")]
    """``<equipment_category>.<intervention_type>``."""
    title: Label
    equipment_category: Slug
    intervention_type: Slug
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    references: list[Label] = Field(default_factory=list)
    """Regulatory texts the template follows (shown on the form)."""
    checklist: list[ChecklistItemSpec] = Field(default_factory=list)
    measurements: list[MeasurementSpec] = Field(default_factory=list)
    selections: list[SelectionSpec] = Field(default_factory=list)
    photos: list[PhotoRequirement] = Field(default_factory=list)
    client_signature_required: bool = True
    """Client signature required when the intervention is completed."""

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Template:
        if info.context and info.context.get(_CHECKED_ON_SOURCE):
            return self  # load_template checked the file itself, with lines
        problems = consistency_problems(self.model_dump(mode="json"))
        if problems:
            raise ValueError("; ".join(message for _, message in problems))
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.equipment_category, self.intervention_type)

    def checklist_item(self, item_id: str) -> ChecklistItemSpec | None:
        return next((i for i in self.checklist if i.id == item_id), None)

    def measurement(self, measurement_id: str) -> MeasurementSpec | None:
        return next((m for m in self.measurements if m.id == measurement_id), None)

    def selection(self, selection_id: str) -> SelectionSpec | None:
        return next((s for s in self.selections if s.id == selection_id), None)


_CHECKED_ON_SOURCE = "quitus.template_checked_on_source"

Location = tuple[int | str, ...]


def consistency_problems(data: Mapping[str, Any]) -> list[tuple[Location, str]]:
    """What is wrong across a template's fields (its id, ids used twice, thresholds naming
    unknown checklist items), each at its location.

    Works on the raw document, so a file's cross-field problems are reported in the same
    pass as its type errors; tolerant of any shape (the type errors are reported elsewhere).
    """
    problems: list[tuple[Location, str]] = []
    category, kind = data.get("equipment_category"), data.get("intervention_type")
    if isinstance(category, str) and isinstance(kind, str) and data.get("id") != f"{category}.{kind}":
        problems.append((("id",), f"id must be '{category}.{kind}' (equipment_category.intervention_type)"))
    seen: set[str] = set()
    for section in ("checklist", "measurements", "selections"):
        for index, entry in _entries(data, section):
            entry_id = entry.get("id")
            if isinstance(entry_id, str) and entry_id in seen:
                problems.append(((section, index, "id"), f"ids used twice: {entry_id}"))
            elif isinstance(entry_id, str):
                seen.add(entry_id)
    checklist = {entry.get("id") for _, entry in _entries(data, "checklist")}
    for m_index, measurement in _entries(data, "measurements"):
        for t_index, threshold in _entries(measurement, "thresholds"):
            for r_index, requirement in _entries(threshold, "requires"):
                item = requirement.get("item")
                if isinstance(item, str) and item not in checklist:
                    problems.append(
                        (
                            ("measurements", m_index, "thresholds", t_index, "requires", r_index, "item"),
                            f"threshold requires checklist item '{item}', which is not in this "
                            "template's checklist: add it to 'checklist' (required: false) or fix the id",
                        )
                    )
    return problems


def _entries(data: Mapping[str, Any], key: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    value = data.get(key)
    if isinstance(value, list):
        yield from ((i, entry) for i, entry in enumerate(value) if isinstance(entry, Mapping))


def load_template(path: Path) -> Template:
    """Load one template file; every problem of the file at once, each naming file, line and key."""
    try:
        document, problems = read_yaml_document(path)
    except YamlSourceError as exc:
        raise TemplateError(str(exc), problems=exc.problems) from exc
    located = [(_line(p), p) for p in problems]
    for loc, message in consistency_problems(document.data):
        located.append((document.line_of(loc), f"{document.where(loc)}: {_dotted(loc)}: {message}"))
    stated_id = document.data.get("id")
    if isinstance(stated_id, str) and path.stem != stated_id:
        located.append(
            (
                document.line_of(("id",)),
                f"{document.where(('id',))}: template '{stated_id}' must be in a file named "
                f"{stated_id}.yaml, not {path.name}",
            )
        )
    template = None
    try:
        template = Template.model_validate(document.data, context={_CHECKED_ON_SOURCE: True})
    except ValidationError as exc:
        located += [(_line(line), line) for line in located_errors(document, exc)]
    if located or template is None:
        lines = [line for _, line in sorted(located, key=lambda pair: pair[0])]
        raise TemplateError("invalid template:\n  " + "\n  ".join(lines), problems=lines)
    return template


def _dotted(loc: Location) -> str:
    return ".".join(str(part) for part in loc)


def _line(problem: str) -> int:
    """The line of a ``file:line:…`` problem, to list a file's problems top to bottom."""
    match = re.search(r"\.ya?ml:(\d+):", problem)
    return int(match.group(1)) if match else 0


def _kind_of(template_id: str) -> tuple[str, str]:
    category, _, intervention_type = template_id.partition(".")
    return category, intervention_type


@dataclass(frozen=True)
class BrokenTemplate:
    """A template file that could not be loaded; the catalog lists it and goes on with the others."""

    path: Path
    template_id: str
    """The id the file name gives (``<category>.<type>``)."""
    problems: tuple[str, ...]
    """Every problem of the file, each as ``file:line: key: message``."""


_Fingerprint = tuple[tuple[str, int, int], ...]


class TemplateCatalog:
    """The templates known to this installation, by id and by (category, type).

    A catalog made by :meth:`load` watches its directories: when a template file is added,
    changed or removed, the next lookup reloads them (checked by listing the directories and
    comparing each file's modification time and size, at most every ``recheck_seconds``).
    A broken file is listed in :attr:`broken` and does not disable the other templates.
    """

    def __init__(self, templates: Iterable[Template], broken: Iterable[BrokenTemplate] = ()) -> None:
        self._set(list(templates), list(broken))
        self._directories: tuple[Path, ...] = ()
        self._fingerprint: _Fingerprint = ()
        self._recheck_seconds = 0.0
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def _set(self, templates: list[Template], broken: list[BrokenTemplate]) -> None:
        by_id: dict[str, Template] = {}
        by_key: dict[tuple[str, str], Template] = {}
        # A template's id is its key (category.type) and its file name: no two can collide.
        for template in templates:
            by_id[template.id] = template
            by_key[template.key] = template
        # One assignment: a reader in another thread sees the old catalog or the new one.
        self._state = (by_id, by_key, {b.template_id: b for b in broken})

    @classmethod
    def load(cls, *extra_dirs: Path, recheck_seconds: float = 1.0) -> TemplateCatalog:
        """Built-in templates, then each directory in ``extra_dirs`` (later wins).

        A broken file in a later directory hides the template of the same id from earlier
        ones: the company meant to change it, so reports are not checked against the old rules.
        """
        catalog = cls(())
        catalog._directories = (BUILTIN_DIR, *extra_dirs)
        catalog._recheck_seconds = recheck_seconds
        catalog._reload(catalog._scan())
        return catalog

    def _scan(self) -> tuple[dict[str, Path], _Fingerprint]:
        files: dict[str, Path] = {}
        stamps: list[tuple[str, int, int]] = []
        for directory in self._directories:
            if not directory.is_dir():
                continue
            for path in sorted(directory.glob("*.yaml")):
                try:
                    stat = path.stat()
                except OSError:
                    continue  # removed between the listing and now: the next check sees it gone
                files[path.stem] = path
                stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
        return files, tuple(stamps)

    def _reload(self, scanned: tuple[dict[str, Path], _Fingerprint]) -> None:
        files, fingerprint = scanned
        templates: list[Template] = []
        broken: list[BrokenTemplate] = []
        for template_id, path in files.items():
            try:
                templates.append(load_template(path))
            except TemplateError as exc:
                broken.append(BrokenTemplate(path, template_id, tuple(exc.problems or [str(exc)])))
        self._set(templates, broken)
        self._fingerprint = fingerprint
        self._checked_at = time.monotonic()

    def _current(
        self,
    ) -> tuple[dict[str, Template], dict[tuple[str, str], Template], dict[str, BrokenTemplate]]:
        if self._directories and time.monotonic() - self._checked_at >= self._recheck_seconds:
            with self._lock:
                if time.monotonic() - self._checked_at >= self._recheck_seconds:
                    scanned = self._scan()
                    if scanned[1] != self._fingerprint:
                        self._reload(scanned)
                    self._checked_at = time.monotonic()
        return self._state

    def __iter__(self) -> Iterator[Template]:
        return iter(sorted(self._current()[0].values(), key=lambda t: t.id))

    def __len__(self) -> int:
        return len(self._current()[0])

    @property
    def broken(self) -> list[BrokenTemplate]:
        """The template files that could not be loaded, by id."""
        return sorted(self._current()[2].values(), key=lambda b: b.template_id)

    @property
    def kinds(self) -> set[tuple[str, str]]:
        """Every (equipment category, intervention type) with a template file, broken ones included.

        What retention policies are checked against: a broken template file must not make
        the policies that cover its reports fail to load (the nightly job would stop).
        """
        _, by_key, broken = self._current()
        return set(by_key) | {_kind_of(template_id) for template_id in broken}

    def by_id(self, template_id: str) -> Template:
        by_id, _, broken = self._current()
        if template_id in by_id:
            return by_id[template_id]
        if template_id in broken:
            raise TemplateError(
                f"template '{template_id}' is broken; fix {broken[template_id].path}:\n  "
                + "\n  ".join(broken[template_id].problems),
                problems=list(broken[template_id].problems),
            )
        known = ", ".join(sorted(by_id))
        raise TemplateError(f"unknown template '{template_id}'; known templates: {known}")

    def for_report(self, equipment_category: str, intervention_type: str) -> Template | None:
        return self._current()[1].get((equipment_category, intervention_type))
