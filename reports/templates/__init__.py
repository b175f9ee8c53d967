"""Intervention templates: loading, lookup and the built-in French library."""

from reports.templates.catalog import (
    BUILTIN_DIR,
    ChecklistItemSpec,
    MeasurementSpec,
    PhotoRequirement,
    SelectionSpec,
    Template,
    TemplateCatalog,
    load_template,
)

__all__ = [
    "BUILTIN_DIR",
    "ChecklistItemSpec",
    "MeasurementSpec",
    "PhotoRequirement",
    "SelectionSpec",
    "Template",
    "TemplateCatalog",
    "load_template",
]
