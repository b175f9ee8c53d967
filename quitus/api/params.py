"""Path and query parameters shared by the routes, each checked against its format.

A value that does not have the format of an id is refused before anything looks it up,
so no error message ever quotes something other than an id. Every integer has bounds: a
number past what the database's integers hold would reach the driver and fail there
(an ``offset`` of 2⁶³ was a 500); it is refused with ``422`` here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict

__all__ = [
    "API_V1",
    "MAX_OFFSET",
    "HoldIdPath",
    "JustificationQuery",
    "LinkIdPath",
    "OffsetQuery",
    "PolicyIdPath",
    "PortalTokenPath",
    "ReportIdPath",
    "StrictBody",
    "TemplateIdPath",
]

API_V1 = "/api/v1"
"""Where the API lives; every route below is relative to it."""

REPORT_ID_PATTERN = r"^RI-[0-9A-HJKMNP-TV-Z]{26}$"
CODE_PATTERN = r"^[A-Za-z0-9_.:@/+=-]{1,64}$"
"""What the ledger accepts as a code (reasons, references): letters, digits and ``._:@/+=-``."""

ReportIdPath = Annotated[str, Path(pattern=REPORT_ID_PATTERN, description="Report id (RI-…).")]
ReportReferencePath = Annotated[
    str,
    Path(
        pattern=r"^RI-(?:[0-9A-HJKMNP-TV-Z]{26}|[0-9]{4}-[0-9]{6,8})$",
        description="Report id (RI-…) or number (RI-2026-000123).",
    ),
]
HoldIdPath = Annotated[str, Path(pattern=r"^hold-[0-9a-f]{12}$", description="Legal hold id (hold-…).")]
PolicyIdPath = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$", description="Policy id, e.g. fr.preuve-contractuelle.")
]
TemplateIdPath = Annotated[
    str,
    Path(pattern=r"^[a-z0-9_]{1,80}\.[a-z0-9_]{1,80}$", description="e.g. chaudiere_gaz.entretien_annuel"),
]
LinkIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$", description="Portal link id.")]
PortalTokenPath = Annotated[str, Path(max_length=200, description="The token of a client-portal link.")]
JustificationQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z0-9_.-]{1,64}$",
        description="Why a restricted report is read (a code, recorded): litigation, subject_access…",
    ),
]


MAX_OFFSET = 2**31 - 1
"""The largest ``offset`` a list accepts: more than any installation holds, and what every
SQL integer type stores."""
OffsetQuery = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_OFFSET,
        deprecated=True,
        description="How many items to skip, at most 2³¹ − 1. Deprecated: follow `next_cursor` "
        "(an offset skips or repeats items when others are added between two pages).",
    ),
]


class StrictBody(BaseModel):
    """A JSON request body: an unknown field is an error (a typo is never silently ignored)."""

    model_config = ConfigDict(extra="forbid")
