"""A request that recorded ledger events is answered once a checkpoint signs them.

The CLI signs a checkpoint when a command that recorded events ends
(:meth:`quitus.wiring.App.close`); the server's installation stays open, so this ASGI
middleware does it per request: when the ledger grew while the request ran, a checkpoint
is signed (and appended to ``checkpoints.log``) before the response starts — once more
after a streamed body, if that recorded events too. So ``audit verify`` finds entries
without a signed checkpoint only while a request is under way, or after a crash.

Reads that record an event (a revealed report, a portal download, a proof export) count as
writes. A checkpoint that cannot be signed — the ledger is smaller than a checkpoint it
signed before (:class:`~storage.ledger.errors.RollbackError`) — is logged as an error on
``quitus.api``; the request's answer stands: its own work is committed.
"""

from __future__ import annotations

import logging

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storage.ledger.errors import LedgerError
from storage.ledger.store import Ledger

__all__ = ["SignRecordedEvents"]

logger = logging.getLogger("quitus.api")


class SignRecordedEvents:
    """ASGI middleware: sign a checkpoint when the ledger grew during a request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = getattr(getattr(scope.get("app"), "state", None), "quitus", None)
        if scope["type"] != "http" or context is None:
            await self.app(scope, receive, send)
            return
        ledger: Ledger = context.app.ledger
        seen = ledger.appended

        async def sign_then_send(message: Message) -> None:
            nonlocal seen
            if message["type"] == "http.response.start" and ledger.appended != seen:
                seen = ledger.appended
                await _sign(ledger)
            await send(message)

        await self.app(scope, receive, sign_then_send)
        if ledger.appended != seen:
            await _sign(ledger)


async def _sign(ledger: Ledger) -> None:
    try:
        await anyio.to_thread.run_sync(ledger.checkpoint)
    except LedgerError as exc:
        logger.error("ledger events recorded but not signed: %s", exc)  # noqa: TRY400 - the message says it all
