"""/api/modules/{name}/info against a package index served on 127.0.0.1.

The index is a fake (tests/fake_package_index.py) so that no test depends on the public PyPI and
so it can fail the ways an index does (500, garbage, no answer); it speaks PyPI's JSON API over
real HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest

from fake_package_index import fake_package_index
from polybox.config import load_settings
from polybox.forge.errors import UnavailableError
from polybox.forge.package_index import module_info
from polybox.instance import Instance

pytestmark = pytest.mark.anyio
TIMEOUT = 0.5


@pytest.fixture
async def index_url() -> AsyncIterator[str]:
    async with fake_package_index() as url:
        yield url


@pytest.fixture
async def instance(index_url: str, tmp_path: Path) -> AsyncIterator[Instance]:
    """An instance on SQLite (the store plays no part) using the fake index."""
    settings = load_settings(
        data_dir=tmp_path / "data", pypi_url=index_url, pypi_timeout_seconds=TIMEOUT
    )
    async with Instance.running(settings, run_tools=False) as running:
        yield running


async def test_module_info_shows_the_latest_release_from_the_index(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await api.get("/api/modules/requests/info", headers=admin_headers)
    assert response.status_code == 200
    assert response.json() == {
        "name": "requests",
        "version": "2.32.3",
        "summary": "Python HTTP for Humans.",
        "license": "Apache-2.0",
        "home_page": "https://github.com/psf/requests",
        "requires_python": ">=3.8",
        "released_at": "2024-05-29T15:37:47.600000Z",
        "has_wheels": True,
        "index_url": "https://pypi.org/project/requests/",
    }


async def test_an_unknown_package_is_a_404_in_the_error_shape(
    api: httpx.AsyncClient, admin_headers: dict[str, str], index_url: str
) -> None:
    response = await api.get("/api/modules/no-such-package/info", headers=admin_headers)
    assert response.status_code == 404
    assert response.json()["error"] == {
        "type": "not_found",
        "message": f"the package index {index_url} has no package 'no-such-package'",
        "details": None,
    }


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("broken", "answered 500"),
        ("garbled", "cannot read"),
        ("stuck", f"did not answer within {TIMEOUT:g} s"),
    ],
)
async def test_a_failing_index_is_a_503_that_says_what_went_wrong(
    api: httpx.AsyncClient, admin_headers: dict[str, str], name: str, says: str
) -> None:
    with anyio.fail_after(TIMEOUT + 2):
        response = await api.get(f"/api/modules/{name}/info", headers=admin_headers)
    assert (response.status_code, response.json()["error"]["type"]) == (503, "unavailable")
    assert says in response.json()["error"]["message"]


async def test_an_unreachable_index_is_unavailable() -> None:
    with pytest.raises(UnavailableError, match="cannot reach the package index"):
        await module_info("http://127.0.0.1:9", "requests", timeout=TIMEOUT)  # nothing listens


async def test_a_name_that_cannot_be_a_package_is_refused_before_asking_the_index(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await api.get("/api/modules/-bad name-/info", headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "name", "message": "must be a package name like 'requests'"}
    ]


async def test_module_info_needs_an_admin(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/modules/requests/info")
    assert response.status_code == 401
