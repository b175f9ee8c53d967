"""``quitus serve``: the HTTP API and web pages, and the embedded scheduler, in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from quitus.cli_support import console, fail, plain, settings_or_fail

__all__ = ["serve"]


def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (a reverse proxy adds TLS).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    scheduler: Annotated[
        bool, typer.Option(help="Also run the intake poller and the nightly retention job.")
    ] = True,
) -> None:
    """Serve the API (/api/v1, OpenAPI at /docs) and the web pages; run the scheduler beside them."""
    import uvicorn  # noqa: PLC0415

    from quitus.api import create_app  # noqa: PLC0415
    from quitus.logging_setup import configure_logging  # noqa: PLC0415
    from quitus.scheduler import JOBS, SchedulerLockedError, build_scheduler, single_instance  # noqa: PLC0415
    from quitus.wiring import open_app  # noqa: PLC0415

    settings = settings_or_fail()
    open_app(settings).close()  # fails early, with a clear message, on an uninitialized QUITUS_HOME
    # The access log, error ids and the flows' lines on stderr (QUITUS_LOG_FORMAT); no personal data.
    configure_logging(settings.log_format)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host=host,
            port=port,
            access_log=False,  # the API writes its own access log, without paths that carry ids
            log_level="warning",
            proxy_headers=True,
        )
    )
    console.print(f"quitus serving on http://{plain(host)}:{port}/ (API docs: /docs). Ctrl-C stops it.")
    if not scheduler:
        server.run()
        return
    try:
        with single_instance(settings):
            jobs = build_scheduler(settings, blocking=False)
            jobs.start()
            console.print(
                f"scheduler running ({', '.join(JOBS)}): intake every "
                f"{settings.intake_interval_minutes} min, retention at 02:00 Europe/Paris"
            )
            try:
                server.run()
            finally:
                jobs.shutdown(wait=False)
    except SchedulerLockedError as exc:
        fail(f"{plain(exc)}; run this one with --no-scheduler, or stop the other")
