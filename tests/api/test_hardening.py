"""Security headers on every response, CORS off unless origins are configured, the body limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mcp_clients import serving
from polybox.api.docs import DOCS_CSP
from polybox.app import create_app
from polybox.config import load_settings
from polybox.instance import Instance
from polybox.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.anyio
LIMIT = 1024
ADMIN_UI = "https://admin.example.com"


@pytest.fixture
async def instance(tmp_path: Path) -> AsyncIterator[Instance]:
    """An instance on SQLite (the store plays no part) with a small body limit and one origin."""
    settings = load_settings(
        data_dir=tmp_path / "data", api_max_body_bytes=LIMIT, cors_origins=[ADMIN_UI]
    )
    async with Instance.running(settings, run_tools=False) as running:
        yield running


def _hardened(response: httpx.Response, csp: str = CONTENT_SECURITY_POLICY) -> bool:
    expected = {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
    }
    return all(response.headers.get(name) == value for name, value in expected.items())


async def test_every_response_carries_the_security_headers(api: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/api/openapi.json", "/api/dashboard", "/api/no-such-route"):
        response = await api.get(path)
        assert _hardened(response), (path, response.headers)
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    docs = await api.get("/api/docs")
    assert _hardened(docs, DOCS_CSP)
    assert "https://" not in docs.text  # Swagger UI comes from this origin: no CDN
    assert "<script>" not in docs.text  # no inline script: the CSP would refuse it


async def test_cors_answers_only_the_configured_origin(api: httpx.AsyncClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = await api.options("/api/servers", headers={"Origin": ADMIN_UI, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ADMIN_UI
    other = await api.options("/api/servers", headers={"Origin": "https://evil.test", **preflight})
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in (await api.get("/healthz")).headers


async def test_cors_is_off_by_default(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "plain")
    async with (
        Instance.running(settings, run_tools=False) as instance,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(instance)), base_url="http://polybox"
        ) as client,
    ):
        response = await client.options(
            "/api/servers",
            headers={"Origin": ADMIN_UI, "Access-Control-Request-Method": "POST"},
        )
    assert "access-control-allow-origin" not in response.headers


async def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    body = b'{"name": "weather", "description": "' + b"x" * LIMIT + b'"}'
    response = await api.post("/api/servers", content=body, headers=admin_headers)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "payload_too_large"
    assert f"larger than {LIMIT} bytes" in error["message"]
    assert "POLYBOX_API_MAX_BODY_BYTES" in error["message"]


async def test_a_body_under_the_limit_is_served(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    body = {"name": "weather", "description": "x" * (LIMIT // 2)}
    response = await api.post("/api/servers", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(
    instance: Instance, admin_headers: dict[str, str]
) -> None:
    """Over real HTTP: no Content-Length, the body arrives in chunks."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "weather", "description": "'
        for _ in range(64):
            yield b"x" * 256
        yield b'"}'

    async with (
        serving(create_app(instance), "127.0.0.1") as mcp_url,
        httpx.AsyncClient(base_url=mcp_url.removesuffix("/mcp"), timeout=5) as client,
    ):
        response = await client.post("/api/servers", content=chunks(), headers=admin_headers)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"
    assert "content-length" not in response.request.headers
