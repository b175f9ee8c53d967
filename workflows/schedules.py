"""When the flows run: one definition, read by both ways of running them.

* embedded — ``quitus serve``'s APScheduler (:mod:`quitus.scheduler`);
* production — the Prefect deployments ``quitus deploy`` registers (:mod:`workflows.deployments`).

Both build their triggers from :data:`RETENTION_SCHEDULE` and :func:`intake_schedule`, so the
nightly retention run cannot be 02:00 in one mode and something else in the other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["PARIS", "RETENTION_SCHEDULE", "FlowSchedule", "intake_schedule"]

PARIS = "Europe/Paris"
"""The time zone schedules are read in: the company's (a French market)."""


@dataclass(frozen=True)
class FlowSchedule:
    """A flow's schedule: a cron expression or an interval, read in :attr:`timezone`."""

    cron: str | None = None
    """Standard five-field cron (minute hour day month weekday), e.g. ``0 2 * * *``."""
    interval: dt.timedelta | None = None
    """Or: every this long."""
    timezone: str = PARIS

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.interval is None):
            raise ValueError("a schedule is a cron expression or an interval, not both, not neither")
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError(f"cron {self.cron!r}: five fields (minute hour day month weekday)")
        if self.interval is not None and self.interval <= dt.timedelta(0):
            raise ValueError("an interval schedule needs a positive interval")

    def describe(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron!r} ({self.timezone})"
        assert self.interval is not None
        return f"every {self.interval.total_seconds() / 60:g} min ({self.timezone})"


RETENTION_SCHEDULE = FlowSchedule(cron="0 2 * * *")
"""The nightly retention flow: every night at 02:00 Europe/Paris."""


def intake_schedule(interval_minutes: int) -> FlowSchedule:
    """The intake flow: every ``QUITUS_INTAKE_INTERVAL_MINUTES``."""
    return FlowSchedule(interval=dt.timedelta(minutes=interval_minutes))
