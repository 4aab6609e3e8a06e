"""API tokens with the `admin` scope script the admin API; the activity log names the token.

The README's `curl` example runs as written (real curl, the real app served by uvicorn on
127.0.0.1), with the token it says to export.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import select

from mcp_clients import serving
from polybox.app import create_app
from polybox.instance import Instance
from polybox.store.models import ActivityLog, ApiToken

# SQLite only: who may use /api does not depend on the store.
pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
README = Path(__file__).resolve().parents[2] / "README.md"
DOCUMENTED_URL = "http://127.0.0.1:8765"


async def new_token(api: httpx.AsyncClient, headers: dict[str, str], *scopes: str) -> str:
    body = {"name": f"script {'+'.join(scopes)}", "scopes": list(scopes)}
    response = await api.post("/api/tokens", headers=headers, json=body)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


async def actors_of(instance: Instance, action: str) -> list[str]:
    async with instance.sessions() as session:
        query = select(ActivityLog.actor_name).where(ActivityLog.action == action)
        return list((await session.scalars(query)).all())


def readme_example() -> str:
    """The shell block after "Scripts use an API token" in the README."""
    section = README.read_text(encoding="utf-8").split("Scripts use an API token", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


async def test_an_admin_token_works_on_the_api_and_is_named_in_the_activity_log(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str]
) -> None:
    token = await new_token(api, admin_headers, "admin")
    headers = {"Authorization": f"Bearer {token}"}

    listed = await api.get("/api/servers", headers=headers)
    created = await api.post("/api/servers", headers=headers, json={"name": "weather"})
    me = await api.get("/api/auth/me", headers=headers)
    logout = await api.post("/api/auth/logout", headers=headers)
    async with instance.sessions() as session:
        row = await session.scalar(select(ApiToken).where(ApiToken.name == "script admin"))

    assert listed.status_code == 200, listed.text
    assert created.status_code == 201, created.text
    assert me.json()["username"] == "alice"  # the token acts for the admin who created it
    assert row is not None
    assert row.last_used_at is not None
    assert await actors_of(instance, "server.created") == [
        f"script admin (API token {row.prefix}…)"
    ]
    assert logout.status_code == 403  # a token has no login session to end
    assert "log in at /api/auth/login" in logout.json()["error"]["message"]


async def test_a_token_without_the_admin_scope_is_a_clear_403_and_a_revoked_one_a_401(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    calling = await new_token(api, admin_headers, "tools:call", "forge:write")
    revoked = await new_token(api, admin_headers, "admin")
    tokens = (await api.get("/api/tokens", headers=admin_headers)).json()["items"]
    await api.post(f"/api/tokens/{tokens[0]['id']}/revoke", headers=admin_headers)

    answers = [
        await api.get("/api/servers", headers={"Authorization": f"Bearer {token}"})
        for token in (calling, revoked, "pbx_unknown")
    ]

    assert [answer.status_code for answer in answers] == [403, 401, 401]
    forbidden: dict[str, Any] = answers[0].json()["error"]
    assert forbidden["type"] == "forbidden"
    assert "has the scopes forge:write, tools:call" in forbidden["message"]
    assert "needs a token with the 'admin' scope" in forbidden["message"]
    for answer in answers[1:]:
        assert "API token is unknown, revoked or expired" in answer.json()["error"]["message"]


async def test_the_readme_curl_example_runs_as_documented(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str]
) -> None:
    token = await new_token(api, admin_headers, "admin")
    script = readme_example()
    assert DOCUMENTED_URL in script
    async with serving(create_app(instance), "127.0.0.1") as mcp_url:
        served = script.replace(DOCUMENTED_URL, mcp_url.removesuffix("/mcp"))
        # The documented `export POLYBOX_TOKEN=pbx_…` line stands for the real token.
        environment = {**os.environ, "POLYBOX_TOKEN": token}
        lines = [line for line in served.splitlines() if not line.startswith("export ")]
        ran = await anyio.run_process(
            ["bash", "-euo", "pipefail", "-c", "\n".join(lines)], env=environment, check=False
        )

    assert ran.returncode == 0, ran.stderr.decode()
    assert ran.stdout.decode().startswith('{"items":[]')  # the list, then the created server
    assert '"name":"weather","description":"Forecasts"' in ran.stdout.decode()
    assert len(await actors_of(instance, "server.created")) == 1
