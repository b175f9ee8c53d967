"""The retention-policy model: what a compliance officer writes in a YAML file.

A policy says, for the reports in its **scope**, from which **trigger** date the
retention period (**duration**) runs and what happens at its end (**action**).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from policies.duration import RetentionPeriod, parse_period

__all__ = ["Action", "LegalBasis", "Policy", "Scope", "Trigger"]

Action = Literal["anonymize", "delete", "review"]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LegalBasis(_Strict):
    """Why the data is kept, with the texts that say so."""

    text: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    references: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = Field(min_length=1)
    obligation: bool = False
    """True when the law *requires* keeping the data: an erasure request then restricts
    instead of erasing until the period ends (GDPR Art. 17(3)(b))."""


class Scope(_Strict):
    """Which reports a policy covers. An empty list means "any"."""

    intervention_types: list[Slug] = Field(default_factory=list)
    equipment_categories: list[Slug] = Field(default_factory=list)
    client_kinds: list[Literal["particulier", "professionnel"]] = Field(default_factory=list)
    tags: list[Slug] = Field(default_factory=list)
    """The report must carry at least one of these tags."""
    site_countries: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = Field(
        default_factory=list
    )

    @property
    def explicitness(self) -> int:
        """How many dimensions the scope pins down (explicit scope wins over broad scope)."""
        return sum(
            1
            for values in (
                self.intervention_types,
                self.equipment_categories,
                self.client_kinds,
                self.tags,
                self.site_countries,
            )
            if values
        )


class Trigger(_Strict):
    """The date the retention period runs from."""

    kind: Literal["intervention_date", "archival_date", "event"]
    event: Slug | None = None
    """For ``kind: event``: the named event, recorded later (e.g. ``contract_end``)."""
    fallback: Literal["intervention_date"] | None = None
    """For ``kind: event``: until the event is recorded, the period runs from this date
    (e.g. the intervention is the last contact until a later one is recorded)."""

    @model_validator(mode="after")
    def _event_named(self) -> Trigger:
        if (self.kind == "event") != (self.event is not None):
            raise ValueError(
                "give 'event' exactly when kind is 'event' (e.g. kind: event, event: contract_end)"
            )
        if self.fallback is not None and self.kind != "event":
            raise ValueError("'fallback' only applies to kind: event")
        return self

    def describe(self) -> str:
        return f"event '{self.event}'" if self.kind == "event" else self.kind.replace("_", " ")


class Policy(_Strict):
    """One retention policy."""

    id: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    legal_basis: LegalBasis
    scope: Scope = Field(default_factory=Scope)
    trigger: Trigger
    duration: str
    """ISO 8601, e.g. ``P5Y``."""
    action: Action
    active_period: str | None = None
    """Optional: how long the report stays in the active base before intermediate
    archiving (CNIL), after which access to its personal data is restricted."""
    note: str | None = None
    """For the reader, e.g. "to be confirmed with your DPO"."""

    @field_validator("duration", "active_period")
    @classmethod
    def _iso_duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_period(value)
        return value

    @model_validator(mode="after")
    def _active_within_retention(self) -> Policy:
        if self.active_period is not None and parse_period(self.active_period) > self.period:
            raise ValueError("active_period is longer than the retention duration")
        return self

    @property
    def period(self) -> RetentionPeriod:
        return parse_period(self.duration)

    @property
    def active(self) -> RetentionPeriod | None:
        return None if self.active_period is None else parse_period(self.active_period)


def content_version(text: bytes) -> str:
    """A policy's version: the hash of its file's bytes (12 hex characters)."""
    return hashlib.sha256(text).hexdigest()[:12]
