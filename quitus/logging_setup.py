"""quitus's logs: one handler on stderr, text or JSON (``QUITUS_LOG_FORMAT``), with request and run ids.

* :func:`configure_logging` puts one handler on the loggers quitus writes to (``quitus``,
  ``workflows``, ``retention``, ``storage``, ``reports``), text by default, or one JSON object
  per line: ``time``, ``level``, ``logger``, ``message`` and, when there is one,
  ``request_id`` (the API request being answered), ``flow_run_id`` and ``task_run_id``
  (the Prefect run that logged it). Calling it again replaces its handler, never adds one.
* :data:`request_id` is the context variable the API's request-id middleware
  (:mod:`quitus.api.request_ids`) sets for the time of a request; every record logged
  meanwhile carries it, in the request's own task and in the threads it runs work in.

What is logged is ids, codes and counts: a record's message never quotes what a person
typed. An exception attached to a record is written as its class and stack frames, not
its message (which may quote personal data).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback
from contextvars import ContextVar
from typing import IO, Literal

__all__ = [
    "LOGGED_PACKAGES",
    "JsonFormatter",
    "QuitusLogHandler",
    "TextFormatter",
    "configure_logging",
    "current_run_ids",
    "logging_configured",
    "request_id",
]

LOGGED_PACKAGES = ("quitus", "workflows", "retention", "storage", "reports")
"""The loggers the handler is put on (each package's loggers are named after its modules)."""

request_id: ContextVar[str | None] = ContextVar("quitus_request_id", default=None)
"""The id of the API request being answered (``X-Request-ID``), None outside a request."""

LogFormat = Literal["text", "json"]


def current_run_ids() -> dict[str, str]:
    """The Prefect flow and task run the caller is in (``flow_run_id``, ``task_run_id``), if any.

    Prefect is looked at only when it is already imported: a command that runs no flow
    does not pay for importing it.
    """
    if "prefect.context" not in sys.modules:
        return {}
    from prefect.context import FlowRunContext, TaskRunContext  # noqa: PLC0415

    ids: dict[str, str] = {}
    flow_context = FlowRunContext.get()
    if flow_context is not None and flow_context.flow_run is not None:
        ids["flow_run_id"] = str(flow_context.flow_run.id)
    task_context = TaskRunContext.get()
    if task_context is not None:
        ids["task_run_id"] = str(task_context.task_run.id)
        ids.setdefault("flow_run_id", str(task_context.task_run.flow_run_id))
    return ids


class _ContextIds(logging.Filter):
    """Adds ``request_id``, ``flow_run_id`` and ``task_run_id`` to each record (None when not in one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        ids = current_run_ids()
        record.flow_run_id = ids.get("flow_run_id")
        record.task_run_id = ids.get("task_run_id")
        return True


def _exception_without_message(record: logging.LogRecord) -> dict[str, str]:
    if not record.exc_info or record.exc_info[1] is None:
        return {}
    exc = record.exc_info[1]
    return {
        "exception": f"{exc.__class__.__module__}.{exc.__class__.__name__}",
        "stack": "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the keys of the module docstring, ids only when set."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "flow_run_id", "task_run_id"):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        line.update(_exception_without_message(record))
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [request …] [flow run …]: message`` (the stack of an exception below)."""

    def format(self, record: logging.LogRecord) -> str:
        created = dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")
        ids = "".join(
            f" [{label} {value}]"
            for label, value in (
                ("request", getattr(record, "request_id", None)),
                ("flow run", getattr(record, "flow_run_id", None)),
            )
            if value is not None
        )
        text = f"{created} {record.levelname} {record.name}{ids}: {record.getMessage()}"
        exception = _exception_without_message(record)
        if exception:
            text += f"\n{exception['exception']}\n{exception['stack']}"
        return text


class QuitusLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler :func:`configure_logging` installs (found again by its class, to be replaced)."""


def configure_logging(
    log_format: LogFormat = "text", *, level: int = logging.INFO, stream: IO[str] | None = None
) -> QuitusLogHandler:
    """Log quitus's packages at ``level`` and above to ``stream`` (stderr) in ``log_format``.

    The loggers themselves are set to INFO whatever ``level`` is, so that INFO records of a
    flow still reach Prefect's run logs (``PREFECT_LOGGING_EXTRA_LOGGERS``) when the console
    shows warnings only. They do not propagate to the root logger: a library's logging set-up
    cannot print them a second time, nor in another format.
    """
    handler = QuitusLogHandler(stream if stream is not None else sys.stderr)
    handler.setLevel(level)
    handler.addFilter(_ContextIds())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    for name in LOGGED_PACKAGES:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, QuitusLogHandler)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return handler


def logging_configured() -> bool:
    """Whether :func:`configure_logging` ran in this process."""
    return any(isinstance(h, QuitusLogHandler) for h in logging.getLogger(LOGGED_PACKAGES[0]).handlers)
