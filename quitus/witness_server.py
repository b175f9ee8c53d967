"""``quitus witness serve``: the C2SP tlog-witness HTTP interface over a :class:`WitnessHome`.

One route, ``POST /add-checkpoint``; the standard library's threading HTTP server, kept
small on purpose: a body must state its ``Content-Length`` and stay under
:data:`~storage.ledger.witness.MAX_REQUEST_BYTES` (else 411 / 413, read no further), a
slow client is cut off after :data:`SOCKET_TIMEOUT` seconds, at most
:data:`MAX_CONNECTIONS` connections are served at once, and a client only ever gets a
one-line reason — an unexpected error is a bare 500, its details go to the witness's log.
The log names method, path, status and the log's origin: no client address.
"""

from __future__ import annotations

import logging
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from storage.ledger.witness import MAX_REQUEST_BYTES, WitnessError, WitnessRefusedError
from storage.ledger.witness_home import WitnessHome

__all__ = ["MAX_CONNECTIONS", "SOCKET_TIMEOUT", "WitnessServer", "serve_witness"]

SOCKET_TIMEOUT = 10
"""Seconds a connection may stay silent before it is closed."""
MAX_CONNECTIONS = 32
"""Connections served at once; more are closed at once."""
ADD_CHECKPOINT = "/add-checkpoint"

log = logging.getLogger("quitus.witness")


class WitnessServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one witness folder."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], home: WitnessHome) -> None:
        self.home = home
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)  # busy: the client retries, nothing was read
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("connection failed")  # never the client's address


class _Handler(BaseHTTPRequestHandler):
    server: WitnessServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the protocol recommends
    timeout = SOCKET_TIMEOUT
    server_version = "quitus-witness"
    sys_version = ""
    error_content_type = "text/plain; charset=utf-8"
    error_message_format = "%(message)s\n"
    _allowed: ClassVar[str] = "POST"

    def do_POST(self) -> None:
        if self.path != ADD_CHECKPOINT:
            self._reply(HTTPStatus.NOT_FOUND, "no such endpoint: POST /add-checkpoint\n")
            return
        length_header = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or length_header is None:
            self._reply(HTTPStatus.LENGTH_REQUIRED, "a Content-Length is required\n", close=True)
            return
        if not length_header.isdigit():
            self._reply(HTTPStatus.BAD_REQUEST, "Content-Length is not a number\n", close=True)
            return
        length = int(length_header)
        if length > MAX_REQUEST_BYTES:
            self._reply(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the body exceeds {MAX_REQUEST_BYTES} bytes\n",
                close=True,
            )
            return
        try:
            body = self.rfile.read(length)
        except (TimeoutError, OSError):
            self.close_connection = True
            return
        if len(body) != length:
            self._reply(HTTPStatus.BAD_REQUEST, "the body is shorter than its Content-Length\n", close=True)
            return
        self._add_checkpoint(body)

    def _add_checkpoint(self, body: bytes) -> None:
        try:
            line = self.server.home.add_checkpoint(body)
        except WitnessRefusedError as refusal:
            log.warning("refused with %d: %s", refusal.status, refusal)
            if refusal.status == HTTPStatus.CONFLICT and refusal.known_size is not None:
                self._reply(HTTPStatus.CONFLICT, f"{refusal.known_size}\n", content_type="text/x.tlog.size")
            else:
                self._reply(HTTPStatus(refusal.status), f"{refusal}\n")
            return
        except WitnessError:
            log.exception("the witness cannot cosign")  # its folder is damaged: the operator must act
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, "the witness cannot cosign now\n")
            return
        except Exception:
            log.exception("unexpected error")
            self._reply(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error\n")
            return
        log.info("cosigned")
        self._reply(HTTPStatus.OK, line)

    def do_GET(self) -> None:
        self._reply(HTTPStatus.METHOD_NOT_ALLOWED, "only POST /add-checkpoint\n", allow=True)

    def _reply(
        self,
        status: HTTPStatus,
        text: str,
        *,
        content_type: str = "text/plain; charset=utf-8",
        close: bool = False,
        allow: bool = False,
    ) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if allow:
            self.send_header("Allow", self._allowed)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s", format % args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info("%s %s %s", self.command, self.path if len(self.path) < 100 else "(long path)", code)


def serve_witness(directory: Path, host: str, port: int, *, ready: Any = None) -> None:
    """Serve the witness of ``directory`` until interrupted; ``ready(address)`` once listening."""
    home = WitnessHome(directory)
    home.cosigner()  # fail now, not at the first request, when the key or its folder is unusable
    home.latest()
    server = WitnessServer((host, port), home)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    try:
        if ready is not None:
            ready(server.server_address)
        server.serve_forever()
    finally:
        server.server_close()
