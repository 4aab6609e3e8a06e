"""The admin API's external-source routes, on the real app (ASGI) with a real upstream."""

from __future__ import annotations

import httpx
import pytest

from external.upstream import Upstream

pytestmark = pytest.mark.anyio
BASE = "/api/servers/hub/external-sources"


async def test_an_admin_adds_discovers_imports_checks_and_removes_a_source(
    api: httpx.AsyncClient, allowed_server: str, upstream: Upstream
) -> None:
    added = await api.post(BASE, json={"name": "up", "url": upstream.url})
    discovered = await api.get(f"{BASE}/up/tools")
    imported = await api.post(f"{BASE}/up/import", json={"tools": ["add"]})
    healthy = await api.post(f"{BASE}/up/health-check")
    await upstream.stop()
    unhealthy = await api.post(f"{BASE}/up/health-check")
    await upstream.start()
    listed = await api.get(BASE)
    removed = await api.delete(f"{BASE}/up")
    tools_after = await api.get("/api/servers/hub/tools")

    assert added.status_code == 201, added.text
    assert [tool["local_name"] for tool in discovered.json()["tools"]] == [
        "add", "shout_text", "broken",
    ]  # fmt: skip
    assert [tool["status"] for tool in imported.json()["tools"]] == ["pending_review"]
    assert healthy.json()["health"] == "healthy"
    assert unhealthy.json()["health"] == "unhealthy"
    assert unhealthy.json()["last_error"]
    assert [source["tools"] for source in listed.json()] == [["add"]]
    assert removed.status_code == 204
    assert tools_after.json()["items"] == []


async def test_a_bad_source_is_refused_with_every_problem_named(
    api: httpx.AsyncClient, allowed_server: str
) -> None:
    refused = await api.post(
        BASE,
        json={"name": "Bad Name", "url": "http://169.254.169.254/mcp", "auth": "bearer"},
    )

    assert refused.status_code == 422
    fields = {detail["field"] for detail in refused.json()["error"]["details"]}
    assert fields == {"name", "url", "secret_key"}
