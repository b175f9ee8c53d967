"""Request ids: every API answer carries ``X-Request-ID``, and every log line of the request too.

A client (or the reverse proxy in front) may send its own ``X-Request-ID``; it is kept when
it is well-formed — a UUID, 16 to 64 hexadecimal digits (nginx's ``$request_id``), or a
ULID — and replaced by a new one otherwise, so that a header a client typed (a name, an
address) never reaches a log line. The id is echoed in the answer and set in
:data:`quitus.logging_setup.request_id` while the request is answered.
"""

from __future__ import annotations

import re
import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quitus.logging_setup import request_id

__all__ = ["REQUEST_ID_HEADER", "RequestIds", "well_formed_request_id"]

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # UUID
    r"|[0-9a-fA-F]{16,64}"  # hex: nginx, AWS, trace ids
    r"|[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}"  # ULID (Crockford base 32)
)
_HEADER = REQUEST_ID_HEADER.lower().encode("latin-1")


def well_formed_request_id(value: str) -> bool:
    """Whether a client's ``X-Request-ID`` is kept (see the module docstring)."""
    return bool(_WELL_FORMED.fullmatch(value))


def _new_request_id() -> str:
    return secrets.token_hex(16)


class RequestIds:
    """Pure-ASGI middleware: the request's id in the log context and in the answer's headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = next((v for k, v in scope["headers"] if k == _HEADER), b"").decode("latin-1")
        rid = sent if well_formed_request_id(sent) else _new_request_id()
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
