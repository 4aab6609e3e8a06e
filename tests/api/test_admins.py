"""Several admins: list, create, disable; a disabled admin's sessions end at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from polybox.instance import Instance
from polybox.store.models import ActivityLog

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery"
LogIn = Callable[[str, str], Awaitable[dict[str, Any]]]


async def _create(api: httpx.AsyncClient, headers: dict[str, str], username: str) -> dict[str, Any]:
    response = await api.post(
        "/api/admins", headers=headers, json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_admin_creates_another_admin_attributed_to_them(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str], log_in: LogIn
) -> None:
    bob = await _create(api, admin_headers, "bob")

    assert bob["username"] == "bob"
    assert bob["disabled"] is False
    assert (await log_in("bob", PASSWORD))["access_token"]
    async with instance.sessions() as session:
        row = await session.scalar(select(ActivityLog).where(ActivityLog.action == "admin.created"))
    assert row is not None
    assert (row.actor_name, row.target_id) == ("alice", str(bob["id"]))


async def test_creating_a_taken_or_invalid_name_is_refused(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    taken = await api.post(
        "/api/admins", headers=admin_headers, json={"username": "alice", "password": PASSWORD}
    )
    invalid = await api.post(
        "/api/admins", headers=admin_headers, json={"username": "Bad Name", "password": PASSWORD}
    )
    weak = await api.post(
        "/api/admins", headers=admin_headers, json={"username": "bob", "password": "short"}
    )

    assert taken.status_code == 409
    assert invalid.status_code == 422
    assert "is invalid" in invalid.json()["error"]["message"]
    assert weak.status_code == 422


async def test_admins_are_listed_in_pages_sorted_and_filtered(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for name in ("carol", "bob"):
        await _create(api, admin_headers, name)

    first = await api.get(
        "/api/admins", headers=admin_headers, params={"page_size": 2, "sort": "-username"}
    )
    second = await api.get("/api/admins", headers=admin_headers, params={"page_size": 2, "page": 2})

    assert first.status_code == 200
    body = first.json()
    assert [item["username"] for item in body["items"]] == ["carol", "bob"]
    assert (body["total"], body["pages"]) == (3, 2)
    assert [item["username"] for item in second.json()["items"]] == ["carol"]
    disabled = await api.get("/api/admins", headers=admin_headers, params={"disabled": True})
    assert disabled.json()["total"] == 0


async def test_bad_pagination_and_sort_are_422_naming_the_field(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    too_big = await api.get("/api/admins", headers=admin_headers, params={"page_size": 201})
    bad_sort = await api.get("/api/admins", headers=admin_headers, params={"sort": "password"})

    assert too_big.status_code == 422
    assert too_big.json()["error"]["details"][0]["field"] == "page_size"
    assert bad_sort.status_code == 422
    assert bad_sort.json()["error"]["details"][0]["field"] == "sort"


async def test_disabling_an_admin_ends_their_sessions_and_logins(
    api: httpx.AsyncClient, admin_headers: dict[str, str], log_in: LogIn
) -> None:
    bob = await _create(api, admin_headers, "bob")
    bob_tokens = await log_in("bob", PASSWORD)
    bob_headers = {"Authorization": f"Bearer {bob_tokens['access_token']}"}
    assert (await api.get("/api/auth/me", headers=bob_headers)).status_code == 200

    response = await api.post(f"/api/admins/{bob['id']}/disable", headers=admin_headers)

    assert response.status_code == 200
    assert response.json()["disabled"] is True
    assert (await api.get("/api/auth/me", headers=bob_headers)).status_code == 401
    refresh = await api.post(
        "/api/auth/refresh", json={"refresh_token": bob_tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    login = await api.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
    assert login.status_code == 401
    assert (await api.get("/api/auth/me", headers=admin_headers)).status_code == 200


async def test_an_admin_cannot_disable_themself_and_unknown_ids_are_404(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    me = (await api.get("/api/auth/me", headers=admin_headers)).json()

    self_disable = await api.post(f"/api/admins/{me['id']}/disable", headers=admin_headers)
    unknown = await api.post("/api/admins/9999/disable", headers=admin_headers)

    assert self_disable.status_code == 409
    assert "your own account" in self_disable.json()["error"]["message"]
    assert unknown.status_code == 404
    assert (await api.get("/api/auth/me", headers=admin_headers)).status_code == 200


async def test_an_id_beyond_the_stores_integer_range_is_422_not_500(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for path in ("/api/admins/2147483648/disable", "/api/tokens/99999999999999999999/revoke"):
        response = await api.post(path, headers=admin_headers)
        assert response.status_code == 422, response.text
