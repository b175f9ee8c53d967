"""``Idempotency-Key`` on the API's unsafe ``POST`` requests.

A client that may send a request twice (a lost answer, a tablet back online) sends a key
of its own with it, ``Idempotency-Key: <1 to 255 visible ASCII characters>`` (a UUID is
the usual choice). Then, for :data:`storage.idempotency_store.WINDOW` (24 h):

* the same key with the same request (operation, path and body) is **answered as the
  first time** — the same status, the resource the first answer named as it is now —
  and nothing is done again; the answer carries ``Idempotent-Replayed: true``;
* the same key with another request is refused: ``422 idempotency_key_reused``;
* the same key while its first request is still being answered: ``409
  idempotency_key_in_use`` with ``Retry-After``;
* a first request that failed (any error answer) leaves no trace: a retry carries it out.

A key is its caller's: another caller's same key is another request. Without the header a
request is carried out as before (each endpoint's own rules still apply: the same
``submission_id``, the same hold in force). :data:`IDEMPOTENT_OPERATIONS` lists the
endpoints that take the header; ``subject_export`` does not: its answer is the person's
data, which quitus does not keep to answer again — a retry is a new request in the
register of requests.

Usage in a route::

    once = begin(context, principal, "place_hold", key, canonical(request.url.path, body))
    with once:
        if once.replay is not None:
            return replayed(response, once.replay, HoldOut.of(...))
        ... carry it out ...
        once.record(201, {"hold_id": hold.id})
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Annotated, Any, TypeVar

from fastapi import Header, Response
from pydantic import BaseModel

from quitus.api.context import ApiContext
from quitus.api.errors import ApiError
from storage.access_store import Principal
from storage.idempotency_store import WINDOW, Claimed, IdempotencyStore, InProgress, Mismatch, Replay

__all__ = [
    "IDEMPOTENCY_ERRORS",
    "IDEMPOTENT_OPERATIONS",
    "REPLAYED_HEADER",
    "IdempotencyKey",
    "Once",
    "begin",
    "canonical",
    "replayed",
]

IDEMPOTENT_OPERATIONS = frozenset(
    {
        "capture_report",
        "create_portal_link",
        "place_hold",
        "release_hold",
        "record_retention_event",
        "approve_review",
        "extend_review",
        "relabel_review",
        "subject_erase",
    }
)
"""The endpoints that take an ``Idempotency-Key``."""

REPLAYED_HEADER = "Idempotent-Replayed"
"""``true`` on an answer given again for a key (nothing was done again)."""

IDEMPOTENCY_ERRORS: Mapping[int, tuple[str, ...]] = {
    409: ("idempotency_key_in_use",),
    422: ("idempotency_key_reused",),
}
"""The error codes the header adds to an endpoint (for ``error_responses``)."""

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="A key of the client's own (a UUID): the same request again within "
        f"{int(WINDOW.total_seconds() // 3600)} h is answered as the first time, not carried out "
        "again (`Idempotent-Replayed: true`); another request with it is refused (422 "
        "`idempotency_key_reused`). docs/api.md#idempotency-key.",
    ),
]


def canonical(path: str, body: BaseModel | bytes | None, *, media_type: str = "") -> bytes:
    """What makes two requests the same: the path and the body (a parsed body as its JSON)."""
    content = body.model_dump_json().encode() if isinstance(body, BaseModel) else body or b""
    return b"\0".join((path.encode(), media_type.encode(), content))


class Once:
    """One request under its key (or without one: then it is only carried out)."""

    def __init__(
        self, store: IdempotencyStore | None, claimed: Claimed | None, replay: Replay | None
    ) -> None:
        self._store = store
        self._claimed = claimed
        self.replay = replay
        """The first answer, when this request was answered before."""

    def record(self, status: int, answer: Mapping[str, Any]) -> None:
        """Remember the answer: ``answer`` holds the ids, codes and dates it is rebuilt from."""
        if self._store is not None and self._claimed is not None:
            self._store.complete(self._claimed, status, answer)
            self._claimed = None

    def abandon(self) -> None:
        """The request failed: forget the key, a retry carries it out."""
        if self._store is not None and self._claimed is not None:
            self._store.abandon(self._claimed)
            self._claimed = None

    def __enter__(self) -> Once:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.abandon()  # after record() there is nothing to abandon


def begin(context: ApiContext, principal: Principal, operation: str, key: str | None, request: bytes) -> Once:
    """Claim ``key`` for this request; raises the ``409``/``422`` the module docstring names."""
    assert operation in IDEMPOTENT_OPERATIONS, operation  # a developer's error
    if key is None:
        return Once(None, None, None)
    store = IdempotencyStore(context.app.store.database, context.app.store.keys.index_key)
    claim = store.claim(principal.handle, key, operation, request)
    if isinstance(claim, Replay):
        return Once(None, None, claim)
    if isinstance(claim, Claimed):
        return Once(store, claim, None)
    if isinstance(claim, InProgress):
        raise ApiError(
            409,
            "idempotency_key_in_use",
            "the first request with this Idempotency-Key is still being answered",
            where="header.idempotency-key",
            hint=f"retry in {claim.retry_after} s: it will be answered as the first one was",
            headers={"Retry-After": str(claim.retry_after)},
        )
    assert isinstance(claim, Mismatch)
    same_operation = claim.operation == operation
    raise ApiError(
        422,
        "idempotency_key_reused",
        "this Idempotency-Key was used for another request"
        + (" (another path or body)" if same_operation else f" ({claim.operation})"),
        where="header.idempotency-key",
        hint="send a new key with each new request; the same key only with the same request",
    )


Model = TypeVar("Model", bound=BaseModel)


def replayed(response: Response, replay: Replay, answer: Model) -> Model:
    """``answer`` given again: the first status, marked ``Idempotent-Replayed: true``."""
    response.status_code = replay.status
    response.headers[REPLAYED_HEADER] = "true"
    return answer
