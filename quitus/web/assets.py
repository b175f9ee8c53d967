"""``/static``: the pages' CSS and scripts, under their content-hashed names too.

A page refers to ``/static/quitus.3f9a0c1d2e4b.css`` (:func:`quitus.web.rendering.static_url`):
that name is answered with ``Cache-Control: public, max-age=31536000, immutable`` — the
browser keeps it for a year and never asks again — because the content under a name
never changes: a new version of the file has a new name. A name whose hash is not the
file's current one (a page from before an upgrade) is a ``404``, never the new content
under the old name.

The plain names (``/static/quitus.css``) are still answered, revalidated at each use
(``no-cache`` and their ``ETag``, :func:`quitus.api.hardening.cache_control_for`): the
service worker's offline page and any bookmark use them.
"""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from quitus.web.rendering import STATIC_DIR, hashed_static_name

__all__ = ["IMMUTABLE", "HashedStaticFiles", "unhashed_name"]

IMMUTABLE = "public, max-age=31536000, immutable"
"""The caching of a content-hashed name."""
_HASHED = re.compile(r"^(?P<stem>[A-Za-z0-9_-]+)\.(?P<digest>[0-9a-f]{12})\.(?P<extension>[a-z0-9]+)$")


def unhashed_name(path: str) -> str | None:
    """``quitus.3f9a0c1d2e4b.css`` → ``quitus.css`` when 3f9a0c1d2e4b is that file's hash now."""
    match = _HASHED.match(path)
    if match is None:
        return None
    name = f"{match['stem']}.{match['extension']}"
    if not (STATIC_DIR / name).is_file() or hashed_static_name(name) != path:
        return None
    return name


class HashedStaticFiles(StaticFiles):
    """Starlette's static files, answering the hashed names as well (module docstring)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        name = unhashed_name(path)
        if name is None:
            return await super().get_response(path, scope)  # a plain name, or a 404
        response = await super().get_response(name, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE
        return response
