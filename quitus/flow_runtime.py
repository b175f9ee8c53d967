"""Wiring for flows: Prefect settings for embedded mode and the services flows look up."""

from __future__ import annotations

from quitus.settings import Settings

__all__ = ["configure_flows"]


def configure_flows(settings: Settings) -> None:
    """Call before importing Prefect: embedded settings, then the services factory."""
    from workflows.runtime import Services, configure, prefect_environment  # noqa: PLC0415

    prefect_environment(settings.home)

    def build() -> Services:
        from quitus.wiring import open_app  # noqa: PLC0415

        app = open_app(settings)
        return Services(store=app.store, intake=app.intake, pipeline=app.pipeline(), policies=app.policies)

    configure(build)
