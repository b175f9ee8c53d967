"""The retention facts of a report and the digest the ledger keeps of them.

``template_id``, ``client_kind``, ``intervention_date``, ``outcome``, ``tags`` and
``site_country`` sit in plain columns of ``reports`` and decide which policy applies and
when a report falls due: editing ``intervention_date`` with the database file would make
a report due today. The ``capture`` entry that wrote them records
:func:`facts_digest` of them (``facts_sha256``), and ``quitus audit verify``
(:mod:`storage.state_integrity`) recomputes it from the row: one function, used by the
writer and the checker, so the two cannot disagree on an encoding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

__all__ = ["FACTS_DETAIL", "facts_digest"]

FACTS_DETAIL = "facts_sha256"
"""The ``capture`` entry's detail that holds the digest."""


def facts_digest(
    *,
    template_id: str | None,
    client_kind: str | None,
    intervention_date: dt.date | str | None,
    outcome: str | None,
    tags: Sequence[str] | None,
    site_country: str | None,
) -> str:
    """SHA-256 (hex) of the facts in canonical JSON; a date counts as its ISO text."""
    facts = {
        "template_id": template_id,
        "client_kind": client_kind,
        "intervention_date": None if intervention_date is None else str(intervention_date),
        "outcome": outcome,
        "tags": list(tags or ()),
        "site_country": site_country,
    }
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
