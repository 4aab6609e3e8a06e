"""The admin UI at `/` on the real app: files, client-route fallback, caching, CSP, not built.

A small Vite-shaped build (index.html, a hashed script under assets/, a favicon) is written to a
temporary dir and served by the app as `polybox serve` builds it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from polybox.app import create_app
from polybox.config import load_settings
from polybox.instance import Instance
from polybox.web import HASHED_CACHE, UI_CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.anyio

INDEX = (
    '<!doctype html><html><head><script type="module" src="/assets/index-3f9a1c.js"></script>'
    "</head></html>"
)
SCRIPT = "console.log('polybox');"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}

Serve = Callable[[Path], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def built(tmp_path: Path) -> Path:
    dist = tmp_path / "ui_dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-3f9a1c.js").write_text(SCRIPT)
    (dist / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    return dist


@pytest.fixture
async def instance(tmp_path: Path) -> AsyncIterator[Instance]:
    async with Instance.running(load_settings(data_dir=tmp_path / "data"), run_tools=False) as it:
        yield it


@pytest.fixture
def serve(instance: Instance) -> Serve:
    @asynccontextmanager
    async def client(ui_dist: Path) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=create_app(instance, ui_dist=ui_dist))
        async with httpx.AsyncClient(transport=transport, base_url="http://polybox") as http:
            yield http

    return client


@pytest.fixture
async def ui(serve: Serve, built: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(built) as http:
        yield http


async def test_root_serves_index_revalidated_under_the_ui_policy(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/", headers=BROWSER)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == UI_CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in UI_CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("route", ["/servers", "/servers/weather/tools", "/approvals?tab=network"])
async def test_client_routes_get_index_for_the_app_router(
    ui: httpx.AsyncClient, route: str
) -> None:
    response = await ui.get(route, headers=BROWSER)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"


async def test_head_on_a_client_route_answers_without_body(ui: httpx.AsyncClient) -> None:
    response = await ui.head("/dashboard", headers=BROWSER)
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) == len(INDEX)


async def test_hashed_assets_are_cached_for_a_year(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/assets/index-3f9a1c.js")
    assert response.status_code == 200
    assert response.text == SCRIPT
    assert "javascript" in response.headers["content-type"]
    assert response.headers["cache-control"] == HASHED_CACHE


async def test_unhashed_files_are_revalidated(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/favicon.svg")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


async def test_an_unchanged_file_answers_not_modified(ui: httpx.AsyncClient) -> None:
    first = await ui.get("/assets/index-3f9a1c.js")
    again = await ui.get(
        "/assets/index-3f9a1c.js", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


async def test_a_missing_asset_is_404_not_the_index(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/assets/index-000000.js", headers=BROWSER)
    assert response.status_code == 404
    assert response.text != INDEX


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing-here",
        "/mcp/extra",
        "/healthz/extra",
        "/readyz/extra",
        "/metrics/extra",
        "/.well-known/oauth-authorization-server/extra",
        "/oauth/unknown",
    ],
)
async def test_server_paths_never_fall_back_to_the_ui(ui: httpx.AsyncClient, path: str) -> None:
    response = await ui.get(path, headers=BROWSER)
    assert response.status_code == 404
    assert INDEX not in response.text


async def test_a_request_that_does_not_accept_html_gets_404(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/servers", headers={"Accept": "application/json"})
    assert response.status_code == 404


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
async def test_the_root_is_the_ui_for_any_client_curl_included(
    ui: httpx.AsyncClient, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await ui.get("/", headers=headers)
    assert response.status_code == 200
    assert INDEX in response.text


async def test_writes_to_ui_paths_are_refused(ui: httpx.AsyncClient) -> None:
    response = await ui.post("/servers", headers=BROWSER)
    assert response.status_code == 405


async def test_encoded_dot_segments_cannot_leave_the_build(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/..%2fsecret.txt")
    assert response.status_code == 404
    assert "outside the build" not in response.text


async def test_the_other_surfaces_still_answer(ui: httpx.AsyncClient) -> None:
    assert (await ui.get("/healthz")).json()["status"] == "ok"
    assert (await ui.get("/api/openapi.json")).status_code == 200


async def test_without_a_build_root_says_how_to_build_it(serve: Serve, tmp_path: Path) -> None:
    async with serve(tmp_path / "not-built") as http:
        page = await http.get("/", headers=BROWSER)
        route = await http.get("/servers", headers=BROWSER)
        health = await http.get("/healthz")
    assert page.status_code == 404
    assert "make ui" in page.text
    assert page.headers["content-security-policy"] == UI_CONTENT_SECURITY_POLICY
    assert "make ui" in route.text
    assert health.status_code == 200


async def test_a_build_made_while_serving_is_picked_up(serve: Serve, tmp_path: Path) -> None:
    dist = tmp_path / "later"
    async with serve(dist) as http:
        assert (await http.get("/", headers=BROWSER)).status_code == 404
        dist.mkdir()
        (dist / "index.html").write_text(INDEX)
        response = await http.get("/", headers=BROWSER)
    assert response.status_code == 200
    assert response.text == INDEX
