"""Attacks on remote mode's HTTP edge: clear-text serving, forged proxy headers, token guessing.

Real `polybox serve` for the start-up refusal; otherwise the app in remote mode on uvicorn on
127.0.0.1, configured as `polybox serve` configures it (forwarded headers are the app's
business, believed from `trusted_proxies` only).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcp_clients import serving
from polybox.app import create_app
from polybox.config import load_settings
from polybox.instance import Instance
from test_cli import assert_one_line_error, run_cli

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


@asynccontextmanager
async def remote_app(tmp_path: Path, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """polybox in remote mode on 127.0.0.1 (SQLite), and an HTTP client for it."""
    options: dict[str, Any] = {"allow_insecure_remote": True} | settings
    loaded = load_settings(data_dir=tmp_path / "data", mode="remote", **options)
    async with (
        Instance.running(loaded, run_tools=False) as instance,
        serving(create_app(instance), "127.0.0.1") as url,
        httpx.AsyncClient(base_url=url.removesuffix("/mcp")) as http,
    ):
        yield http


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"POLYBOX_PUBLIC_URL": "https://polybox.example.com"},
        {"POLYBOX_PUBLIC_URL": "http://polybox.example.com", "POLYBOX_TRUSTED_PROXIES": '["::1"]'},
    ],
    ids=["no-proxy", "https-url-without-trusted-proxy", "http-url"],
)
def test_remote_mode_on_plain_http_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_cli(
        "serve",
        "--port",
        "9",
        env={"POLYBOX_DATA_DIR": str(tmp_path), "POLYBOX_MODE": "remote", **env},
    )
    assert_one_line_error(result, "POLYBOX_MODE", "remote mode refuses plain HTTP")
    assert not (tmp_path / "polybox.db").exists()  # refused before anything started


@pytest.mark.anyio
async def test_spoofed_x_forwarded_for_from_untrusted_peer_is_ignored(tmp_path: Path) -> None:
    """A client that names a new address on every request still has one address's budget."""
    async with remote_app(tmp_path, mcp_ip_rate_limit_per_minute=2) as http:
        statuses = [
            (await http.post("/mcp", json=INITIALIZE, headers={"X-Forwarded-For": ip})).status_code
            for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3")
        ]
    assert statuses[:2] == [401, 401]
    assert statuses[2] == 429


@pytest.mark.anyio
async def test_spoofed_x_forwarded_proto_from_untrusted_peer_does_not_pass_for_https(
    tmp_path: Path,
) -> None:
    """Straight to polybox's port, past its proxy, claiming the request came over HTTPS."""
    async with remote_app(
        tmp_path,
        allow_insecure_remote=False,
        public_url="https://polybox.example.com",
        trusted_proxies=["192.0.2.10"],
    ) as http:
        refused = await http.post("/mcp", json=INITIALIZE, headers={"X-Forwarded-Proto": "https"})
        probe = await http.get("/healthz")
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "https_required"
    assert probe.status_code == 200


@pytest.mark.anyio
async def test_token_guessing_from_one_address_is_rate_limited(tmp_path: Path) -> None:
    async with remote_app(tmp_path, mcp_ip_rate_limit_per_minute=3) as http:
        answers = [
            await http.post(
                "/mcp",
                json=INITIALIZE,
                headers={"Authorization": f"Bearer pbx_{secrets.token_urlsafe(32)}"},
            )
            for _ in range(4)
        ]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    retry_after = int(answers[3].headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert "try again in" in answers[3].json()["error"]["message"]
