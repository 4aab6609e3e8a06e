"""/servers/{server}/secrets: keys listed, values set and deleted, and never returned."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from api_setup import add_server
from polybox.forge.secrets import server_secrets
from polybox.instance import Instance
from polybox.store.models import Server

pytestmark = pytest.mark.anyio
Headers = dict[str, str]
SECRETS = "/api/servers/weather/secrets"
VALUE = "sk-very-secret-4711"


@pytest.fixture
async def weather(instance: Instance) -> None:
    await add_server(instance)


@pytest.mark.usefixtures("weather")
async def test_a_value_is_stored_encrypted_and_never_appears_in_a_response(
    api: httpx.AsyncClient, admin_headers: Headers, instance: Instance
) -> None:
    placeholder = await api.post(
        SECRETS, json={"key": "API_KEY", "description": "forecast key"}, headers=admin_headers
    )
    assert placeholder.status_code == 201
    assert placeholder.json()["has_value"] is False
    responses = [
        await api.put(f"{SECRETS}/API_KEY", json={"value": VALUE}, headers=admin_headers),
        await api.put(
            f"{SECRETS}/OTHER", json={"value": VALUE, "raw": True}, headers=admin_headers
        ),
        await api.get(SECRETS, headers=admin_headers),
        await api.get("/api/servers/weather", headers=admin_headers),
    ]
    assert all(response.status_code == 200 for response in responses)
    assert all(VALUE not in response.text for response in responses)
    assert responses[0].json() == {
        "key": "API_KEY",
        "description": "forecast key",
        "has_value": True,
        "raw": False,
        "updated_at": responses[0].json()["updated_at"],
    }
    listed = responses[2].json()
    assert [(s["key"], s["has_value"], s["raw"]) for s in listed["items"]] == [
        ("API_KEY", True, False),
        ("OTHER", True, True),
    ]
    async with instance.sessions() as session:
        server_id = await session.scalar(select(Server.id).where(Server.name == "weather"))
        assert server_id is not None
        stored, raw = await server_secrets(session, instance.secret_box, server_id)
    assert stored == {"API_KEY": VALUE, "OTHER": VALUE}
    assert raw == {"OTHER"}


@pytest.mark.usefixtures("weather")
async def test_a_deleted_secret_is_gone_and_deleting_it_again_is_404(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    await api.put(f"{SECRETS}/API_KEY", json={"value": VALUE}, headers=admin_headers)
    deleted = await api.delete(f"{SECRETS}/API_KEY", headers=admin_headers)
    assert deleted.status_code == 204
    assert (await api.get(SECRETS, headers=admin_headers)).json()["total"] == 0
    again = await api.delete(f"{SECRETS}/API_KEY", headers=admin_headers)
    assert again.status_code == 404


@pytest.mark.usefixtures("weather")
async def test_bad_keys_values_and_duplicates_are_refused(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    bad = await api.put(f"{SECRETS}/lower", json={"value": ""}, headers=admin_headers)
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"key", "value"}
    missing = await api.put(f"{SECRETS}/API_KEY", json={}, headers=admin_headers)
    assert [d["field"] for d in missing.json()["error"]["details"]] == ["body.value"]
    await api.post(SECRETS, json={"key": "API_KEY"}, headers=admin_headers)
    taken = await api.post(SECRETS, json={"key": "API_KEY"}, headers=admin_headers)
    assert taken.status_code == 409


async def test_secrets_of_unknown_servers_are_404_and_need_an_admin(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    listed = await api.get("/api/servers/nope/secrets", headers=admin_headers)
    assert listed.status_code == 404
    put = await api.put(
        "/api/servers/nope/secrets/API_KEY", json={"value": VALUE}, headers=admin_headers
    )
    assert put.status_code == 404
    anonymous = await api.put("/api/servers/nope/secrets/API_KEY", json={"value": VALUE})
    assert anonymous.status_code == 401
