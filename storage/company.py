"""The company's identity, configured once: name, legal form, address, phone, SIRET, logo
and refrigerant-handling certificate number (*attestation de capacité*).

One row (``company_identity``, id 1) that every part of quitus reads: the capture sets each
report's ``company`` from it (a client cannot choose it), the PDF header prints it, the
e-mails and the portal name it. It is company data — a legal person's — not personal data,
so it is stored in clear. Every change is an admin event in the ledger
(:attr:`~storage.ledger.steps.LedgerStep.COMPANY_SET`: the revision and the SHA-256 of the
identity, :func:`identity_digest`).

Before any identity is configured (a home made by an older version) the name falls back to
``QUITUS_COMPANY_NAME`` (:meth:`CompanyStore.current`); ``quitus init`` seeds the identity
with that name, or ``--company``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from storage.company_logo import CheckedLogo, LogoStore
from storage.database import Database, lock_for_write
from storage.errors import CompanyIdentityError
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger
from storage.models import CompanyIdentityRecord, utcnow

__all__ = ["CompanyIdentity", "CompanyStore", "check_siret", "identity_digest"]

_ROW: Final = 1
_LIMITS: Final = {"name": 120, "legal_form": 60, "address": 200, "phone": 30, "attestation": 60}
_PHONE: Final = re.compile(r"^\+?[0-9 .()-]{6,25}$")
_LA_POSTE_SIREN: Final = "356000000"


@dataclass(frozen=True)
class CompanyIdentity:
    """Who the company is, as its documents say it."""

    name: str
    """Trade name, e.g. ``Thermi'Clim Services``."""
    legal_form: str | None = None
    """``SARL``, ``SAS``…"""
    address: str | None = None
    """Postal address of the establishment, one line (``12 rue du Port, 69007 Lyon``)."""
    phone: str | None = None
    siret: str | None = None
    """14 digits, checked (:func:`check_siret`)."""
    attestation: str | None = None
    """Number of the *attestation de capacité* (refrigerant handling, Code de l'environnement R543-99)."""
    logo_sha256: str | None = None
    """The logo in the home (:class:`~storage.company_logo.LogoStore`), by its hash."""
    revision: int = 0
    """0 before anything was configured; each change adds one."""
    updated_at: dt.datetime | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        """The identity as plain values (``quitus company show --json``)."""
        values = dataclasses.asdict(self)
        values["updated_at"] = self.updated_at.isoformat() if self.updated_at else None
        return values


def check_siret(value: str, *, where: str = "--siret") -> str:
    """``value`` as a SIRET (14 digits, spaces allowed in what is typed), or an error saying why not.

    A SIRET's 14 digits pass the Luhn check — or, for La Poste's establishments
    (SIREN 356 000 000), add up to a multiple of 5.
    """
    digits = re.sub(r"[ .]", "", value)
    if not re.fullmatch(r"\d{14}", digits):
        raise CompanyIdentityError(
            f"{where}: a SIRET is 14 digits (SIREN + NIC, e.g. 732 829 320 00074); "
            f"{len(re.sub(r'[^0-9]', '', digits))} digit(s) given"
            + ("" if digits.isdigit() else ", and characters that are not digits")
        )
    la_poste = digits.startswith(_LA_POSTE_SIREN) and sum(int(d) for d in digits) % 5 == 0
    if not (_luhn(digits) or la_poste):
        raise CompanyIdentityError(
            f"{where}: {digits} is not a valid SIRET (its check digit does not match): "
            "copy it again from the Kbis or avis de situation INSEE"
        )
    return digits


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def identity_digest(identity: CompanyIdentity) -> str:
    """SHA-256 of the identity's canonical JSON (without revision and date): what the ledger records."""
    values = dataclasses.asdict(identity)
    del values["revision"], values["updated_at"]
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def _clean(field: str, value: str | None) -> str | None:
    """A text field as stored: stripped, ``""`` clears it; too long or multi-line is refused."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if "\n" in text or "\r" in text or len(text) > _LIMITS[field]:
        raise CompanyIdentityError(
            f"--{field.replace('_', '-')}: one line of at most {_LIMITS[field]} characters"
        )
    if field == "phone" and not _PHONE.fullmatch(text):
        raise CompanyIdentityError("--phone: digits, spaces and + . ( ) - only, e.g. 04 72 00 00 00")
    return text


_UNSET: Final = "\x00unset"
"""What :meth:`CompanyStore.update` receives for a field it must leave as it is."""


class CompanyStore:
    """The company identity over a database, the ledger and the logo folder."""

    def __init__(
        self, database: Database, ledger: Ledger, logos: LogoStore, *, actor: str, fallback_name: str
    ) -> None:
        self.database = database
        self.ledger = ledger
        self.logos = logos
        self.actor = actor
        """Who the ledger names for a change."""
        self.fallback_name = fallback_name
        """The name shown while no identity is configured (``QUITUS_COMPANY_NAME``)."""

    def current(self) -> CompanyIdentity:
        """The identity in force (revision 0 with the fallback name when none was configured)."""
        with self.database.session() as session:
            row = session.get(CompanyIdentityRecord, _ROW)
            return _of(row) if row is not None else CompanyIdentity(name=self.fallback_name)

    def update(
        self,
        *,
        name: str | None = _UNSET,
        legal_form: str | None = _UNSET,
        address: str | None = _UNSET,
        phone: str | None = _UNSET,
        siret: str | None = _UNSET,
        attestation: str | None = _UNSET,
        logo: CheckedLogo | None = None,
        remove_logo: bool = False,
    ) -> CompanyIdentity:
        """Change what is given (``""`` clears a field, the name excepted), keep the rest; record
        the change in the ledger. Nothing changes (no entry) when the result is the same."""
        given = {
            "name": name,
            "legal_form": legal_form,
            "address": address,
            "phone": phone,
            "siret": siret,
            "attestation": attestation,
        }
        changes: dict[str, str | None] = {}
        for field, value in given.items():
            if value == _UNSET:
                continue
            if field == "siret":
                changes[field] = check_siret(value) if value and value.strip() else None
            else:
                changes[field] = _clean(field, value)
        if "name" in changes and changes["name"] is None:
            raise CompanyIdentityError("--name: the company's name cannot be empty")
        if logo is not None:
            self.logos.put(logo)  # before the row names it: a reader never finds a missing logo
            changes["logo_sha256"] = logo.sha256
        elif remove_logo:
            changes["logo_sha256"] = None
        with self.database.session() as session:
            return self._apply(session, changes)

    def seed_name(self, name: str) -> bool:
        """Configure the identity with ``name`` when none is configured yet (``quitus init``)."""
        with self.database.session() as session:
            lock_for_write(session)
            if session.get(CompanyIdentityRecord, _ROW, with_for_update=True) is not None:
                return False
            self._apply(session, {"name": _clean("name", name)})
            return True

    def _apply(self, session: Session, changes: dict[str, str | None]) -> CompanyIdentity:
        lock_for_write(session)
        row = session.get(CompanyIdentityRecord, _ROW, with_for_update=True)
        before = _of(row) if row is not None else CompanyIdentity(name=self.fallback_name)
        after = dataclasses.replace(before, **changes)  # type: ignore[arg-type]
        if row is not None and identity_digest(after) == identity_digest(before):
            return before
        now = utcnow()
        if row is None:
            row = CompanyIdentityRecord(id=_ROW, name=after.name, revision=0)
            session.add(row)
        for field in ("name", "legal_form", "address", "phone", "siret", "attestation", "logo_sha256"):
            setattr(row, field, getattr(after, field))
        row.logo_media_type = "image/png" if after.logo_sha256 else None
        row.revision += 1
        row.updated_at = now
        session.flush()
        self.ledger.append(
            session,
            [
                LedgerEvent(
                    step=LedgerStep.COMPANY_SET,
                    actor=self.actor,
                    outcome="ok",
                    details={
                        "revision": row.revision,
                        "identity_sha256": identity_digest(after),
                        "changed": sorted(changes),
                    },
                )
            ],
        )
        return _of(row)


def _of(row: CompanyIdentityRecord) -> CompanyIdentity:
    return CompanyIdentity(
        name=row.name,
        legal_form=row.legal_form,
        address=row.address,
        phone=row.phone,
        siret=row.siret,
        attestation=row.attestation,
        logo_sha256=row.logo_sha256,
        revision=row.revision,
        # SQLite gives back naive datetimes: they were written in UTC.
        updated_at=row.updated_at.replace(tzinfo=dt.UTC) if row.updated_at.tzinfo is None else row.updated_at,
    )
