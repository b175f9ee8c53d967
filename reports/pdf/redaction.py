"""The redacted variant: every field the schema marks as personal data, replaced.

The fields come from :func:`reports.schema.personal_data_fields`, never from a list
kept here, so a field marked personal tomorrow is redacted tomorrow. Each text value
is replaced by a typed placeholder (``[NOM]``, ``[ADRESSE]``, ``[TÉLÉPHONE]``…);
free text goes through the caller's ``redact_text`` (PII detection) when given, and is
otherwise dropped for ``[TEXTE LIBRE RETIRÉ]``. Images and drawn signatures are left in
the model but the renderer never embeds an image in the redacted variant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from reports.schema import Attachment, InterventionReport, PersonalDataCategory, personal_data_fields

__all__ = ["FREE_TEXT_PLACEHOLDER", "placeholder_for", "redact_report"]

FREE_TEXT_PLACEHOLDER = "[TEXTE LIBRE RETIRÉ]"

_BY_CATEGORY: Mapping[PersonalDataCategory, str] = {
    "identity": "[NOM]",
    "contact": "[CONTACT]",
    "location": "[ADRESSE]",
    "free_text": FREE_TEXT_PLACEHOLDER,
    "image": "[PHOTO RETIRÉE]",
    "signature": "[SIGNATURE RETIRÉE]",
}
# The last segment of a path says more than its category; the category is the fallback.
_BY_FIELD_NAME: Mapping[str, str] = {
    "company_name": "[RAISON SOCIALE]",
    "phone": "[TÉLÉPHONE]",
    "email": "[E-MAIL]",
    "street": "[ADRESSE]",
    "postal_code": "[CODE POSTAL]",
    "city": "[VILLE]",
}

_M = TypeVar("_M", bound=BaseModel)


def placeholder_for(path: str, category: PersonalDataCategory) -> str:
    """The placeholder printed instead of the value at ``path`` (``client.address.city``)."""
    if category == "free_text":
        return FREE_TEXT_PLACEHOLDER
    if path == "site.name":
        return "[LIEU]"
    return _BY_FIELD_NAME.get(path.rsplit(".", 1)[-1], _BY_CATEGORY[category])


def redact_report(
    report: InterventionReport, redact_text: Callable[[str], str] | None = None
) -> InterventionReport:
    """A copy of ``report`` with every personal text value replaced (see the module docstring).

    The copy is not re-validated (``[E-MAIL]`` is not an e-mail address): it is only
    meant for rendering.
    """
    marked = personal_data_fields(InterventionReport)
    return _redact_model(report, "", None, marked, redact_text)


def _redact_model(
    model: _M,
    prefix: str,
    inherited: PersonalDataCategory | None,
    marked: Mapping[str, PersonalDataCategory],
    redact_text: Callable[[str], str] | None,
) -> _M:
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        category = marked.get(path, inherited)
        redacted = _redact_value(value, path, category, marked, redact_text)
        if redacted is not value:
            updates[name] = redacted
    return model.model_copy(update=updates) if updates else model


def _redact_value(
    value: Any,
    path: str,
    category: PersonalDataCategory | None,
    marked: Mapping[str, PersonalDataCategory],
    redact_text: Callable[[str], str] | None,
) -> Any:
    redacted: Any = value
    if isinstance(value, Attachment):
        pass  # never embedded in the redacted variant
    elif isinstance(value, BaseModel):
        redacted = _redact_model(value, f"{path}.", category, marked, redact_text)
    elif isinstance(value, list):
        items = [_redact_value(item, f"{path}[]", category, marked, redact_text) for item in value]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            redacted = items
    elif isinstance(value, dict) and category is not None:
        redacted = {
            key: _redact_value(item, f"{path}.{key}", category, marked, redact_text)
            for key, item in value.items()
        }
    elif isinstance(value, str) and category == "free_text":
        redacted = redact_text(value) if redact_text is not None else FREE_TEXT_PLACEHOLDER
    elif isinstance(value, str) and category is not None:
        redacted = placeholder_for(path, category)
    return redacted
