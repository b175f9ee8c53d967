"""Intervention templates (*paramétrage*): what each kind of intervention must record.

A template is one YAML file per equipment category × intervention type. It lists the
checklist items, the measurements (unit and allowed range), the dropdowns and the
required photos. Built-in templates live in ``reports/templates/builtin/``; a company
adds or overrides its own in ``$QUITUS_HOME/templates/`` (same id: the local file wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from reports.errors import TemplateError
from reports.templates.yaml_source import YamlSourceError, load_yaml_document, located_errors

__all__ = [
    "BUILTIN_DIR",
    "ChecklistItemSpec",
    "MeasurementSpec",
    "PhotoRequirement",
    "SelectionSpec",
    "Template",
    "TemplateCatalog",
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


class MeasurementSpec(_Spec):
    """A measurement with its unit and allowed range."""

    id: Slug
    label: Label
    unit: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    min: Decimal | None = None
    """Lowest plausible value; below it the report is rejected."""
    max: Decimal | None = None
    """Highest plausible value; above it the report is rejected."""
    required: bool = True

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
    def _ids_consistent(self) -> Template:
        expected = f"{self.equipment_category}.{self.intervention_type}"
        if self.id != expected:
            raise ValueError(f"id must be '{expected}' (equipment_category.intervention_type)")
        ids = (
            [i.id for i in self.checklist]
            + [m.id for m in self.measurements]
            + [s.id for s in self.selections]
        )
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"ids used twice: {', '.join(dupes)}")
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


def load_template(path: Path) -> Template:
    """Load one template file; errors name the file, the line and the key."""
    try:
        document = load_yaml_document(path)
    except YamlSourceError as exc:
        raise TemplateError(str(exc)) from exc
    try:
        template = Template.model_validate(document.data)
    except ValidationError as exc:
        lines = located_errors(document, exc)
        raise TemplateError("invalid template:\n  " + "\n  ".join(lines)) from exc
    if path.stem != template.id:
        raise TemplateError(
            f"{document.where(('id',))}: template '{template.id}' must be in a file named "
            f"{template.id}.yaml, not {path.name}"
        )
    return template


class TemplateCatalog:
    """The templates known to this installation, by id and by (category, type)."""

    def __init__(self, templates: Iterable[Template]) -> None:
        self._by_id: dict[str, Template] = {}
        self._by_key: dict[tuple[str, str], Template] = {}
        # A template's id is its key (category.type) and its file name: no two can collide.
        for template in templates:
            self._by_id[template.id] = template
            self._by_key[template.key] = template

    @classmethod
    def load(cls, *extra_dirs: Path) -> TemplateCatalog:
        """Built-in templates, then each directory in ``extra_dirs`` (later wins)."""
        files: dict[str, Path] = {}
        for directory in (BUILTIN_DIR, *extra_dirs):
            if directory.is_dir():
                for path in sorted(directory.glob("*.yaml")):
                    files[path.stem] = path
        return cls(load_template(path) for path in files.values())

    def __iter__(self) -> Iterator[Template]:
        return iter(sorted(self._by_id.values(), key=lambda t: t.id))

    def __len__(self) -> int:
        return len(self._by_id)

    def by_id(self, template_id: str) -> Template:
        try:
            return self._by_id[template_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id))
            raise TemplateError(f"unknown template '{template_id}'; known templates: {known}") from None

    def for_report(self, equipment_category: str, intervention_type: str) -> Template | None:
        return self._by_key.get((equipment_category, intervention_type))
