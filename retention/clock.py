"""Today's date, as every retention rule sees it.

Disposal is decided at the **real current date**: nothing a user types (``--at``, an API
parameter) moves it. Code that needs another date — tests, and ``quitus demo`` on the
home it has just created — passes a :class:`FixedClock` explicitly; there is no setting
or flag that does it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """Something that says what day it is."""

    def today(self) -> dt.date: ...


@dataclass(frozen=True)
class SystemClock:
    """The machine's date (local time, as a compliance officer reads a calendar)."""

    def today(self) -> dt.date:
        return dt.date.today()


@dataclass(frozen=True)
class FixedClock:
    """A chosen day: for tests and for the demo's own, freshly created home only."""

    day: dt.date
    """The date every rule sees."""

    def today(self) -> dt.date:
        return self.day
