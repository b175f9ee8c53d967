"""Wiring for flows: Prefect settings for embedded mode and the services flows look up."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from quitus.settings import Settings

__all__ = ["configure_flows"]


def configure_flows(settings: Settings) -> None:
    """Call before importing Prefect: embedded settings, then the services factory.

    Flows record their job (``job:intake``) in the ledger, or the actor the settings name
    (``QUITUS_ACTOR``, ``quitus --as``). Their log lines go to stderr in ``QUITUS_LOG_FORMAT``
    (warnings and errors, unless the process configured its logging before: ``quitus serve``
    and a worker show INFO too) and, INFO and above, to the run's logs in Prefect. In embedded
    mode, :mod:`quitus.process_guard` stops Prefect's temporary server when this process dies.
    """
    from quitus.logging_setup import configure_logging, logging_configured  # noqa: PLC0415
    from workflows.runtime import Services, configure, prefect_environment  # noqa: PLC0415

    if not logging_configured():  # `quitus serve` and a worker log INFO; a one-shot command warnings
        configure_logging(settings.log_format, level=logging.WARNING)
    prefect_environment(settings.home)
    if "PREFECT_API_URL" not in os.environ:
        # Embedded: Prefect will start a temporary server as our child; it must die with us.
        from quitus.process_guard import start_process_guard  # noqa: PLC0415

        start_process_guard()

    def build() -> Services:
        from quitus.wiring import open_app, witness_endpoint  # noqa: PLC0415

        app = open_app(settings)
        return Services(
            store=app.store,
            intake=app.intake,
            pipeline=app.pipeline(),
            policies=app.policies,
            deliver=_delivery(settings) if settings.smtp_host and settings.smtp_sender else None,
            clock=app.clock(),
            witness=witness_endpoint(settings),
        )

    configure(build, name_jobs=not settings.names_actor)


def _delivery(settings: Settings) -> Callable[[int], dict[str, int]]:
    import datetime as dt  # noqa: PLC0415

    from quitus.commands.delivery import portal_delivery_of, smtp_settings_of  # noqa: PLC0415
    from storage.delivery_store import DeliveryStore  # noqa: PLC0415
    from workflows.delivery import deliver_reports  # noqa: PLC0415
    from workflows.runtime import services  # noqa: PLC0415

    smtp, retry, max_age_days = smtp_settings_of(settings)
    portal = portal_delivery_of(settings)

    def deliver(limit: int) -> dict[str, int]:
        store = services().store  # the running flow's: its ledger events name the job
        now = dt.datetime.now(dt.UTC)
        since = now - dt.timedelta(days=max_age_days) if max_age_days else None
        ids = DeliveryStore(store).due_report_ids(limit=limit, now=now, archived_since=since)
        from quitus.wiring import company_store  # noqa: PLC0415

        company_name = company_store(settings, store).current().name  # the configured identity's
        result = deliver_reports(store, ids, smtp=smtp, company_name=company_name, retry=retry, portal=portal)
        return dict(result.counts())

    return deliver
