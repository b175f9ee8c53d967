"""The pages load their CSS and scripts under content-hashed names, kept a year (immutable);
the plain names are still answered and revalidated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from quitus.web import rendering
from quitus.web.assets import IMMUTABLE, unhashed_name
from quitus.web.offline import SHELL_STATIC_FILES
from quitus.web.rendering import STATIC_DIR, TEMPLATE_DIR, static_url
from tests.api_client import ApiHarness, open_harness


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    with open_harness(tmp_path_factory.mktemp("assets") / "home") as harness:
        yield harness


def test_pages_link_the_hashed_names_which_are_kept_a_year(harness: ApiHarness) -> None:
    client = harness.client
    page = client.get("/connexion").text
    (css,) = re.findall(r'href="(/static/quitus\.[0-9a-f]{12}\.css)"', page)
    assert css == static_url("quitus.css")
    hashed = client.get(css)
    assert hashed.status_code == 200
    assert hashed.headers["cache-control"] == IMMUTABLE
    assert hashed.content == (STATIC_DIR / "quitus.css").read_bytes()
    assert hashed.headers["content-type"].startswith("text/css")
    plain = client.get("/static/quitus.css")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache"


def test_a_name_whose_hash_is_not_the_file_s_is_not_found(harness: ApiHarness) -> None:
    stale = static_url("api.js").replace(".js", "").rsplit(".", 1)[0] + ".000000000000.js"
    assert harness.client.get(stale).status_code == 404
    assert harness.client.get("/static/nothing.0123456789ab.js").status_code == 404
    assert unhashed_name("api.000000000000.js") is None
    assert unhashed_name(static_url("api.js").removeprefix("/static/")) == "api.js"


def test_the_name_follows_the_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "STATIC_DIR", tmp_path)
    (tmp_path / "app.css").write_text("body { color: navy }")
    before = rendering.static_url("app.css")
    assert re.fullmatch(r"/static/app\.[0-9a-f]{12}\.css", before)
    (tmp_path / "app.css").write_text("body { color: black; }")
    assert rendering.static_url("app.css") != before


def test_every_page_refers_to_static_files_through_static_url() -> None:
    for template in TEMPLATE_DIR.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        plain = re.findall(r'(?:src|href)="(/static/[^"]+)"', text)
        assert not plain, f"{template.name}: {plain} (write {{{{ static_url('NAME') }}}})"
    assert all((STATIC_DIR / name).is_file() for name in SHELL_STATIC_FILES)
