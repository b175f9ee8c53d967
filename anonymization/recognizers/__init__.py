"""French recognizers, registered explicitly (never discovered by subclass scanning)."""

from __future__ import annotations

from anonymization.recognizers.access import AccessCodeRecognizer
from anonymization.recognizers.base import FrenchRecognizer, PresidioBridge
from anonymization.recognizers.contact import EmailRecognizer, IpAddressRecognizer, PhoneRecognizer
from anonymization.recognizers.devices import ImeiRecognizer, MacAddressRecognizer
from anonymization.recognizers.geo import GpsRecognizer
from anonymization.recognizers.identifiers import (
    IbanRecognizer,
    NirRecognizer,
    PaymentCardRecognizer,
    SirenSiretRecognizer,
)
from anonymization.recognizers.people import (
    AnyCaseNameRecognizer,
    CivilityNameRecognizer,
    CompanyNameRecognizer,
    CueNameRecognizer,
    DateOfBirthRecognizer,
    NerRecognizer,
    UpperCaseNameRecognizer,
)
from anonymization.recognizers.places import AddressRecognizer
from anonymization.recognizers.plates import LicensePlateRecognizer
from anonymization.recognizers.spoken import SpokenNumberRecognizer

__all__ = [
    "AccessCodeRecognizer",
    "AddressRecognizer",
    "AnyCaseNameRecognizer",
    "CivilityNameRecognizer",
    "CompanyNameRecognizer",
    "CueNameRecognizer",
    "DateOfBirthRecognizer",
    "EmailRecognizer",
    "FrenchRecognizer",
    "GpsRecognizer",
    "IbanRecognizer",
    "ImeiRecognizer",
    "IpAddressRecognizer",
    "LicensePlateRecognizer",
    "MacAddressRecognizer",
    "NerRecognizer",
    "NirRecognizer",
    "PaymentCardRecognizer",
    "PhoneRecognizer",
    "PresidioBridge",
    "SirenSiretRecognizer",
    "SpokenNumberRecognizer",
    "UpperCaseNameRecognizer",
    "default_recognizers",
]


def default_recognizers() -> list[FrenchRecognizer]:
    """Every recognizer quitus runs, in a fixed order."""
    return [
        NirRecognizer(),
        SirenSiretRecognizer(),
        IbanRecognizer(),
        PaymentCardRecognizer(),
        ImeiRecognizer(),
        PhoneRecognizer(),
        SpokenNumberRecognizer(),
        EmailRecognizer(),
        IpAddressRecognizer(),
        MacAddressRecognizer(),
        GpsRecognizer(),
        LicensePlateRecognizer(),
        AddressRecognizer(),
        AccessCodeRecognizer(),
        DateOfBirthRecognizer(),
        CivilityNameRecognizer(),
        CueNameRecognizer(),
        UpperCaseNameRecognizer(),
        AnyCaseNameRecognizer(),
        CompanyNameRecognizer(),
        NerRecognizer(),
    ]
