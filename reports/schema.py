"""The intervention report as submitted by a technician or a back office.

This is the trust boundary of capture: every submission is parsed into
:class:`InterventionReport` (pydantic v2, unknown keys refused). The JSON Schema
published in ``docs/report.schema.json`` is generated from these models.

Every field that can hold personal data carries ``x-personal-data`` in its JSON
Schema, with one of the categories of :data:`PersonalDataCategory`. The redaction,
encryption and data-subject features rely on this marking, never on guesswork:
:func:`personal_data_fields` lists the marked paths.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from storage.identifiers import personal_identifier_kind

__all__ = [
    "SCHEMA_VERSION",
    "Address",
    "Attachment",
    "ChecklistItem",
    "ChecklistStatus",
    "Client",
    "ClientRequest",
    "Company",
    "Equipment",
    "InterventionReport",
    "Measurement",
    "Outcome",
    "PartUsed",
    "PersonalDataCategory",
    "Photo",
    "RescheduleRequest",
    "Signature",
    "Site",
    "SubmissionId",
    "Technician",
    "personal_data_fields",
]

SCHEMA_VERSION = 1
PARIS = ZoneInfo("Europe/Paris")

PersonalDataCategory = Literal["identity", "contact", "location", "free_text", "image", "signature"]
"""``identity``: a name; ``contact``: phone or e-mail; ``location``: an address;
``free_text``: text a person typed, which may contain anything; ``image``: a photo;
``signature``: a drawn signature."""

ChecklistStatus = Literal["fait", "non_fait", "non_applicable", "anomalie"]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _not_personal(value: str) -> str:
    """An identifier stored in clear (``reports.submission_id``) is never a phone number."""
    shape = personal_identifier_kind(value)
    if shape is not None:
        raise ValueError(f"looks like {shape}: use an identifier of your own, such as a new UUID")
    return value


SubmissionId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$"), AfterValidator(_not_personal)
]
ReportNumber = Annotated[str, StringConstraints(pattern=r"^RI-\d{4}-\d{6,8}$")]
"""A readable report number, spelt as ``storage.report_numbers.NUMBER_PATTERN`` says (without its
group names, which JSON Schema does not read): an identifier, not personal data."""
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]


def _personal(category: PersonalDataCategory, description: str, **kwargs: Any) -> Any:
    """A pydantic ``Field`` marked as holding personal data of ``category``."""
    assert category in get_args(PersonalDataCategory)
    return Field(description=description, json_schema_extra={"x-personal-data": category}, **kwargs)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Company(_Model):
    """The maintenance company that performed the intervention: company data, not personal data.

    Set by the server from the company's configured identity (``quitus company set``); a value
    a client sends is replaced (:mod:`reports.company`)."""

    name: Text = Field(description="Trade name of the company.")
    siret: Annotated[str, StringConstraints(pattern=r"^\d{14}$")] | None = Field(
        default=None, description="SIRET of the establishment (14 digits, no spaces)."
    )
    legal_form: Text | None = Field(default=None, description="Legal form, e.g. 'SARL', 'SAS'.")
    address: Text | None = Field(default=None, description="Postal address of the establishment, one line.")
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 .()-]{6,25}$")] | None = Field(
        default=None, description="The company's phone number."
    )
    attestation: Text | None = Field(
        default=None, description="Number of the attestation de capacité (refrigerant handling)."
    )
    logo_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None, description="SHA-256 of the company logo printed on the report (kept by the server)."
    )


class Address(_Model):
    """A postal address."""

    street: Text = _personal("location", "Number and street, e.g. '12 rue des Lilas'.")
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z -]{4,10}$")] = _personal(
        "location", "Postal code (5 digits in France)."
    )
    city: Text = _personal("location", "City.")
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        default="FR", description="ISO 3166-1 alpha-2 country code."
    )


class Client(_Model):
    """Who asked for the intervention."""

    kind: Literal["particulier", "professionnel"] = Field(description="Private person or business.")
    name: Text = _personal("identity", "Full name of the client or of the contact person.")
    company_name: Text | None = _personal(
        "identity", "Business name for a professional client (may name a sole trader).", default=None
    )
    address: Address = _personal("location", "Billing address.")
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 .()-]{6,25}$")] | None = _personal(
        "contact", "Phone number.", default=None
    )
    email: EmailStr | None = _personal("contact", "E-mail address.", default=None)


class Site(_Model):
    """Where the equipment is, when it is not the client's address."""

    name: Text | None = _personal("location", "Name of the site, e.g. a residence.", default=None)
    address: Address | None = _personal("location", "Site address.", default=None)
    access_notes: LongText | None = _personal(
        "free_text", "How to get in (codes, keys, who to ask).", default=None
    )


class ClientRequest(_Model):
    """The client's request that led to the intervention."""

    date: dt.date = Field(description="Day the request was received.")
    channel: Literal["telephone", "email", "portail", "sur_site", "contrat"] = Field(
        description="How the request arrived; 'contrat' for scheduled maintenance."
    )
    description: LongText = _personal("free_text", "The request in the client's words.")


class Equipment(_Model):
    """The equipment worked on. Technical data, never personal."""

    category: Slug = Field(description="Template category, e.g. 'chaudiere_gaz'.")
    brand: Text = Field(description="Manufacturer, e.g. 'Saunier Duval'.")
    model: Text = Field(description="Model name, e.g. 'ThemaPlus Condens F25'.")
    serial_number: Text | None = Field(default=None, description="Manufacturer serial number.")
    installed_year: int | None = Field(default=None, ge=1950, le=2100)


class Technician(_Model):
    """The technician who performed the intervention."""

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = Field(
        description="Employee identifier (not personal on its own)."
    )
    name: Text = _personal("identity", "Technician's full name.")
    certification: Text | None = Field(
        default=None, description="Certificate number, e.g. attestation de capacité (fluides)."
    )


class ChecklistItem(_Model):
    """One checklist item of the template and what was done."""

    id: Slug = Field(description="Item id from the template.")
    status: ChecklistStatus
    comment: LongText | None = _personal("free_text", "Technician's comment.", default=None)


class Measurement(_Model):
    """A measured value with its unit."""

    id: Slug = Field(description="Measurement id from the template.")
    value: Decimal = Field(description="Measured value.", allow_inf_nan=False)
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]


class PartUsed(_Model):
    """A part or material used."""

    reference: Text = Field(description="Part or article reference.")
    label: Text = Field(description="What it is.")
    quantity: Decimal = Field(gt=0, allow_inf_nan=False)
    unit: Literal["u", "m", "m2", "kg", "g", "L", "h"] = "u"


class Attachment(_Model):
    """A binary file: a path relative to the submission, inline base64, or a stored blob.

    Exactly one of the three is set. After capture, quitus replaces ``file`` and
    ``content_base64`` by ``blob_id``: the sanitized image stored encrypted.
    """

    file: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    content_base64: str | None = None
    blob_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,80}$")] | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> Attachment:
        given = [n for n in ("file", "content_base64", "blob_id") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'file', 'content_base64' or 'blob_id'")
        return self


class Photo(_Model):
    """A photo taken during the intervention."""

    kind: Literal["before", "after", "other"]
    caption: Text | None = _personal("free_text", "Caption typed by the technician.", default=None)
    image: Attachment = _personal("image", "The photo (JPEG or PNG).")


class Signature(_Model):
    """A drawn signature with who signed and when."""

    signer_name: Text = _personal("identity", "Name of the person who signed.")
    signed_at: dt.datetime
    image: Attachment = _personal("signature", "The drawn signature (PNG or JPEG).")

    @field_validator("signed_at")
    @classmethod
    def _paris_when_naive(cls, value: dt.datetime) -> dt.datetime:
        return _aware(value)


class RescheduleRequest(_Model):
    """The follow-up visit asked for when an intervention is unfinished."""

    preferred_date: dt.date | None = None
    notes: LongText | None = _personal("free_text", "What the next visit needs.", default=None)
    parts_to_order: list[PartUsed] = Field(default_factory=list)


class Outcome(_Model):
    """How the intervention ended."""

    status: Literal["completed", "unfinished"]
    reason: LongText | None = _personal("free_text", "Why it is unfinished.", default=None)
    reschedule: RescheduleRequest | None = None

    @model_validator(mode="after")
    def _unfinished_needs_reason(self) -> Outcome:
        if self.status == "unfinished" and (self.reason is None or self.reschedule is None):
            raise ValueError("an unfinished intervention needs a 'reason' and a 'reschedule' request")
        if self.status == "completed" and self.reschedule is not None:
            raise ValueError("a completed intervention cannot carry a 'reschedule' request")
        return self


def _company_filled_by_the_server(schema: dict[str, Any]) -> None:
    """The published schema is the submission format: ``company`` is not the client's to send
    (:mod:`reports.company` sets it before the report is read), so it is not required there;
    ``readOnly`` says that a value sent is replaced. A report as stored always has it."""
    schema["required"] = [name for name in schema.get("required", []) if name != "company"]
    schema["properties"]["company"]["readOnly"] = True


class InterventionReport(_Model):
    """A technician's intervention report (*rapport d'intervention*), as submitted."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_company_filled_by_the_server)

    schema_version: Literal[1] = 1
    submission_id: SubmissionId = Field(
        description="The sender's idempotency key: resubmitting the same id never creates a second report."
    )
    company: Company = Field(
        description="Set by the server from the company's configured identity; a value sent is replaced."
    )
    client: Client
    site: Site | None = None
    request: ClientRequest
    equipment: Equipment
    intervention_type: Slug = Field(description="Template intervention type, e.g. 'entretien_annuel'.")
    continues: ReportNumber | None = Field(
        default=None,
        description="The number of the unfinished report this one continues (a planned follow-up "
        "visit), e.g. 'RI-2026-000123'; the PDF says 'suite de l'intervention RI-2026-000123'.",
    )
    technician: Technician
    team: list[Technician] = Field(
        default_factory=list,
        max_length=3,
        description="The other technicians who worked on the intervention (at most 3; `technician` "
        "leads and signs). Their ids are their quitus handles when they have an account: the report is "
        "then theirs too (their *Mes rapports*).",
    )
    arrival: dt.datetime = Field(description="Arrival on site (Europe/Paris when no offset is given).")
    departure: dt.datetime = Field(description="Departure from site.")
    checklist: list[ChecklistItem] = Field(default_factory=list)
    measurements: list[Measurement] = Field(default_factory=list)
    selections: dict[Slug, Text] = Field(
        default_factory=dict, description="Answers to the template's dropdowns, by id."
    )
    parts: list[PartUsed] = Field(default_factory=list)
    photos: list[Photo] = Field(default_factory=list, max_length=60)
    observations: LongText | None = _personal("free_text", "Technician's observations.", default=None)
    outcome: Outcome
    client_signature: Signature | None = None
    technician_signature: Signature | None = None
    tags: list[Slug] = Field(default_factory=list, max_length=20)

    @field_validator("arrival", "departure")
    @classmethod
    def _paris_when_naive(cls, value: dt.datetime) -> dt.datetime:
        return _aware(value)

    @model_validator(mode="after")
    def _departure_after_arrival(self) -> InterventionReport:
        if self.departure < self.arrival:
            raise ValueError("'departure' is before 'arrival'")
        return self

    @property
    def intervention_date(self) -> dt.date:
        """The day of the intervention, in Europe/Paris."""
        return self.arrival.astimezone(PARIS).date()

    @property
    def template_key(self) -> tuple[str, str]:
        """(equipment category, intervention type): selects the template."""
        return (self.equipment.category, self.intervention_type)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=PARIS) if value.tzinfo is None else value


def personal_data_fields(model: type[BaseModel] = InterventionReport) -> dict[str, PersonalDataCategory]:
    """Every field path marked as personal data, with its category.

    Paths use ``[]`` for list items, e.g. ``photos[].caption``. A marked field whose
    type is itself a model (``client.address``) is listed along with its own fields.
    """
    found: dict[str, PersonalDataCategory] = {}

    def walk(current: type[BaseModel], prefix: str) -> None:
        for name, info in current.model_fields.items():
            path = f"{prefix}{name}"
            extra = info.json_schema_extra
            if isinstance(extra, dict) and "x-personal-data" in extra:
                found[path] = extra["x-personal-data"]  # type: ignore[assignment]
            for nested, is_list in _nested_models(info.annotation):
                walk(nested, f"{path}[]." if is_list else f"{path}.")

    walk(model, "")
    return found


def _nested_models(annotation: Any) -> list[tuple[type[BaseModel], bool]]:
    """The model types inside an annotation, and whether each sits in a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, False)]
    origin = getattr(annotation, "__origin__", None)
    result: list[tuple[type[BaseModel], bool]] = []
    for arg in get_args(annotation):
        for nested, in_list in _nested_models(arg):
            result.append((nested, in_list or origin is list))
    return result
