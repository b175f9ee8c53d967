"""What a personal identifier looks like: the one rule for "this is a phone or an e-mail".

Identifiers quitus keeps for good in the signed ledger — a user's handle, a ``--as`` actor, a
technician of a visit or a team — must never be a person's telephone number or e-mail
address typed where a staff identifier (``tech-042``) goes. Technical fields of a report
(:mod:`reports.technical_fields`) use the same shapes. Nothing here quotes a value.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["EMAIL", "PHONE_BARE", "PHONE_INTERNATIONAL", "PHONE_SEPARATED", "personal_identifier_kind"]

PHONE_SEPARATED: Final = re.compile(r"(?<![\w+])(?:(?:\+|00)33[ .-]?[1-9]|0[1-9])(?:[ .-]\d{2}){4}(?!\d)")
"""A French number written as one: in pairs (``06 11 22 33 44``, ``06.11.22.33.44``), ``+33``/``0033``."""
PHONE_INTERNATIONAL: Final = re.compile(r"(?<![\w+])(?:\+|00)33[1-9]\d{8}(?!\d)")
PHONE_BARE: Final = re.compile(r"(?<!\w)0[1-9]\d{8}(?!\w)|(?<![\w+])\+\d{10,14}(?!\d)")
"""Ten digits alone (``0611223344``), or ``+`` and 10-14 digits: a phone, except as a serial number."""
EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def personal_identifier_kind(value: str) -> str | None:
    """``"an e-mail address"`` or ``"a telephone number"`` when ``value`` holds one, else None."""
    if EMAIL.search(value):
        return "an e-mail address"
    if PHONE_SEPARATED.search(value) or PHONE_INTERNATIONAL.search(value) or PHONE_BARE.search(value):
        return "a telephone number"
    return None
