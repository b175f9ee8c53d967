"""Cursor pagination of the API's lists: ``?limit=N`` and ``?cursor=…``.

A list answers at most ``limit`` items (at most :data:`MAX_LIMIT`) in a fixed order, and
when more follow, where to read them: the ``Link: <…&cursor=…>; rel="next"`` header (RFC
8288) on every list, and ``next_cursor`` and ``next`` in the body of the lists that are
objects (``GET /reports``). The cursor is opaque (base64url of the list's name and the
last item's sort key): a client passes it back as it got it. Unlike an offset, a cursor
neither skips nor repeats an item when others are added or removed between two pages.
A cursor of another list, or not one a list gave, is ``422 invalid_cursor``.

``GET /reports`` keeps its ``offset`` (deprecated in the contract; not with a cursor).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from quitus.api.errors import ApiError

__all__ = [
    "CURSOR_ERRORS",
    "MAX_LIMIT",
    "CursorQuery",
    "LimitQuery",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "next_link",
    "page_of",
]

MAX_LIMIT = 1000
"""The most items a page holds."""

SortKey = list[str | int]
Item = TypeVar("Item")

CursorQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=400,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Opaque: the `next_cursor` of the previous page (or the `cursor` of its "
        '`Link: rel="next"` header). Absent: the first page.',
    ),
]


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}.")]


CURSOR_ERRORS = {422: ("invalid_cursor",)}
"""The error code a cursor adds to a list (for ``error_responses``)."""


def encode_cursor(listing: str, key: SortKey) -> str:
    raw = json.dumps([listing, *key], separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(listing: str, cursor: str, shape: Sequence[type]) -> SortKey:
    """The sort key ``cursor`` carries, checked against ``shape`` (the types of its parts)."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        decoded = None
    if (
        not isinstance(decoded, list)
        or len(decoded) != len(shape) + 1
        or decoded[0] != listing
        or not all(type(part) is kind for part, kind in zip(decoded[1:], shape, strict=True))
    ):
        raise ApiError(
            422,
            "invalid_cursor",
            "this cursor was not given by this list",
            where="query.cursor",
            hint="pass back the next_cursor (or the Link header's) of the previous page as it was; "
            "without a cursor the list starts again",
        )
    return list(decoded[1:])


class Page(Generic[Item]):
    """One page of a list and the cursor of the next (None on the last page)."""

    def __init__(self, items: list[Item], next_cursor: str | None) -> None:
        self.items = items
        self.next_cursor = next_cursor


def page_of(
    listing: str,
    items: Sequence[Item],
    key: Callable[[Item], SortKey],
    *,
    cursor: str | None,
    limit: int,
    shape: Sequence[type],
) -> Page[Item]:
    """The page of ``items`` (sorted by ``key``) after ``cursor``, at most ``limit`` long."""
    ordered = sorted(items, key=key)
    if cursor is not None:
        after = decode_cursor(listing, cursor, shape)
        ordered = [item for item in ordered if key(item) > after]
    page = ordered[:limit]
    more = len(ordered) > limit
    return Page(page, encode_cursor(listing, key(page[-1])) if more and page else None)


def next_link(request: Request, response: Response, next_cursor: str | None) -> str | None:
    """The next page's address (the same query, this cursor, no offset); set as ``Link``."""
    if next_cursor is None:
        return None
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "offset")]
    query.append(("cursor", next_cursor))
    url = f"{request.url.path}?{urlencode(query)}"
    response.headers["Link"] = f'<{url}>; rel="next"'
    return url
