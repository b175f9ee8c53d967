"""The company a report names: always the configured identity, never what a client typed.

:func:`report_company` turns the identity kept by :mod:`storage.company` into the report's
:class:`~reports.schema.Company`; :func:`with_company` puts it into a submission before
the submission is read, replacing any ``company`` it carries.
"""

from __future__ import annotations

from typing import Any

from reports.schema import Company
from storage.company import CompanyIdentity

__all__ = ["report_company", "with_company"]


def report_company(identity: CompanyIdentity) -> Company:
    """What a report records of the company (its identity as at capture)."""
    return Company(
        name=identity.name,
        siret=identity.siret,
        legal_form=identity.legal_form,
        address=identity.address,
        phone=identity.phone,
        attestation=identity.attestation,
        logo_sha256=identity.logo_sha256,
    )


def with_company(payload: dict[str, Any], company: Company) -> dict[str, Any]:
    """``payload`` with ``company`` set by the server (what the client sent is dropped)."""
    return {**payload, "company": company.model_dump(mode="json", exclude_none=True)}
