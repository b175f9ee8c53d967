"""The equipment register: each boiler, heat pump or air conditioner, and its interventions.

A unit is known by its category, brand, model and serial number — technical data, never
personal (``reports.schema.Equipment``) — and is registered when a report that names its
serial number is accepted, or imported from a CSV file (``quitus equipment import``). Its
history is the list of accepted reports about it: day, template, outcome, report id. Who
owns it and where it stands are *not* stored here: they are in those reports, encrypted
under each report's key. Nor are the brand, model and serial number kept as typed: a
technician may type anything there (a client's name and phone, found by the round-4
adversary), so a unit is known by a keyed digest of them (HMAC-SHA256 under the index key,
as the blind index does), never by their text. So the register holds no typed value
(ARCHITECTURE invariant 1), and erasing a report removes its line from the history in the
erasure's transaction (:func:`delete_interventions_of`); a unit whose history is then empty and that was not
imported goes with it, so nothing ties it to the person any more.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.database import is_one_of
from storage.ledger.events import LedgerEvent
from storage.models import Base, ReportRecord, utcnow
from storage.report_store import Effect, ReportStore
from storage.states import ReportState

__all__ = [
    "EquipmentIntervention",
    "EquipmentKey",
    "EquipmentRecord",
    "EquipmentStore",
    "delete_interventions_of",
]

IMPORTED: Final = "import"
CAPTURED: Final = "report"


@dataclass(frozen=True)
class EquipmentKey:
    """What identifies a unit: its category, brand, model and serial number (as printed)."""

    category: str
    brand: str
    model: str
    serial_number: str

    def digest(self, index_key: bytes) -> str:
        """The unit's keyed digest: case and spaces do not make another unit (``ThemaPlus  F25``
        is ``themaplus f25``)."""
        parts = (" ".join(part.split()).casefold() for part in (self.brand, self.model, self.serial_number))
        term = "equipment:" + self.category + "\0" + "\0".join(parts)
        return hmac.new(index_key, term.encode(), hashlib.sha256).hexdigest()


UNIT_DETAIL: Final = "unit"
"""The detail of the accepting ``validate`` entry that records the report's unit: its keyed
digest (:meth:`EquipmentKey.digest`), empty without a serial number. ``audit verify``
compares the register with it (:mod:`storage.equipment_integrity`)."""


class EquipmentRecord(Base):
    """A unit of equipment: its category, a keyed digest of what identifies it, its year."""

    __tablename__ = "equipment"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    category: Mapped[str] = mapped_column(String(64))
    unit_digest: Mapped[str] = mapped_column(String(64), unique=True)
    """HMAC-SHA256 of the category, brand, model and serial number (:meth:`EquipmentKey.digest`)."""
    installed_year: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    """``report`` (first seen in an accepted report) or ``import`` (a CSV file)."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EquipmentInterventionRecord(Base):
    """One accepted report about a unit."""

    __tablename__ = "equipment_interventions"

    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    equipment_id: Mapped[str] = mapped_column(ForeignKey("equipment.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    template_id: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))


@dataclass(frozen=True)
class EquipmentIntervention:
    """A line of a unit's history (no personal data)."""

    report_id: str
    number: str | None
    day: dt.date
    template_id: str
    outcome: str
    """``completed`` or ``unfinished``."""


class EquipmentStore:
    """The ``equipment`` register over a :class:`ReportStore`'s database."""

    def __init__(self, store: ReportStore) -> None:
        self.store = store

    def record_intervention(
        self,
        key: EquipmentKey,
        *,
        installed_year: int | None,
        report_id: str,
        day: dt.date,
        template_id: str,
        outcome: str,
    ) -> str:
        """Register the unit if it is new, and this accepted report in its history; its id.

        Recording the same report again changes nothing (a report is about one unit).
        """
        with self.store.database.session() as session:
            return self.record_intervention_in(
                session,
                key,
                installed_year=installed_year,
                report_id=report_id,
                day=day,
                template_id=template_id,
                outcome=outcome,
            )

    def intervention_line(
        self,
        key: EquipmentKey,
        *,
        installed_year: int | None,
        report_id: str,
        day: dt.date,
        template_id: str,
        outcome: str,
    ) -> Effect:
        """The :data:`~storage.report_store.Effect` that records the accepted report in the
        unit's history in its acceptance's transaction (no ledger entry of its own)."""

        def record(session: Session) -> list[LedgerEvent]:
            self.record_intervention_in(
                session,
                key,
                installed_year=installed_year,
                report_id=report_id,
                day=day,
                template_id=template_id,
                outcome=outcome,
            )
            return []

        return record

    def record_intervention_in(
        self,
        session: Session,
        key: EquipmentKey,
        *,
        installed_year: int | None,
        report_id: str,
        day: dt.date,
        template_id: str,
        outcome: str,
    ) -> str:
        """:meth:`record_intervention` in the caller's transaction (the report's acceptance)."""
        equipment = self._find_or_add(session, key, installed_year, CAPTURED)
        if session.get(EquipmentInterventionRecord, report_id) is None:
            session.add(
                EquipmentInterventionRecord(
                    report_id=report_id,
                    equipment_id=equipment.id,
                    day=day,
                    template_id=template_id,
                    outcome=outcome,
                )
            )
        return equipment.id

    def import_units(self, units: Sequence[tuple[EquipmentKey, int | None]]) -> tuple[int, int]:
        """Register these units (a CSV import): how many were new, how many known already."""
        added = known = 0
        with self.store.database.session() as session:
            for key, year in units:
                before = self._existing(session, key)
                if before is None:
                    self._find_or_add(session, key, year, IMPORTED)
                    added += 1
                else:
                    known += 1
        return added, known

    def history(self, key: EquipmentKey) -> list[EquipmentIntervention]:
        """The unit's accepted reports, most recent first (erased ones are gone); [] if unknown."""
        with self.store.database.session() as session:
            equipment = self._existing(session, key)
            if equipment is None:
                return []
            rows = session.execute(
                select(EquipmentInterventionRecord, ReportRecord.number)
                .join(ReportRecord, ReportRecord.id == EquipmentInterventionRecord.report_id)
                .where(
                    EquipmentInterventionRecord.equipment_id == equipment.id,
                    ReportRecord.state != ReportState.ERASED.value,
                )
                .order_by(
                    EquipmentInterventionRecord.day.desc(), EquipmentInterventionRecord.report_id.desc()
                )
            )
            return [
                EquipmentIntervention(row.report_id, number, row.day, row.template_id, row.outcome)
                for row, number in rows
            ]

    def count(self) -> int:
        with self.store.database.session() as session:
            return len(list(session.scalars(select(EquipmentRecord.id))))

    def _existing(self, session: Session, key: EquipmentKey) -> EquipmentRecord | None:
        digest = key.digest(self.store.keys.index_key)
        return session.scalars(select(EquipmentRecord).where(EquipmentRecord.unit_digest == digest)).first()

    def _find_or_add(
        self, session: Session, key: EquipmentKey, installed_year: int | None, source: str
    ) -> EquipmentRecord:
        found = self._existing(session, key)
        if found is not None:
            if found.installed_year is None and installed_year is not None:
                found.installed_year = installed_year
            return found
        record = EquipmentRecord(
            id="EQ-" + secrets.token_hex(8),
            category=key.category,
            unit_digest=key.digest(self.store.keys.index_key),
            installed_year=installed_year,
            source=source,
            created_at=utcnow(),
        )
        session.add(record)
        session.flush()
        return record


def delete_interventions_of(session: Session, report_ids: Sequence[str], dialect: str) -> int:
    """Delete these (erased) reports' lines from the equipment histories, in the caller's
    transaction, and the units first seen in them that have no history left; how many lines."""
    if not report_ids:
        return 0
    ids = list(report_ids)
    units = set(
        session.scalars(
            select(EquipmentInterventionRecord.equipment_id).where(
                is_one_of(EquipmentInterventionRecord.report_id, ids, dialect)
            )
        )
    )
    result = session.execute(
        delete(EquipmentInterventionRecord).where(
            is_one_of(EquipmentInterventionRecord.report_id, ids, dialect)
        ),
        execution_options={"synchronize_session": False},
    )
    if units:
        still_used = select(EquipmentInterventionRecord.equipment_id)
        session.execute(
            delete(EquipmentRecord).where(
                EquipmentRecord.id.in_(list(units)),
                EquipmentRecord.source == CAPTURED,
                EquipmentRecord.id.not_in(still_used),
            ),
            execution_options={"synchronize_session": False},
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
