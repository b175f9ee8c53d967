"""Readable report numbers: ``RI-<year>-<n>``, sequential per year, without gaps.

French companies number their documents in one series a year, with no number missing
(``RI-2026-000123``). The report's id (``RI-`` + a ULID) stays the internal key: every
table, blob and ledger entry names the id; people read the number.

**When a number is given.** When the report is *accepted*: in the transaction that moves it
to ``validated`` (:meth:`storage.report_store.ReportStore.transition`). A submission that is
rejected — unreadable, invalid against its template, a conflict — never takes a number,
so the series holds accepted reports only and a rejection leaves no hole. A rejected
report that is corrected takes its number when it is accepted. A number once given is
never given back: a report that is later erased keeps it (its tombstone still shows it),
so the series stays whole after erasure too. The year is the year of acceptance, in
Europe/Paris.

**Why there are no gaps.** The counter of a year (one row of ``report_number_counters``)
is incremented in the *same transaction* as the state change; if that transaction rolls
back, so does the increment. Concurrent acceptances queue on the counter row: ``UPDATE …
SET last = last + 1 … RETURNING`` takes its row lock on PostgreSQL, and on SQLite the
report store has taken the database's write lock first (:func:`storage.database.lock_for_write`).
The unique constraint on ``reports.number`` is the last guard: a duplicate cannot be stored.

The number is recorded in the ``validate`` ledger entry (detail ``number``), so it is signed
with the rest of the report's life.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import ReportNumberCounterRecord, ReportRecord

__all__ = [
    "NUMBER_DETAIL",
    "NUMBER_PATTERN",
    "allocate_number",
    "counter_problems",
    "format_number",
    "is_report_number",
    "numbers_of",
    "report_id_for",
    "shown_number",
]

NUMBER_DETAIL: Final = "number"
"""The detail of the ``validate`` ledger entry that records the number given."""

NUMBER_PATTERN: Final = re.compile(r"^RI-(?P<year>\d{4})-(?P<seq>\d{6,8})$")
"""What a report number looks like: ``RI-2026-000123`` (6 digits at least)."""

_PARIS: Final = ZoneInfo("Europe/Paris")


def format_number(year: int, sequence: int) -> str:
    """``RI-2026-000123`` for the 123rd report accepted in 2026."""
    if not 1 <= sequence <= 99_999_999 or not 1000 <= year <= 9999:
        raise ValueError(f"no report number for year {year}, sequence {sequence}")
    return f"RI-{year}-{sequence:06d}"


def is_report_number(value: str) -> bool:
    """Whether ``value`` is spelt like a report number (not whether it was given)."""
    return NUMBER_PATTERN.fullmatch(value) is not None


def allocate_number(session: Session, moment: dt.datetime) -> str:
    """The next number of the year of ``moment`` (Europe/Paris), counted in ``session``'s
    transaction: it is given for good only if that transaction commits (see the module doc).

    On SQLite the caller must hold the write lock (:func:`storage.database.lock_for_write`)
    before reading anything the transaction decides on; the report store does.
    """
    year = moment.astimezone(_PARIS).year
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # The year's row exists once; two first acceptances of a year both insert-or-nothing.
    session.execute(insert(ReportNumberCounterRecord).values(year=year, last=0).on_conflict_do_nothing())
    given = session.scalar(
        update(ReportNumberCounterRecord)
        .where(ReportNumberCounterRecord.year == year)
        .values(last=ReportNumberCounterRecord.last + 1)
        .returning(ReportNumberCounterRecord.last)
    )
    if given is None:  # the row was just inserted in this transaction: cannot happen
        raise AssertionError(f"no number counter for {year}")
    return format_number(year, given)


def counter_problems(counters: Mapping[int, int], given: Iterable[str]) -> list[str]:
    """How the year counters and the series differ from the numbers given (``quitus audit verify``).

    ``given``: every number the ledger's ``validate`` entries recorded, with those migration
    0013 gave to reports accepted before numbers existed. Each year's series must run from 1
    to its counter with no number missing: a counter moved on leaves a gap at the next
    acceptance; moved back, a number already given comes again (the unique constraint then
    refuses every acceptance).
    """
    series: dict[int, set[int]] = {}
    for number in given:
        match = NUMBER_PATTERN.fullmatch(number)
        if match is not None:
            series.setdefault(int(match["year"]), set()).add(int(match["seq"]))
    problems = []
    for year in sorted(set(counters) | set(series)):
        counter, numbers = counters.get(year), series.get(year, set())
        recorded = max(numbers, default=0)
        if counter is None:
            problems.append(
                f"report numbers of {year}: the ledger gave up to {format_number(year, recorded)}, but "
                "report_number_counters has no row for the year (deleted: the series would start again)"
            )
        elif counter != recorded:
            said = format_number(year, recorded) if recorded else "none"
            problems.append(
                f"report numbers of {year}: report_number_counters says {counter} was the last given, but "
                f"the ledger's validate entries gave up to {said} (edited: "
                + (
                    "the next number would leave a gap)"
                    if counter > recorded
                    else "a number would be given twice)"
                )
            )
        missing = sorted(set(range(1, recorded + 1)) - numbers)
        if missing:
            first, last = format_number(year, missing[0]), format_number(year, missing[-1])
            problems.append(
                f"report numbers of {year}: {len(missing)} number(s) between {first} and {last} were never "
                "given (a gap in the series: the counter was moved on beside the ledger)"
            )
    return problems


def report_id_for(session: Session, reference: str) -> str | None:
    """The report id that ``reference`` names: a report id, or a report number; ``None`` if none."""
    if is_report_number(reference):
        return session.scalar(select(ReportRecord.id).where(ReportRecord.number == reference))
    return session.scalar(select(ReportRecord.id).where(ReportRecord.id == reference))


_CHUNK: Final = 500


def numbers_of(session: Session, report_ids: Iterable[str]) -> dict[str, str]:
    """Report id → its number, for those of ``report_ids`` that have one (lists, registers,
    queues: one query a chunk). What a person reads is ``shown_number(numbers.get(id), id)``."""
    ids = list(dict.fromkeys(report_ids))
    shown: dict[str, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = select(ReportRecord.id, ReportRecord.number).where(
            ReportRecord.id.in_(chunk), ReportRecord.number.is_not(None)
        )
        shown.update({report_id: str(number) for report_id, number in session.execute(query)})
    return shown


def shown_number(number: str | None, report_id: str) -> str:
    """What a person reads for a report: its number, or its id while it has none (not yet
    accepted, or rejected)."""
    return number or report_id
