"""Intervention templates: loading, lookup and the built-in French library."""

from reports.templates.catalog import (
    BUILTIN_DIR,
    BrokenTemplate,
    ChecklistItemSpec,
    MeasurementSpec,
    PhotoRequirement,
    SelectionSpec,
    Template,
    TemplateCatalog,
    ThresholdRequirement,
    ThresholdSpec,
    load_template,
)

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
    "load_template",
]
