"""Logs an operator can ship: JSON on request (QUITUS_LOG_FORMAT), request ids, run ids."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from quitus.api.request_ids import REQUEST_ID_HEADER, well_formed_request_id
from quitus.logging_setup import LOGGED_PACKAGES, QuitusLogHandler, configure_logging
from tests.api_client import ApiHarness, open_harness

PERSONAL = {"name": "Jeanne Martin", "phone": "06 12 34 56 78"}


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """quitus's loggers writing JSON into a buffer, put back as they were afterwards."""
    saved = {
        name: (
            logging.getLogger(name).handlers[:],
            logging.getLogger(name).level,
            logging.getLogger(name).propagate,
        )
        for name in LOGGED_PACKAGES
    }
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    yield stream
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    with open_harness(tmp_path_factory.mktemp("logs") / "home") as harness:
        yield harness


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("0f8fad5b-d9cb-469f-a165-70867728950e", True),
        ("4bf92f3577b34da6a3ce929d0e0e4736", True),  # nginx $request_id, a W3C trace id
        ("01JEXAMPLE0000000000000000", False),  # 'L' and 'X' are not Crockford
        ("01HZY3Q7W8K9M2N4P5R6S7T8V9", True),  # a ULID
        ("jeanne.martin@exemple.fr", False),
        ("Jeanne Martin", False),
        ("abc", False),
        ("0" * 65, False),
        ("", False),
    ],
)
def test_a_clients_request_id_is_kept_only_when_it_is_an_id(sent: str, kept: bool) -> None:
    assert well_formed_request_id(sent) is kept


def test_every_answer_carries_a_request_id_and_the_access_log_line_has_it(
    harness: ApiHarness, json_log: io.StringIO
) -> None:
    mine = "0f8fad5b-d9cb-469f-a165-70867728950e"
    kept = harness.client.get("/api/v1/reports", headers={**harness.auth("admin"), REQUEST_ID_HEADER: mine})
    assert kept.status_code == 200
    assert kept.headers[REQUEST_ID_HEADER] == mine

    replaced = harness.client.get("/api/v1/health", headers={REQUEST_ID_HEADER: "Jeanne Martin"})
    new_id = replaced.headers[REQUEST_ID_HEADER]
    assert well_formed_request_id(new_id) and new_id != "Jeanne Martin"
    generated = harness.client.get("/api/v1/health").headers[REQUEST_ID_HEADER]
    assert well_formed_request_id(generated) and generated != new_id

    access = [line for line in _lines(json_log) if line["logger"] == "quitus.api.access"]
    assert [line.get("request_id") for line in access] == [mine, new_id, generated]
    first = access[0]
    assert set(first) >= {"time", "level", "logger", "message", "request_id"}
    assert first["level"] == "INFO"
    assert str(first["message"]).startswith("GET /api/v1/reports 200 ")
    assert "Jeanne" not in json_log.getvalue()


def test_an_error_answer_also_carries_the_request_id(harness: ApiHarness) -> None:
    refused = harness.client.get("/api/v1/reports")  # no token
    assert refused.status_code == 401
    assert well_formed_request_id(refused.headers[REQUEST_ID_HEADER])


def test_text_format_is_one_line_naming_the_request(harness: ApiHarness, json_log: io.StringIO) -> None:
    stream = io.StringIO()
    configure_logging("text", stream=stream)
    rid = "4bf92f3577b34da6a3ce929d0e0e4736"
    harness.client.get("/api/v1/health", headers={REQUEST_ID_HEADER: rid})
    (line,) = [x for x in stream.getvalue().splitlines() if "quitus.api.access" in x]
    assert f"INFO quitus.api.access [request {rid}]: GET /api/v1/health 200" in line
    assert json_log.getvalue() == ""  # replaced, not added: one handler


def test_configuring_twice_leaves_one_handler(json_log: io.StringIO) -> None:
    configure_logging("json", stream=json_log)
    configure_logging("json", stream=json_log)
    for name in LOGGED_PACKAGES:
        assert sum(isinstance(h, QuitusLogHandler) for h in logging.getLogger(name).handlers) == 1
    logging.getLogger("workflows.delivery").info("delivery run: sent %d", 3)
    (line,) = _lines(json_log)
    assert line["logger"] == "workflows.delivery" and line["message"] == "delivery run: sent 3"
    assert "request_id" not in line and "flow_run_id" not in line


def test_an_exception_is_logged_by_class_and_stack_never_its_message(json_log: io.StringIO) -> None:
    def refuse(client: dict[str, str]) -> None:
        raise ValueError(f"client {client['name']}, {client['phone']}")

    try:
        refuse(PERSONAL)
    except ValueError:
        logging.getLogger("quitus.test").exception("stage failed for report %s", "01HZY3Q7W8K9M2N4P5R6S7T8V9")
    (line,) = _lines(json_log)
    assert line["exception"] == "builtins.ValueError"
    assert "raise ValueError" in str(line["stack"])  # the frame's source line, not the message
    assert "Jeanne" not in json_log.getvalue()
    assert "06 12" not in json_log.getvalue()
