"""The rule that technical fields hold no personal data, for every way they arrive.

The equipment's brand, model and serial number are technical data (:class:`reports.schema.
Equipment`): stored in the equipment register, printed in the anonymized PDF, kept by the
redaction "whatever a recognizer thinks" (docs/pii.md, *What is kept*). A technician who
types the client's name or phone there by mistake would put them in every copy. So the
same check runs wherever such a value comes in — a submitted report
(:func:`reports.validation.validate_report`) and an equipment import file
(:func:`reports.equipment_history.read_equipment_csv`) — and refuses the value, naming the
field and what it looks like, never quoting it.

What is refused is a *shape* that technical text does not take, not a guess:

* a **telephone number** written as one: French numbers in pairs (``06 11 22 33 44``,
  ``06.11.22.33.44``), with ``+33``/``0033``; ten digits alone are a serial number
  (``S/N 0612345678``), and stay one, except in a brand or model;
* an **e-mail address**;
* a **person introduced as one**: a civility (``M.``, ``Mme``, ``Madame``, ``Monsieur``,
  ``Mlle``, ``Mr``, ``Dr``) or ``chez`` before a capitalized word (``chez Mme Dupont``,
  ``chez Martin``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from reports.issues import ReportIssue, issue
from storage.identifiers import EMAIL, PHONE_BARE, PHONE_INTERNATIONAL, PHONE_SEPARATED

if TYPE_CHECKING:
    from reports.schema import InterventionReport

__all__ = ["PersonalShape", "personal_shapes", "technical_issues"]


class PersonalShape(StrEnum):
    """What a technical value looks like instead (named in the issue, never the value)."""

    PHONE = "phone"
    EMAIL = "email"
    PERSON = "person"

    @property
    def english(self) -> str:
        return {"phone": "telephone number", "email": "e-mail address", "person": "person's name"}[self.value]

    @property
    def french(self) -> str:
        return {
            "phone": "un numéro de téléphone",
            "email": "une adresse e-mail",
            "person": "le nom d'une personne",
        }[self.value]


_WHAT: Final = {
    "brand": ("manufacturer", "la marque"),
    "model": ("model name", "le modèle"),
    "serial_number": ("serial number", "le numéro de série"),
    "reference": ("part reference", "la référence de la pièce"),
    "label": ("part's name", "la désignation de la pièce"),
    "id": ("technician's identifier (tech-042)", "l'identifiant du technicien (tech-042)"),
}


_PERSON: Final = re.compile(
    r"(?<!\w)(?:M\.?|(?:Mme|Mlle|Mr|Dr)\.?|Madame|Monsieur|Mademoiselle)\s+(?:les?\s+|la\s+)?[A-ZÀ-Ý][a-zà-ÿ]"
    r"|(?<!\w)(?:MME|MLLE|MADAME|MONSIEUR)\s+[A-ZÀ-Ý]{2,}"
    r"|(?<!\w)(?i:chez)\s+[^\W\d_]",
)
"""A civility (with or without its period) before a capitalized word, or ``chez`` before a
word in any case: technical text never says so (``chez dupont``, ``M Dupont``)."""
_PHONE_CUE: Final = re.compile(
    r"(?<![^\W\d_])(?:t[ée]l|tel|phone|portable|mobile|gsm|fixe)\b\s*[.:/]?\s*\+?\d", re.IGNORECASE
)
"""A phone announced as one (``tel:0612345678``): a phone, in a serial number too."""


def personal_shapes(value: str, *, serial: bool = False) -> list[PersonalShape]:
    """The shapes of personal data found in a technical ``value`` (empty: none).

    ``serial``: the value is a serial number, where ten digits alone are the serial itself.
    """
    return list(dict.fromkeys(_shapes(value, serial=serial)))


def technical_issues(report: InterventionReport) -> list[ReportIssue]:
    """A ``technical_personal`` issue per technical field of ``report`` that holds personal data."""
    fields: list[tuple[str, str, str | None]] = [
        ("equipment.brand", "brand", report.equipment.brand),
        ("equipment.model", "model", report.equipment.model),
        ("equipment.serial_number", "serial_number", report.equipment.serial_number),
    ]
    # Identifiers are printed in both PDFs ("matricule …"), the anonymized one too.
    fields.append(("technician.id", "id", report.technician.id))
    fields += [(f"team[{index}].id", "id", member.id) for index, member in enumerate(report.team)]
    reschedule = report.outcome.reschedule
    for name, parts in (
        ("parts", report.parts),
        ("outcome.reschedule.parts_to_order", reschedule.parts_to_order if reschedule else []),
    ):
        for index, part in enumerate(parts):
            fields += [
                (f"{name}[{index}].reference", "reference", part.reference),
                (f"{name}[{index}].label", "label", part.label),
            ]
    found = []
    for path, kind, value in fields:
        shapes = personal_shapes(value, serial=kind == "serial_number") if value else []
        if shapes:
            what_en, what_fr = _WHAT[kind]
            found.append(
                issue(
                    path,
                    "technical_personal",
                    item=path,
                    shape_en=" and a ".join(shape.english for shape in shapes),
                    shape_fr=" et ".join(shape.french for shape in shapes),
                    what_en=what_en,
                    what_fr=what_fr,
                )
            )
    return found


def _shapes(value: str, *, serial: bool) -> Iterator[PersonalShape]:
    written_as_phone = (
        PHONE_SEPARATED.search(value) or PHONE_INTERNATIONAL.search(value) or _PHONE_CUE.search(value)
    )
    if written_as_phone or (not serial and PHONE_BARE.search(value)):
        yield PersonalShape.PHONE
    if EMAIL.search(value):
        yield PersonalShape.EMAIL
    if _PERSON.search(value):
        yield PersonalShape.PERSON
