"""A local SMTP mailbox for ``quitus demo``: the intake flow delivers for real, to files.

The demo's clients have made-up addresses at real providers; nothing may leave the
machine. :class:`DemoMailbox` listens on 127.0.0.1 (a free port), speaks just enough
SMTP for :mod:`smtplib` (no TLS, no login) and writes each accepted message to
``<folder>/NNN.eml``. Not a mail server for anything else.
"""

from __future__ import annotations

import socketserver
import threading
from pathlib import Path
from types import TracebackType
from typing import ClassVar

__all__ = ["DemoMailbox"]


class DemoMailbox:
    """Messages land in ``folder`` between :meth:`open` and :meth:`close` (or within ``with``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._server = _Server(folder)
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-mailbox", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def received(self) -> int:
        return self._server.count

    def open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> DemoMailbox:
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, folder: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    def store(self, message: bytes) -> None:
        with self.lock:
            self.count += 1
            (self.folder / f"{self.count:03d}.eml").write_bytes(message)


class _Session(socketserver.StreamRequestHandler):
    """One SMTP session (RFC 5321, the commands smtplib sends)."""

    server: _Server
    _REPLIES: ClassVar[dict[bytes, bytes]] = {
        b"EHLO": b"250 quitus-demo\r\n",
        b"HELO": b"250 quitus-demo\r\n",
        b"MAIL": b"250 OK\r\n",
        b"RCPT": b"250 OK\r\n",
        b"RSET": b"250 OK\r\n",
        b"NOOP": b"250 OK\r\n",
        b"DATA": b"354 end with <CRLF>.<CRLF>\r\n",
        b"QUIT": b"221 bye\r\n",
    }

    def handle(self) -> None:
        self.wfile.write(b"220 quitus-demo mailbox (local, nothing is relayed)\r\n")
        for line in self.rfile:
            verb = line[:4].upper()
            self.wfile.write(self._REPLIES.get(verb, b"502 not implemented\r\n"))
            if verb == b"DATA":
                self.server.store(self._message())
                self.wfile.write(b"250 OK: kept in the demo mailbox\r\n")
            elif verb == b"QUIT":
                return

    def _message(self) -> bytes:
        lines = []
        for line in self.rfile:
            if line.rstrip(b"\r\n") == b".":
                break
            lines.append(line[1:] if line.startswith(b"..") else line)  # dot-unstuffing
        return b"".join(lines)
