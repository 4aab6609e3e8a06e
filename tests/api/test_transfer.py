"""/api/export and /api/import: download, upload (JSON or multipart), trust, and refusals."""

from __future__ import annotations

import json

import httpx
import pytest

from api_setup import add_server, add_tool
from polybox.instance import Instance

pytestmark = pytest.mark.anyio


async def test_an_export_downloads_as_a_file_and_imports_back_once_the_server_is_gone(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str]
) -> None:
    await add_server(instance)
    await add_tool(instance, "weather", "forecast", publish=True)

    exported = await api.get("/api/export", params={"server": "weather"}, headers=admin_headers)
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith(
        'attachment; filename="polybox-weather-'
    )
    assert (await api.delete("/api/servers/weather", headers=admin_headers)).status_code == 204

    imported = await api.post("/api/import", content=exported.content, headers=admin_headers)

    assert imported.status_code == 201, imported.text
    assert imported.json()["servers"][0]["tools"] == {"forecast": "pending_review"}
    assert imported.json()["same_instance"] is True
    tools = await api.get("/api/servers/weather/tools", headers=admin_headers)
    assert [tool["name"] for tool in tools.json()["items"]] == ["forecast"]


async def test_an_export_can_be_uploaded_as_a_multipart_file(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str]
) -> None:
    await add_server(instance)
    exported = await api.get("/api/export", headers=admin_headers)
    await api.delete("/api/servers/weather", headers=admin_headers)

    files = {"file": ("export.json", exported.content, "application/json")}
    imported = await api.post("/api/import", files=files, headers=admin_headers)

    assert imported.status_code == 201, imported.text
    assert [server["name"] for server in imported.json()["servers"]] == ["weather"]


async def test_refused_imports_answer_with_the_reason(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str]
) -> None:
    await add_server(instance)
    document = (await api.get("/api/export", headers=admin_headers)).json()

    taken = await api.post("/api/import", json=document, headers=admin_headers)
    foreign = await api.post(
        "/api/import", json={**document, "key_fingerprint": "0" * 16}, headers=admin_headers
    )
    not_json = await api.post("/api/import", content=b"{nope", headers=admin_headers)

    assert taken.status_code == 409
    assert "server 'weather' already exists" in taken.json()["error"]["message"]
    assert foreign.status_code == 403
    assert "--trust" in foreign.json()["error"]["message"]
    assert not_json.status_code == 422
    assert "not valid JSON" in not_json.json()["error"]["message"]


async def test_trust_accepts_a_file_from_another_instance(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str]
) -> None:
    await add_server(instance)
    document = (await api.get("/api/export", headers=admin_headers)).json()
    await api.delete("/api/servers/weather", headers=admin_headers)
    foreign = json.dumps({**document, "key_fingerprint": "0" * 16})

    imported = await api.post(
        "/api/import", params={"trust": "true"}, content=foreign, headers=admin_headers
    )

    assert imported.status_code == 201, imported.text
    assert imported.json()["same_instance"] is False


async def test_export_and_import_need_an_admin(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/export")).status_code == 401
    assert (await api.post("/api/import", json={})).status_code == 401
