"""A local SMTP mailbox for ``quitus demo``: the intake flow delivers for real, to files.

The demo's clients have made-up addresses at real providers; nothing may leave the
machine. :class:`DemoMailbox` runs an `aiosmtpd <https://aiosmtpd.aio-libs.org>`_ server on
127.0.0.1 (a port the system picks), with a handler that relays nothing and writes each
accepted message to ``<folder>/NNN.eml``. Not a mail server for anything else.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["DemoMailbox"]


class DemoMailbox:
    """Messages land in ``folder`` between :meth:`open` and :meth:`close` (or within ``with``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keeper = _KeepInFolder(folder)
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="demo-mailbox", daemon=True)

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the demo mailbox is not open")
        return self._port

    @property
    def received(self) -> int:
        return self._keeper.count

    def open(self) -> None:
        from aiosmtpd.smtp import SMTP  # noqa: PLC0415 - only the demo needs it

        self.folder.mkdir(parents=True, exist_ok=True)

        def session() -> SMTP:
            return SMTP(
                self._keeper,
                hostname="quitus-demo",
                ident="quitus-demo mailbox (local, nothing is relayed)",
                enable_SMTPUTF8=True,  # accented addresses, as French clients may have
            )

        # Bound to port 0 here, before the loop runs: the port is known at once, never raced for.
        self._server = self._loop.run_until_complete(self._loop.create_server(session, "127.0.0.1", 0))
        self._port = int(self._server.sockets[0].getsockname()[1])
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        if not self._loop.is_closed():
            self._loop.close()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def __enter__(self) -> DemoMailbox:
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class _KeepInFolder:
    """An aiosmtpd handler: each message accepted is a file, nothing is relayed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        with self._lock:
            self.count += 1
            (self.folder / f"{self.count:03d}.eml").write_bytes(envelope.original_content or envelope.content)
        return "250 OK: kept in the demo mailbox"
