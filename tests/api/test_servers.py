"""/servers: CRUD, start/stop, allow-lists, list filters and sorting, and their errors."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio
Headers = dict[str, str]


async def create(api: httpx.AsyncClient, headers: Headers, name: str) -> httpx.Response:
    response = await api.post("/api/servers", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return response


async def test_every_server_route_needs_an_admin_token(api: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/api/servers"),
        ("POST", "/api/servers"),
        ("GET", "/api/servers/weather"),
        ("DELETE", "/api/servers/weather"),
        ("POST", "/api/servers/weather/start"),
        ("PUT", "/api/servers/weather/allowed-hosts"),
    ]:
        response = await api.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["type"] == "unauthorized"


async def test_a_server_is_created_described_started_stopped_and_deleted(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    created = (await create(api, admin_headers, "weather")).json()
    assert (created["status"], created["tool_counts"]["draft"]) == ("stopped", 0)
    patched = await api.patch(
        "/api/servers/weather", json={"description": "Rain"}, headers=admin_headers
    )
    assert patched.json()["description"] == "Rain"
    started = await api.post("/api/servers/weather/start", headers=admin_headers)
    assert started.json()["status"] == "running"
    fetched = await api.get("/api/servers/weather", headers=admin_headers)
    assert (fetched.json()["status"], fetched.json()["description"]) == ("running", "Rain")
    stopped = await api.post("/api/servers/weather/stop", headers=admin_headers)
    assert stopped.json()["status"] == "stopped"
    deleted = await api.delete("/api/servers/weather", headers=admin_headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    gone = await api.get("/api/servers/weather", headers=admin_headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["type"] == "not_found"


async def test_allowed_hosts_and_modules_are_replaced_and_bad_entries_listed(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    await create(api, admin_headers, "weather")
    hosts = await api.put(
        "/api/servers/weather/allowed-hosts",
        json={"hosts": ["API.example.com:443", "10.0.0.5"]},
        headers=admin_headers,
    )
    assert hosts.json()["allowed_hosts"] == ["10.0.0.5", "api.example.com:443"]
    modules = await api.put(
        "/api/servers/weather/allowed-modules", json={"modules": ["yaml"]}, headers=admin_headers
    )
    assert modules.json()["allowed_modules"] == ["yaml"]
    bad = await api.put(
        "/api/servers/weather/allowed-hosts",
        json={"hosts": ["ok.example.com", "bad host", "x:99999"]},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    assert [d["field"] for d in bad.json()["error"]["details"]] == ["hosts[1]", "hosts[2]"]


async def test_servers_are_filtered_sorted_and_paginated(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    for name in ("alpha_maps", "beta_maps", "gamma"):
        await create(api, admin_headers, name)
    await api.post("/api/servers/gamma/start", headers=admin_headers)
    listed = await api.get(
        "/api/servers",
        params={"name_contains": "maps", "sort": "-name", "page_size": 1},
        headers=admin_headers,
    )
    body = listed.json()
    assert [s["name"] for s in body["items"]] == ["beta_maps"]
    assert (body["total"], body["page"], body["page_size"], body["pages"]) == (2, 1, 1, 2)
    running = await api.get("/api/servers", params={"status": "running"}, headers=admin_headers)
    assert [s["name"] for s in running.json()["items"]] == ["gamma"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "query.page"),
        ({"page_size": 201}, "query.page_size"),
        ({"page_size": 0}, "query.page_size"),
        ({"sort": "size"}, "query.sort"),
        ({"status": "paused"}, "query.status"),
    ],
)
async def test_bad_list_parameters_are_422_naming_the_parameter(
    api: httpx.AsyncClient, admin_headers: Headers, params: dict[str, str | int], field: str
) -> None:
    response = await api.get("/api/servers", params=params, headers=admin_headers)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]


async def test_invalid_bodies_are_422_listing_every_bad_field(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    missing = await api.post("/api/servers", json={"colour": "red"}, headers=admin_headers)
    assert missing.status_code == 422
    assert {d["field"] for d in missing.json()["error"]["details"]} == {
        "body.name",
        "body.colour",
    }
    bad_name = await api.post(
        "/api/servers", json={"name": "Bad Name", "description": "x" * 5000}, headers=admin_headers
    )
    assert bad_name.status_code == 422
    assert {d["field"] for d in bad_name.json()["error"]["details"]} == {"name", "description"}


async def test_a_taken_name_is_a_conflict_and_unknown_servers_are_404(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    await create(api, admin_headers, "weather")
    again = await api.post("/api/servers", json={"name": "weather"}, headers=admin_headers)
    assert again.status_code == 409
    cases: list[tuple[str, str, dict[str, object] | None]] = [
        ("POST", "/api/servers/nope/start", None),
        ("PATCH", "/api/servers/nope", {"description": "x"}),
        ("DELETE", "/api/servers/nope", None),
        ("PUT", "/api/servers/nope/allowed-modules", {"modules": []}),
    ]
    for method, path, body in cases:
        response = await api.request(method, path, json=body, headers=admin_headers)
        assert response.status_code == 404, (method, path, response.text)
