"""The statistical record an anonymized report leaves behind: anonymous, not pseudonymous.

Before *anonymize* crypto-shreds a report, :func:`draft_record` reads from it the few
technical facts a statistician needs, already bucketed (:class:`QuasiIdentifiers`).
:func:`write_k_anonymous` then writes each draft generalized step by step
(:data:`GENERALIZATION`) until at least *k* records of the table share **every** value it
keeps, or does not write it at all (suppression).

Every value kept is a quasi-identifier. The client received the report by e-mail: they,
and whoever holds that e-mail, know its date, place, equipment, duration, what was found
and what was replaced. So nothing is kept beside the quasi-identifiers for a class to
hide: the record *is* its tuple, and k-anonymity is checked over all of it. Readings,
dropdown answers, part references, serial numbers, tags, free text, names and photos are
not kept: exact values single a report out, and bucketed they would split every class so
finely that nothing else would survive generalization.

Nothing links a record to its report: its id is random, drawn when it is written; no
report id, submission id, hash of either, nor write time is stored (a write time would
match the disposal certificate's in the ledger); a batch is inserted in random order.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, fields, replace

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from reports.schema import Address, InterventionReport
from storage.models import StatisticalRecord

__all__ = [
    "DEFAULT_K",
    "DURATION_BUCKETS",
    "GENERALIZATION",
    "SUPPRESSED",
    "QuasiIdentifiers",
    "StatisticalDraft",
    "draft_record",
    "generalizations",
    "new_statistical_id",
    "write_k_anonymous",
]

DEFAULT_K = 5
"""Fewest records that must share a record's values for it to be written."""

SUPPRESSED = "*"
"""The value of an attribute that is not kept (generalized away, or never known)."""

DURATION_BUCKETS: tuple[tuple[int, str], ...] = (
    (30, "<30 min"),
    (60, "30-60 min"),
    (120, "1-2 h"),
    (240, "2-4 h"),
)
"""(upper bound in minutes, excluded; label); 4 hours or more is ``>4 h``."""

_LONGEST = ">4 h"
_QUERY_CHUNK = 100
"""Candidate tuples per counting query: 100 x 12 parameters stays far below every limit."""


@dataclass(frozen=True)
class QuasiIdentifiers:
    """Everything a statistical record keeps, one column each; :data:`SUPPRESSED` where a
    value is not kept. The first four are never generalized: a record that cannot reach
    *k* with them is not written."""

    template_id: str
    """The report's template, ``<equipment category>.<intervention type>``."""
    client_kind: str
    """``particulier`` or ``professionnel``."""
    equipment_category: str
    """``chaudiere_gaz``, ``climatisation``…"""
    period: str
    """The intervention's month ``YYYY-MM``, generalized to its year ``YYYY``. The year is
    never suppressed: k counts records, not people, and the reports of one installation
    fall in different years (yearly servicing), so they rarely fill a class together."""
    outcome: str
    """``completed`` or ``unfinished``."""
    brand: str
    """Manufacturer, spaces collapsed and upper-cased (``SAUNIER DUVAL``)."""
    model: str
    """Model name, normalized like the brand."""
    installed_decade: str
    """``2010s``: the equipment's installation year, by decade."""
    duration: str
    """Time on site, one of :data:`DURATION_BUCKETS` (or ``>4 h``)."""
    area: str
    """Département: first two digits of the site's (else the billing) postcode, three for
    overseas (``971``); not kept outside France."""
    parts_used: str
    """How many part lines the report lists: ``0``, ``1`` or ``2+``."""
    checklist_anomalies: str
    """How many checklist items were found in anomaly: ``0``, ``1`` or ``2+``."""


def _suppress(name: str) -> Callable[[QuasiIdentifiers], QuasiIdentifiers]:
    return lambda values: replace(values, **{name: SUPPRESSED})


def _year_only(values: QuasiIdentifiers) -> QuasiIdentifiers:
    return replace(values, period=values.period[:4])


GENERALIZATION: tuple[tuple[str, Callable[[QuasiIdentifiers], QuasiIdentifiers]], ...] = (
    ("month -> year", _year_only),
    ("model", _suppress("model")),
    ("installed decade", _suppress("installed_decade")),
    ("duration", _suppress("duration")),
    ("area", _suppress("area")),
    ("parts used", _suppress("parts_used")),
    ("checklist anomalies", _suppress("checklist_anomalies")),
    ("brand", _suppress("brand")),
    ("outcome", _suppress("outcome")),
)
"""The steps, in order: each generalizes one more attribute of the previous level. What
singles a report out most and tells a statistician least goes first; what remains at the
end is template, client kind, category and year."""


@dataclass(frozen=True)
class StatisticalDraft:
    """A report's quasi-identifiers at the finest level, before :func:`write_k_anonymous`."""

    report_id: str
    """Which report it was drafted from: in memory only, for diagnostics; never written."""
    values: QuasiIdentifiers


def draft_record(report_id: str, template_id: str | None, report: InterventionReport) -> StatisticalDraft:
    """What the record of ``report`` keeps, bucketed but not yet generalized."""
    equipment = report.equipment
    site_address = report.site.address if report.site is not None else None
    return StatisticalDraft(
        report_id=report_id,
        values=QuasiIdentifiers(
            template_id=template_id or SUPPRESSED,
            client_kind=report.client.kind,
            equipment_category=equipment.category,
            period=report.intervention_date.strftime("%Y-%m"),
            outcome=report.outcome.status,
            brand=_label(equipment.brand),
            model=_label(equipment.model),
            installed_decade=(
                f"{equipment.installed_year // 10 * 10}s" if equipment.installed_year else SUPPRESSED
            ),
            duration=_duration_bucket(report.departure - report.arrival),
            area=_departement(site_address or report.client.address),
            parts_used=_how_many(len(report.parts)),
            checklist_anomalies=_how_many(sum(1 for i in report.checklist if i.status == "anomalie")),
        ),
    )


def generalizations(values: QuasiIdentifiers) -> list[QuasiIdentifiers]:
    """``values`` at every level: itself first, then after each step of :data:`GENERALIZATION`."""
    levels = [values]
    for _name, step in GENERALIZATION:
        levels.append(step(levels[-1]))
    return levels


def new_statistical_id() -> str:
    """``stat-`` + 16 random hex digits: drawn anew, derived from nothing."""
    return "stat-" + secrets.token_hex(8)


def write_k_anonymous(session: Session, drafts: Sequence[StatisticalDraft], *, k: int = DEFAULT_K) -> int:
    """Write each draft at the finest level where at least ``k`` records share all its values,
    counting the records already in the table and this batch; return how many were written.
    The others — ``len(drafts)`` minus the result — are suppressed: not written at all.

    A class is counted by exact match on every column: a record stored at another level
    (``brand`` kept, or not) is another class, never "compatible". The drafts of a batch
    that share a tuple are written together, so each class written holds ``k`` or more.
    Concurrent writers can only add to a class, so the property holds across them too.

    The caller MUST call this inside the transaction that erases these reports, with drafts
    of reports that transaction erased, each once: nothing links a record to its report,
    so nothing here could tell a report written twice — and a duplicate would count as a
    second person in its class.
    """
    if k < 1:
        raise ValueError(f"k must be 1 or more, got {k}")
    pending = [generalizations(d.values) for d in drafts]
    written: list[QuasiIdentifiers] = []
    for level in range(len(GENERALIZATION) + 1):
        if not pending:
            break
        candidates = [levels[level] for levels in pending]
        sizes = _stored_counts(session, set(candidates)) + Counter(written) + Counter(candidates)
        written.extend(c for c in candidates if sizes[c] >= k)
        pending = [levels for levels, c in zip(pending, candidates, strict=True) if sizes[c] < k]
    records = [StatisticalRecord(id=new_statistical_id(), **_columns_of(v)) for v in written]
    # Written in the order of the batch, the rows would line up with the disposal
    # certificates that the ledger appends in the same transaction.
    secrets.SystemRandom().shuffle(records)
    session.add_all(records)
    session.flush()
    return len(records)


_CLASS_COLUMNS: tuple[InstrumentedAttribute[str], ...] = tuple(
    getattr(StatisticalRecord, f.name) for f in fields(QuasiIdentifiers)
)


def _columns_of(values: QuasiIdentifiers) -> dict[str, str]:
    return {f.name: getattr(values, f.name) for f in fields(QuasiIdentifiers)}


def _stored_counts(session: Session, candidates: set[QuasiIdentifiers]) -> Counter[QuasiIdentifiers]:
    """How many stored records hold exactly each of these tuples."""
    counts: Counter[QuasiIdentifiers] = Counter()
    ordered = list(candidates)
    for start in range(0, len(ordered), _QUERY_CHUNK):
        chunk = [astuple(c) for c in ordered[start : start + _QUERY_CHUNK]]
        query = (
            select(*_CLASS_COLUMNS, func.count())
            .where(tuple_(*_CLASS_COLUMNS).in_(chunk))
            .group_by(*_CLASS_COLUMNS)
        )
        for row in session.execute(query):
            counts[QuasiIdentifiers(*row[:-1])] = int(row[-1])
    return counts


def _label(text: str) -> str:
    """Spaces collapsed, upper case: ``Saunier  duval`` and ``SAUNIER DUVAL`` are one brand."""
    return " ".join(text.split()).upper()[:200]


def _duration_bucket(duration: dt.timedelta) -> str:
    minutes = duration.total_seconds() / 60
    return next((label for bound, label in DURATION_BUCKETS if minutes < bound), _LONGEST)


def _departement(address: Address) -> str:
    if address.country != "FR":
        return SUPPRESSED
    postcode = address.postal_code.replace(" ", "")
    digits = 3 if postcode.startswith(("97", "98")) else 2
    return postcode[:digits] if len(postcode) == 5 and postcode.isdigit() else SUPPRESSED


def _how_many(count: int) -> str:
    return str(count) if count < 2 else "2+"
