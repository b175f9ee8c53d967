"""Fixtures for the PII tests: the spaCy model is loaded once per session."""

from __future__ import annotations

import pytest

from anonymization.engine import PiiEngine
from anonymization.vocabulary import TechnicalVocabulary, load_vocabulary
from reports.templates import TemplateCatalog


@pytest.fixture(scope="session")
def vocabulary() -> TechnicalVocabulary:
    return load_vocabulary(TemplateCatalog.load())


@pytest.fixture(scope="session")
def pii_engine(vocabulary: TechnicalVocabulary) -> PiiEngine:
    return PiiEngine(vocabulary)
