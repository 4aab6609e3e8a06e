"""Rate limits on /mcp in remote mode, and client addresses from a trusted proxy."""

from __future__ import annotations

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
from polybox.mcp.ratelimit import RateLimiter

PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


@asynccontextmanager
async def remote_http(tmp_path: Path, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    loaded = load_settings(
        data_dir=tmp_path / "data", mode="remote", allow_insecure_remote=True, **settings
    )
    async with (
        Instance.running(loaded, run_tools=False) as instance,
        serving(create_app(instance), "127.0.0.1") as url,
        httpx.AsyncClient(base_url=url.removesuffix("/mcp")) as http,
    ):
        yield http


def test_the_limiter_allows_a_minutes_budget_at_once_then_one_per_interval() -> None:
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("k") == 20  # the next one is due a third of a minute later
    assert limiter.take("other") == 0
    now[0] = 20.0
    assert limiter.take("k") == 0
    assert limiter.take("k") == 20


@pytest.mark.anyio
async def test_a_trusted_proxy_gives_each_forwarded_client_its_own_budget(tmp_path: Path) -> None:
    async with remote_http(
        tmp_path, trusted_proxies=["127.0.0.0/8"], mcp_ip_rate_limit_per_minute=1
    ) as http:

        async def status(client: str) -> int:
            headers = {"X-Forwarded-For": client}
            return (await http.post("/mcp", json=PING, headers=headers)).status_code

        first = [await status(ip) for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3")]
        again = await status("203.0.113.1")
    assert first == [401, 401, 401]
    assert again == 429


@pytest.mark.anyio
async def test_one_token_past_its_limit_is_refused_while_another_is_served(
    tmp_path: Path,
) -> None:
    async with remote_http(tmp_path, mcp_rate_limit_per_minute=2) as http:

        async def status(token: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}"}
            return await http.post("/mcp", json=PING, headers=headers)

        spent = [(await status("pbx_one")).status_code for _ in range(3)]
        other = await status("pbx_two")
        refused = await status("pbx_one")
    assert spent == [401, 401, 429]
    assert other.status_code == 401
    assert refused.status_code == 429
    assert "this token" in refused.json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) >= 1
