"""Realistic French sample submissions for the demo, the tests and the benchmarks.

:func:`generate_samples` writes intervention reports the way French field technicians
do: particuliers and professionnels with French addresses, phones and e-mails; real
equipment brands and models with serial numbers, part references, fault codes and
refrigerants that agree with the template's dropdowns; free text that mixes personal
data (names, phones, addresses) with technical content; photos carrying the phone's
EXIF, GPS position included, and drawn signatures.

Each :class:`Sample` says what validating it must give: most are valid, some are
*unfinished* (still valid), and some carry exactly one defect whose issue code
(:data:`DEFECTS`) validation reports. The same seed always gives the same samples,
byte for byte: nothing depends on the clock, and images are drawn from seeded
generators.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import re
import string
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from faker import Faker

from reports.errors import TemplateError
from reports.readings import judge_reading
from reports.samples.images import ascii_fold, check_photo_size, make_photo, make_signature
from reports.samples.trades import (
    _ACCESS_NOTES,
    _ANOMALIES,
    _ANY_ANOMALY,
    _ANY_OBSERVATIONS,
    _KNOWN_REFERENCES,
    _MAIL_DOMAINS,
    _OTHER_PHOTOS,
    _RESIDENCES,
    _UNKNOWN_TYPES,
    _WRONG_UNITS,
    _Fault,
    _Model,
    _Part,
    _Range,
    _Trade,
    _trade_for,
)
from reports.schema import Measurement
from reports.templates import MeasurementSpec, SelectionSpec, Template, TemplateCatalog, ThresholdSpec

__all__ = ["DEFECTS", "Sample", "generate_samples", "make_photo", "make_signature"]

DEFECTS: tuple[str, ...] = (
    "threshold_consequence_missing",
    "checklist_missing",
    "signature_missing",
    "photo_missing",
    "measurement_wrong_unit",
    "selection_invalid",
    "unknown_template",
)
"""The defects given to invalid samples, in turn; each is the issue code validation reports."""

FLAGGED_SHARE = 0.08
"""Share of samples with one reading out of the usual range (recorded, flagged *hors plage*):
half of them cross a threshold, with what it requires done and commented."""

PARIS = ZoneInfo("Europe/Paris")
FIRST_DAY = dt.date(2024, 1, 1)
LAST_DAY = dt.date(2026, 10, 31)
"""Interventions fall between these days: fixed, so that a seed gives the same dates every year."""

COMPANY_NAME = "Thermi'Clim Services"
"""The maintenance company whose technicians write the samples (fictitious)."""


@dataclass(frozen=True)
class Sample:
    """One generated submission and what validating it must give."""

    payload: dict[str, Any]
    """An ``InterventionReport``-shaped, JSON-ready dict: dates as ISO strings, numbers as
    JSON numbers, photos and signatures inline as ``{"content_base64": ...}``."""

    template_id: str
    """The template the payload was written for. For an ``unknown_template`` defect, the
    template it was written for before its intervention type was changed."""

    expected: Literal["valid", "invalid"]
    """``valid``: parses, has a template, and validates without any issue."""

    defect: str | None
    """For an invalid sample, the one issue code validation reports (see :data:`DEFECTS`)."""

    unfinished: bool
    """``outcome.status`` is ``unfinished``: a reason and a follow-up visit are given, and
    the "after" photos and the signatures may be missing."""


# --------------------------------------------------------------------------- samples


def generate_samples(
    catalog: TemplateCatalog,
    count: int,
    *,
    seed: int = 2026,
    invalid_share: float = 0.15,
    unfinished_share: float = 0.15,
    photo_size: tuple[int, int] = (640, 480),
) -> list[Sample]:
    """``count`` sample submissions covering the catalog's templates in turn.

    ``round(count * invalid_share)`` samples carry one defect each: the defects of
    :data:`DEFECTS` in turn. A template that cannot have the defect whose turn it is (a
    missing photo when it requires none) gets the next one, and the skipped defect goes
    to the next template that can have it. ``round(count * unfinished_share)`` other
    samples are unfinished interventions. Invalid
    samples are completed interventions, so that every defect applies. The same
    arguments give the same samples.

    Raises:
        ValueError: a negative ``count``, a share outside 0..1, shares adding up to more
            than 1, or a photo size below 16 pixels.
        TemplateError: the catalog has no template.
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    for name, share in (("invalid_share", invalid_share), ("unfinished_share", unfinished_share)):
        if not 0 <= share <= 1:
            raise ValueError(f"{name} must be between 0 and 1, got {share}")
    if invalid_share + unfinished_share > 1:
        raise ValueError("invalid_share + unfinished_share must not exceed 1")
    check_photo_size(photo_size)
    templates = list(catalog)
    if count and not templates:
        raise TemplateError("the template catalog is empty; add a template before generating samples")

    rng = random.Random(seed)  # noqa: S311 -- sample data, not secrets
    faker = Faker("fr_FR")
    faker.seed_instance(seed)
    writer = _ReportWriter(rng, faker, photo_size)
    invalid, unfinished = _plan(rng, count, invalid_share, unfinished_share)
    known = {template.key for template in templates}
    samples: list[Sample] = []
    given: Counter[str] = Counter()
    for index in range(count):
        template = templates[index % len(templates)]
        payload = writer.report(template, unfinished=index in unfinished)
        defect = None
        if index in invalid:
            defect = _next_defect(given, template, payload)
            given[defect] += 1
            _inject(rng, defect, payload, template, known)
        samples.append(
            Sample(
                payload=payload,
                template_id=template.id,
                expected="invalid" if defect else "valid",
                defect=defect,
                unfinished=index in unfinished,
            )
        )
    return samples


def _plan(
    rng: random.Random, count: int, invalid_share: float, unfinished_share: float
) -> tuple[set[int], set[int]]:
    """Which indexes are invalid and which unfinished (never both)."""
    order = list(range(count))
    rng.shuffle(order)
    invalid_count = round(count * invalid_share)
    unfinished_count = min(round(count * unfinished_share), count - invalid_count)
    return set(order[:invalid_count]), set(order[invalid_count : invalid_count + unfinished_count])


class _ReportWriter:
    """Writes one report payload at a time from the shared random generators.

    While a report is written, ``ctx`` collects what its free text may quote: the
    client's name, phone and address, the equipment, the readings (``m_<id>``), the part
    replaced... A phrasing is only used when every placeholder it has is known, so the
    texts never mention a reading that was not taken or an e-mail the client has not.
    """

    def __init__(self, rng: random.Random, faker: Any, photo_size: tuple[int, int]) -> None:
        self.rng = rng
        self.faker = faker
        self.photo_size = photo_size
        self.company = {"name": COMPANY_NAME, "siret": re.sub(r"\D", "", faker.siret())}
        numbers = rng.sample(range(100, 1000), 6)
        self.technicians = [
            (f"TECH-{n}", f"{faker.first_name()} {faker.last_name()}", f"{rng.randint(2015, 2025)}-{n:05d}")
            for n in numbers
        ]

    def report(self, template: Template, *, unfinished: bool) -> dict[str, Any]:
        rng = self.rng
        trade = _trade_for(template)
        model = rng.choice(trade.models)
        fault = rng.choice(trade.faults) if trade.faults else None
        day = _intervention_day(rng)
        arrival = dt.datetime(
            day.year, day.month, day.day, rng.randint(7, 16), rng.randrange(60), tzinfo=PARIS
        )
        departure = arrival + dt.timedelta(minutes=rng.randint(60, 240))
        client, ctx = self._client()
        site = self._site(client, ctx)
        equipment = self._equipment(template, model, day, ctx)
        ctx.update(self._technical_context(template, model, fault, day))
        checklist, anomalous = self._checklist(template, ctx, unfinished)
        values = self._measurements(template, trade, model, checklist, unfinished)
        if rng.random() < FLAGGED_SHARE:
            _flag_a_reading(rng, template, values, checklist)
        ctx.update({f"m_{key}": _french_value(value, unit) for key, (value, unit) in values.items()})
        parts, outcome = self._parts_and_outcome(
            trade=trade, model=model, fault=fault, values=values, ctx=ctx, day=day, unfinished=unfinished
        )
        payload: dict[str, Any] = {
            "schema_version": 1,
            "submission_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "company": dict(self.company),
            "client": client,
            **({"site": site} if site else {}),
            "request": self._request(trade, client, day, ctx),
            "equipment": equipment,
            "intervention_type": template.intervention_type,
            "technician": self._technician(trade),
            "arrival": arrival.isoformat(),
            "departure": departure.isoformat(),
            "checklist": checklist,
            "measurements": [
                {"id": key, "value": _json_number(value), "unit": unit}
                for key, (value, unit) in values.items()
            ],
            "selections": self._selections(template, trade, model, fault, anomalous),
            "parts": parts,
            "photos": self._photos(template, ctx, arrival, departure, unfinished),
            "observations": _fill(rng, trade.observations, ctx, _ANY_OBSERVATIONS),
            "outcome": outcome,
        }
        signers = {"client_signature": client["name"], "technician_signature": payload["technician"]["name"]}
        for key, name in signers.items():
            if not unfinished or rng.random() < 0.5:
                signed_at = departure - dt.timedelta(minutes=rng.randint(1, 15))
                image = {"content_base64": _b64(make_signature(rng, name))}
                payload[key] = {"signer_name": name, "signed_at": signed_at.isoformat(), "image": image}
        tags = rng.sample(trade.tags, k=rng.randint(0, min(2, len(trade.tags))))
        if tags:
            payload["tags"] = sorted(tags)
        return payload

    def _request(
        self, trade: _Trade, client: Mapping[str, Any], day: dt.date, ctx: Mapping[str, str]
    ) -> dict[str, str]:
        rng = self.rng
        channel = _weighted(rng, trade.channels)
        # Maintenance contracts are booked weeks ahead; breakdowns are called in days before.
        ahead = rng.randint(15, 90) if channel == "contrat" else rng.randint(1, 45)
        professional = client["kind"] == "professionnel" and rng.random() < 0.7
        phrasings = trade.requests_pro if professional and trade.requests_pro else trade.requests
        description = _fill(rng, phrasings, ctx)
        if re.search(r"\b(appel|appelle)\b", description, re.IGNORECASE):
            channel = "telephone"  # the phrasing says the client called
        return {
            "date": (day - dt.timedelta(days=ahead)).isoformat(),
            "channel": channel,
            "description": description,
        }

    # -- people and places

    def _person(self) -> tuple[str, str, bool]:
        female = self.rng.random() < 0.5
        first = self.faker.first_name_female() if female else self.faker.first_name_male()
        return first, self.faker.last_name(), female

    def _address(self) -> dict[str, str]:
        return {
            "street": self.faker.street_address(),
            "postal_code": self.faker.postcode(),
            "city": self.faker.city(),
            "country": "FR",
        }

    def _client(self) -> tuple[dict[str, Any], dict[str, str]]:
        rng = self.rng
        first, last, female = self._person()
        address = self._address()
        ctx = {
            "first_name": first,
            "last_name": last,
            "full_name": f"{first} {last}",
            "civ_name": f"{'Mme' if female else 'M.'} {last}",
            "e": "e" if female else "",
            "street": address["street"],
            "postal_code": address["postal_code"],
            "city": address["city"],
        }
        _, other_last, other_female = self._person()
        ctx["other_civ"] = f"{'Mme' if other_female else 'M.'} {other_last}"
        ctx["other_phone"] = _phone(rng, mobile=True)
        client: dict[str, Any] = {"kind": "particulier", "name": ctx["full_name"], "address": address}
        if rng.random() < 0.3:
            company = self.faker.company()
            client.update(kind="professionnel", company_name=company)
            ctx.update(
                company_name=company,
                contact=ctx["civ_name"],
                client_siret=_spaced_siret(re.sub(r"\D", "", self.faker.siret())),
            )
            client["phone"] = _phone(rng, mobile=rng.random() < 0.4)
            local = rng.choice(("contact", "accueil", _mail_local(rng, first, last)))
            client["email"] = f"{local}@{_slug(company)}.fr"
        else:
            client["phone"] = _phone(rng, mobile=rng.random() < 0.85)
            if rng.random() < 0.85:
                client["email"] = f"{_mail_local(rng, first, last)}@{rng.choice(_MAIL_DOMAINS)}"
        ctx["phone"] = client["phone"]
        if "email" in client:
            ctx["email"] = client["email"]
        return client, ctx

    def _site(self, client: Mapping[str, Any], ctx: dict[str, str]) -> dict[str, Any] | None:
        rng = self.rng
        professional = client["kind"] == "professionnel"
        site: dict[str, Any] = {}
        if rng.random() < (0.6 if professional else 0.2):
            if professional:
                site["name"] = rng.choice(
                    (
                        f"Agence de {self.faker.city()}",
                        f"Résidence {rng.choice(_RESIDENCES)}",
                        f"Entrepôt {client['company_name']}",
                    )
                )
            elif rng.random() < 0.5:
                site["name"] = f"Résidence {rng.choice(_RESIDENCES)}"
            site["address"] = self._address()
        if rng.random() < 0.4:
            ctx.update(
                gate_code=f"{rng.randint(1000, 9999)}{rng.choice('ABCDX')}",
                floor=str(rng.randint(1, 8)),
                side=rng.choice(("gauche", "droite", "fond du couloir")),
            )
            site["access_notes"] = _fill(rng, _ACCESS_NOTES, ctx)
        return site or None

    def _technician(self, trade: _Trade) -> dict[str, Any]:
        tech_id, name, number = self.rng.choice(self.technicians)
        technician: dict[str, Any] = {"id": tech_id, "name": name}
        if trade.certification:
            technician["certification"] = trade.certification.format(number=number)
        return technician

    # -- the equipment and what was done

    def _equipment(
        self, template: Template, model: _Model, day: dt.date, ctx: dict[str, str]
    ) -> dict[str, Any]:
        rng = self.rng
        low, high = model.years
        year = (
            day.year
            if template.intervention_type == "mise_en_service"
            else rng.randint(low, min(high, day.year))
        )
        equipment: dict[str, Any] = {
            "category": template.equipment_category,
            "brand": model.brand,
            "model": model.model,
            "installed_year": year,
        }
        ctx.update(brand=model.brand, model=model.model, year=str(year), title=template.title.lower())
        if model.serial is not None:
            equipment["serial_number"] = ctx["serial"] = _from_pattern(rng, model.serial)
        elif rng.random() < 0.3:
            del equipment["installed_year"]
        return equipment

    def _technical_context(
        self, template: Template, model: _Model, fault: _Fault | None, day: dt.date
    ) -> dict[str, str]:
        rng = self.rng
        ctx = {
            "contract": f"CT-{day.year}-{rng.randint(1, 9999):04d}",
            "quote": f"DEV-{day.year}-{rng.randint(1, 9999):04d}",
            "length": str(rng.choice((3, 4, 5, 7, 10, 12))),
            "count": str(rng.randint(2, 25)),
        }
        if model.refrigerant:
            ctx["refrigerant"] = model.refrigerant
        if fault is not None:
            ctx.update(
                code=model.fault_codes.get(fault.kind, "E1"), symptom=fault.symptom, fault=fault.diagnosis
            )
        if any(spec.id == "fluide" for spec in template.selections) and "refrigerant" not in ctx:
            ctx["refrigerant"] = "R32"
        return ctx

    def _checklist(
        self, template: Template, ctx: dict[str, str], unfinished: bool
    ) -> tuple[list[dict[str, Any]], set[str]]:
        rng = self.rng
        stop = rng.randint(1, max(1, len(template.checklist) - 1)) if unfinished else len(template.checklist)
        items: list[dict[str, Any]] = []
        anomalous: set[str] = set()
        consequences = _consequence_items(template)
        for position, spec in enumerate(template.checklist):
            if spec.id in consequences:
                continue  # ticked only when a reading calls for it (see _flag_a_reading)
            if not spec.required and rng.random() < 0.4:
                continue
            item: dict[str, Any] = {"id": spec.id, "status": "fait"}
            if position >= stop:
                item["status"] = "non_fait"
            elif not spec.required and rng.random() < 0.3:
                item["status"] = "non_applicable"
            elif rng.random() < 0.07:
                item["status"] = "anomalie"
                item["comment"] = _fill(rng, _ANOMALIES.get(spec.id, ()), ctx, _ANY_ANOMALY)
                anomalous.add(spec.id)
            items.append(item)
        if anomalous and "anomaly" not in ctx:
            first = next(i for i in items if i["status"] == "anomalie")
            ctx["anomaly"] = first["comment"]
        return items, anomalous

    def _measurements(
        self,
        template: Template,
        trade: _Trade,
        model: _Model,
        checklist: list[dict[str, Any]],
        unfinished: bool,
    ) -> dict[str, tuple[Decimal, str]]:
        rng = self.rng
        values: dict[str, Decimal] = {}
        for spec in template.measurements:
            if (not spec.required and rng.random() < 0.4) or (unfinished and rng.random() < 0.3):
                continue
            typical = model.typical.get(spec.id) or trade.typical.get(spec.id)
            values[spec.id] = _typical_value(rng, spec, typical)
        done = {item["id"] for item in checklist if item["status"] == "fait"}
        # Readings that depend on each other: the return is colder than the flow, and
        # the charge added for long pipes is part of the total charge.
        if "temperature_depart" in values and "temperature_retour" in values:
            values["temperature_retour"] = values["temperature_depart"] - Decimal(rng.randint(30, 80)) / 10
        if "quantite_chargee" in values:
            added = Decimal(rng.randint(5, 45)) / 100 if "charge_complementaire" in done else Decimal(0)
            values["quantite_chargee"] = added
            if "charge_totale" in values:
                values["charge_totale"] += added
        units = {spec.id: spec for spec in template.measurements}
        return {key: (_clamp(value, units[key]), units[key].unit) for key, value in values.items()}

    def _selections(
        self, template: Template, trade: _Trade, model: _Model, fault: _Fault | None, anomalous: set[str]
    ) -> dict[str, str]:
        rng = self.rng
        forced = dict(model.prefer)
        if model.refrigerant:
            forced["fluide"] = model.refrigerant
        if fault is not None:
            forced["cause_panne"] = fault.cause
        selections: dict[str, str] = {}
        for spec in template.selections:
            if not spec.required and rng.random() < 0.3:
                continue
            weights = trade.prefer_if_anomaly.get(spec.id) if anomalous else None
            selections[spec.id] = _choose(
                rng, spec, forced.get(spec.id), weights or trade.prefer.get(spec.id)
            )
        return selections

    def _parts_and_outcome(
        self,
        *,
        trade: _Trade,
        model: _Model,
        fault: _Fault | None,
        values: Mapping[str, tuple[Decimal, str]],
        ctx: dict[str, str],
        day: dt.date,
        unfinished: bool,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        rng = self.rng
        used: list[dict[str, Any]] = []
        if fault is not None and fault.part is not None and not unfinished:
            used.append(self._part(model, fault.part))
        elif trade.parts and rng.random() < 0.4:
            used += [self._part(model, part) for part in rng.sample(trade.parts, k=rng.randint(1, 2))]
        added = values.get("quantite_chargee", (Decimal(0), "kg"))[0]
        if added > 0 and "refrigerant" in ctx:
            used.append(
                {
                    "reference": ctx["refrigerant"],
                    "label": f"Fluide frigorigène {ctx['refrigerant']}",
                    "quantity": _json_number(added),
                    "unit": "kg",
                }
            )
        if used:
            ctx.update(part=_in_sentence(used[0]["label"]), part_ref=used[0]["reference"])
        if not unfinished:
            return used, {"status": "completed"}
        plan = rng.choice(trade.unfinished)
        to_order: list[dict[str, Any]] = []
        if plan.orders_part or rng.random() < 0.2:
            wanted = fault.part if fault is not None and fault.part else rng.choice(trade.parts)
            to_order.append(self._part(model, wanted))
            ctx.update(part=_in_sentence(wanted.label), part_ref=to_order[0]["reference"])
        next_day = _working_day(day + dt.timedelta(days=rng.randint(3, 28)))
        reschedule: dict[str, Any] = {
            "preferred_date": next_day.isoformat(),
            "notes": _fill(rng, (plan.notes,), ctx),
        }
        if to_order:
            reschedule["parts_to_order"] = to_order
        return used, {
            "status": "unfinished",
            "reason": _fill(rng, (plan.reason,), ctx),
            "reschedule": reschedule,
        }

    def _part(self, model: _Model, part: _Part) -> dict[str, Any]:
        low, high = part.quantity
        quantity = Decimal(1) if low == high else Decimal(self.rng.randint(int(low * 2), int(high * 2))) / 2
        return {
            "reference": _part_reference(model, part),
            "label": part.label,
            "quantity": _json_number(quantity),
            "unit": part.unit,
        }

    def _photos(
        self,
        template: Template,
        ctx: Mapping[str, str],
        arrival: dt.datetime,
        departure: dt.datetime,
        unfinished: bool,
    ) -> list[dict[str, Any]]:
        rng = self.rng
        wanted = [
            (need.kind, need.label)
            for need in template.photos
            for _ in range(need.min_count)
            if not (unfinished and need.kind == "after" and rng.random() < 0.6)
        ]
        if rng.random() < 0.25:
            wanted.append(("other", rng.choice(_OTHER_PHOTOS)))
        photos = []
        for kind, label in wanted:
            if kind == "before":
                taken = arrival + dt.timedelta(minutes=rng.randint(2, 20))
            elif kind == "after":
                taken = departure - dt.timedelta(minutes=rng.randint(5, 30))
            else:
                taken = arrival + (departure - arrival) * rng.random()
            photo: dict[str, Any] = {"kind": kind}
            caption = rng.choice(
                (label, label, f"{label} - chez {ctx['civ_name']}", f"{ctx['brand']} {ctx['model']}", None)
            )
            if caption:
                photo["caption"] = caption[:200]
            jpeg = make_photo(rng, label=label, size=self.photo_size, taken_at=taken.replace(microsecond=0))
            photo["image"] = {"content_base64": _b64(jpeg)}
            photos.append(photo)
        return photos


# --------------------------------------------------------------------------- defects


def _next_defect(given: Counter[str], template: Template, payload: Mapping[str, Any]) -> str:
    """The defect given least so far among those this template can have (in turn when all apply)."""
    possible = [defect for defect in DEFECTS if _applies(defect, template, payload)]
    # ``unknown_template`` always applies, so ``possible`` is never empty.
    return min(possible, key=lambda defect: (given[defect], DEFECTS.index(defect)))


def _applies(defect: str, template: Template, payload: Mapping[str, Any]) -> bool:
    if defect == "threshold_consequence_missing":
        return any(_has_thresholds(template.measurement(m["id"])) for m in payload["measurements"])
    if defect == "checklist_missing":
        return any(spec.required for spec in template.checklist)
    if defect == "photo_missing":
        return bool(template.photos)
    if defect == "measurement_wrong_unit":
        return bool(payload["measurements"])
    if defect == "selection_invalid":
        return bool(payload["selections"])
    return True


def _has_thresholds(spec: MeasurementSpec | None) -> bool:
    return spec is not None and bool(spec.thresholds)


def _consequence_items(template: Template) -> set[str]:
    """Checklist items a threshold requires: done only when a reading crosses it."""
    return {r.item for m in template.measurements for t in m.thresholds for r in t.requires}


def _beyond(threshold: ThresholdSpec) -> Decimal:
    """A reading that crosses ``threshold`` the way a real one does (62 ppm of CO, 0.2 MΩ)."""
    if threshold.above is not None:
        return (threshold.above * Decimal("1.25") + 1).quantize(Decimal(1))
    assert threshold.below is not None
    return (threshold.below / 2).quantize(Decimal("0.01")) if threshold.below > 0 else threshold.below - 1


_CONSEQUENCE_COMMENTS = (
    "Relevé {value} {unit} : {label}. Occupant informé du danger et conseillé, remise en service "
    "après réparation uniquement.",
    "{value} {unit} mesuré. {label} : fait devant l'occupant, consignes données par écrit.",
)


def _flag_a_reading(
    rng: random.Random,
    template: Template,
    values: dict[str, tuple[Decimal, str]],
    checklist: list[dict[str, Any]],
) -> None:
    """Push one reading out of its usual range, as the field sometimes does; when it crosses a
    threshold, the technician did and wrote down what the threshold requires."""
    bounded = [spec for spec in template.measurements if spec.id in values and spec.max is not None]
    # Readings that others follow (a return temperature, a total charge) stay as they are.
    with_thresholds = [spec for spec in bounded if spec.thresholds]
    if not with_thresholds:
        return
    spec = rng.choice(with_thresholds)
    assert spec.max is not None
    if spec.thresholds and rng.random() < 0.5:
        value = _beyond(rng.choice(spec.thresholds))
    else:
        value = spec.max + max(Decimal(1), (spec.max * Decimal("0.1")).quantize(Decimal(1)))
    values[spec.id] = (value, spec.unit)
    judgement = judge_reading(Measurement(id=spec.id, value=value, unit=spec.unit), template)
    for threshold in judgement.crossed:
        for requirement in threshold.requires:
            item = template.checklist_item(requirement.item)
            label = item.label if item else requirement.item
            comment = rng.choice(_CONSEQUENCE_COMMENTS).format(
                value=_french_value(value, spec.unit).removesuffix(f" {spec.unit}"),
                unit=spec.unit,
                label=label.split(" (")[0],
            )
            checklist[:] = [i for i in checklist if i["id"] != requirement.item]
            checklist.append({"id": requirement.item, "status": "fait", "comment": comment})


def _inject(
    rng: random.Random, defect: str, payload: dict[str, Any], template: Template, known: set[tuple[str, str]]
) -> None:
    """Give ``payload`` the one ``defect``: exactly what a hurried technician gets wrong."""
    if defect == "threshold_consequence_missing":
        # The reading is written down, what it calls for is not (no shutdown, no advice).
        measured = rng.choice(
            [m for m in payload["measurements"] if _has_thresholds(template.measurement(m["id"]))]
        )
        spec = template.measurement(measured["id"])
        assert spec is not None
        threshold = rng.choice(spec.thresholds)
        measured["value"] = _json_number(_beyond(threshold))
        dropped = {r.item for r in threshold.requires}
        payload["checklist"] = [item for item in payload["checklist"] if item["id"] not in dropped]
    elif defect == "checklist_missing":
        required = {spec.id for spec in template.checklist if spec.required}
        dropped = rng.choice([item for item in payload["checklist"] if item["id"] in required])
        payload["checklist"].remove(dropped)
    elif defect == "signature_missing":
        signatures = ["technician_signature"] + (
            ["client_signature"] if template.client_signature_required else []
        )
        del payload[rng.choice(signatures)]
    elif defect == "photo_missing":
        kind = rng.choice(template.photos).kind
        payload["photos"] = [photo for photo in payload["photos"] if photo["kind"] != kind]
    elif defect == "measurement_wrong_unit":
        measured = rng.choice(payload["measurements"])
        unit, factor, offset = _WRONG_UNITS.get(
            measured["unit"], ("u" if measured["unit"] != "u" else "unité", Decimal(1), Decimal(0))
        )
        measured["value"] = _json_number(
            (Decimal(str(measured["value"])) * factor + offset).quantize(Decimal("0.01"))
        )
        measured["unit"] = unit
    elif defect == "selection_invalid":
        key = rng.choice(sorted(payload["selections"]))
        choice = template.selection(key)
        assert choice is not None
        payload["selections"][key] = _misspelled(rng, payload["selections"][key], choice)
    else:
        category = template.equipment_category
        unknown = [kind for kind in _UNKNOWN_TYPES if (category, kind) not in known]
        payload["intervention_type"] = rng.choice(unknown) if unknown else "visite_technique_2"


def _misspelled(rng: random.Random, value: str, spec: SelectionSpec) -> str:
    """How a choice gets typed when the form is filled outside the app."""
    attempts = (value.lower(), ascii_fold(value), value.replace(" ", ""), f"{value[:6]}.", f"Autre ({value})")
    wrong = [attempt for attempt in attempts if attempt.strip() and attempt not in spec.choices]
    return rng.choice(wrong)


# --------------------------------------------------------------------------- values and text


def _intervention_day(rng: random.Random) -> dt.date:
    day = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    # No interventions on Sundays; Saturday is still a working day for maintenance.
    return day - dt.timedelta(days=1) if day.weekday() == 6 else day


def _working_day(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1) if day.weekday() == 6 else day


def _typical_value(rng: random.Random, spec: MeasurementSpec, typical: _Range | None) -> Decimal:
    """A plausible reading within the template's range."""
    if typical is not None and typical.values:
        return _clamp(Decimal(str(rng.choice(typical.values))), spec)
    decimals = typical.decimals if typical else 1
    low = Decimal(str(typical.low)) if typical else spec.min if spec.min is not None else Decimal(0)
    high = Decimal(str(typical.high)) if typical else spec.max if spec.max is not None else low + 100
    if spec.min is not None:
        low, high = max(low, spec.min), max(high, spec.min)
    if spec.max is not None:
        low, high = min(low, spec.max), min(high, spec.max)
    step = Decimal(1).scaleb(-decimals)
    first = (low / step).to_integral_value(ROUND_CEILING)
    last = (high / step).to_integral_value(ROUND_FLOOR)
    if first > last:
        return _clamp(low, spec)
    return _clamp(Decimal(rng.randint(int(first), int(last))) * step, spec)


def _clamp(value: Decimal, spec: MeasurementSpec) -> Decimal:
    if spec.min is not None and value < spec.min:
        return spec.min
    if spec.max is not None and value > spec.max:
        return spec.max
    return value


def _choose(
    rng: random.Random, spec: SelectionSpec, forced: str | None, weights: Sequence[tuple[str, int]] | None
) -> str:
    if forced in spec.choices:
        return forced
    usable = [(choice, weight) for choice, weight in weights or () if choice in spec.choices]
    return _weighted(rng, usable) if usable else rng.choice(spec.choices)


def _weighted(rng: random.Random, options: Sequence[tuple[str, int]]) -> str:
    return rng.choices([option for option, _ in options], weights=[weight for _, weight in options])[0]


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _french_value(value: Decimal, unit: str) -> str:
    """``1.5`` bar → ``1,5 bar``: how a French technician writes a reading."""
    return f"{format(value.normalize(), 'f').replace('.', ',')} {unit}"


@cache
def _fields(text: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def _fill(
    rng: random.Random, phrasings: Sequence[str], ctx: Mapping[str, str], fallbacks: Sequence[str] = ()
) -> str:
    """One of ``phrasings`` whose every placeholder is known, filled in.

    ``fallbacks`` are used when no phrasing can be filled, and now and then anyway.
    """
    usable = [text for text in phrasings if _fields(text) <= ctx.keys()]
    if not usable or rng.random() < 0.1:
        usable += [text for text in fallbacks if _fields(text) <= ctx.keys()]
    if not usable:
        # Only reached when a placeholder is missing from every phrasing: say which.
        missing = sorted(set().union(*(_fields(text) for text in phrasings)) - ctx.keys())
        raise KeyError(f"no phrasing can be filled; unknown: {', '.join(missing)}")
    return re.sub(r"\s+", " ", rng.choice(usable).format_map(ctx)).strip()


def _in_sentence(label: str) -> str:
    """``Disjoncteur 20 A`` → ``disjoncteur 20 A``: a label inside a sentence."""
    return label[:1].lower() + label[1:]


def _from_pattern(rng: random.Random, pattern: str) -> str:
    return "".join(
        str(rng.randrange(10)) if c == "#" else rng.choice(string.ascii_uppercase) if c == "@" else c
        for c in pattern
    )


def _part_reference(model: _Model, part: _Part) -> str:
    """The reference of a part: the same part of the same brand always has the same one."""
    known = _KNOWN_REFERENCES.get((model.brand, part.label))
    if known:
        return known
    pattern = part.reference or model.part_ref
    return _from_pattern(random.Random(f"{model.brand}|{part.label}"), pattern)  # noqa: S311


def _phone(rng: random.Random, *, mobile: bool) -> str:
    first = rng.choice("67") if mobile else rng.choice("12345")
    digits = f"{first}{rng.randrange(10**8):08d}"
    pairs = [digits[i : i + 2] for i in range(1, 9, 2)]
    return rng.choice(
        (
            f"0{first} {' '.join(pairs)}",
            f"0{first}.{'.'.join(pairs)}",
            f"0{digits}",
            f"+33 {first} {' '.join(pairs)}",
            f"+33{digits}",
        )
    )


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", ascii_fold(text).lower().replace(".", ""))
    return "-".join(w for w in words if w not in {"sa", "sarl", "sas", "eurl", "snc"}) or "entreprise"


def _mail_local(rng: random.Random, first: str, last: str) -> str:
    first, last = _slug(first).replace("-", ""), _slug(last).replace("-", "")
    return rng.choice(
        (f"{first}.{last}", f"{first[0]}{last}", f"{last}.{first}", f"{first}.{last}{rng.randint(1, 99)}")
    )


def _spaced_siret(digits: str) -> str:
    return f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
