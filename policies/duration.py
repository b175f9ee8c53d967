"""ISO 8601 durations as retention periods (``P10Y``, ``P3M``, ``P1Y6M``, ``P30D``)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["RetentionPeriod", "parse_period"]

_PATTERN = re.compile(r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?$")


@dataclass(frozen=True, order=True)
class RetentionPeriod:
    """A calendar period: years and months are calendar units, not fixed day counts."""

    months: int
    days: int
    text: str

    def after(self, start: dt.date) -> dt.date:
        """``start`` plus this period; the 29 February plus one year is the 28th."""
        month_index = start.month - 1 + self.months
        year, month = start.year + month_index // 12, month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return dt.date(year, month, day) + dt.timedelta(days=self.days)

    def approx_days(self) -> float:
        """For comparing periods (longest retention wins)."""
        return self.months * 30.436875 + self.days

    def __str__(self) -> str:
        return self.text


def parse_period(text: str) -> RetentionPeriod:
    """Parse a duration; ``ValueError`` says what form is expected."""
    match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
    if match is None or text.strip() == "P":
        raise ValueError(
            f"'{text}' is not an ISO 8601 duration such as P10Y, P5Y, P3M, P1Y6M or P30D "
            "(hours and minutes are not retention periods)"
        )
    parts = {k: int(v) for k, v in match.groupdict(default="0").items()}
    months = parts["years"] * 12 + parts["months"]
    days = parts["weeks"] * 7 + parts["days"]
    if months == 0 and days == 0:
        raise ValueError(f"'{text}' is a zero duration; a retention period must be positive")
    return RetentionPeriod(months, days, text.strip())
