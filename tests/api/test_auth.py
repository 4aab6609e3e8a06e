"""Admin authentication over the real API: setup, login, tokens, refresh, logout, rate limits."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import jwt
import pytest
from sqlalchemy import func, select

from polybox.api.deps import signing_key
from polybox.app import create_app
from polybox.auth.access import ALGORITHM, issue_access_token
from polybox.auth.admins import create_admin
from polybox.instance import Instance
from polybox.store.models import ActivityLog, AdminUser

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery"
LogIn = Callable[[str, str], Awaitable[dict[str, Any]]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _add_admin(instance: Instance, username: str, password: str = PASSWORD) -> int:
    async with instance.sessions.begin() as session:
        return (await create_admin(session, username, password)).id


async def _actions(instance: Instance) -> list[tuple[str, str, str]]:
    async with instance.sessions() as session:
        rows = await session.scalars(select(ActivityLog).order_by(ActivityLog.id))
        return [(row.actor_kind.value, row.actor_name, row.action) for row in rows]


def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="polybox"'
    assert response.json()["error"]["type"] == "unauthorized"


async def test_setup_creates_the_first_admin_once_then_answers_409(
    api: httpx.AsyncClient, instance: Instance, log_in: LogIn
) -> None:
    first = await api.post("/api/auth/setup", json={"username": "root", "password": PASSWORD})
    again = await api.post("/api/auth/setup", json={"username": "eve", "password": PASSWORD})

    assert first.status_code == 201
    assert first.json()["username"] == "root"
    assert again.status_code == 409
    assert again.json()["error"]["type"] == "conflict"
    tokens = await log_in("root", PASSWORD)
    me = await api.get("/api/auth/me", headers=bearer(tokens["access_token"]))
    assert me.json()["username"] == "root"
    assert ("admin", "root", "admin.setup") in await _actions(instance)


async def test_setup_refuses_a_weak_password_and_leaves_setup_open(api: httpx.AsyncClient) -> None:
    weak = await api.post("/api/auth/setup", json={"username": "root", "password": "short"})
    good = await api.post("/api/auth/setup", json={"username": "root", "password": PASSWORD})

    assert weak.status_code == 422
    assert "at least 12 characters" in weak.json()["error"]["message"]
    assert good.status_code == 201


async def test_login_issues_tokens_that_open_protected_routes_and_is_recorded(
    api: httpx.AsyncClient, instance: Instance, log_in: LogIn
) -> None:
    await _add_admin(instance, "alice")

    tokens = await log_in("alice", PASSWORD)

    assert tokens["token_type"] == "bearer"
    assert tokens["refresh_token"]
    me = await api.get("/api/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert me.json()["last_login_at"] is not None
    assert ("admin", "alice", "auth.login") in await _actions(instance)


async def test_wrong_password_and_unknown_user_get_the_same_answer(
    api: httpx.AsyncClient, instance: Instance
) -> None:
    await _add_admin(instance, "alice")

    wrong = await api.post("/api/auth/login", json={"username": "alice", "password": "x" * 12})
    unknown = await api.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})

    _assert_unauthorized(wrong)
    _assert_unauthorized(unknown)
    assert wrong.json() == unknown.json()
    failed = [action for action in await _actions(instance) if action[2] == "auth.login_failed"]
    assert len(failed) == 2


async def test_unauthenticated_request_to_a_protected_route_is_401(api: httpx.AsyncClient) -> None:
    for path in ("/api/auth/me", "/api/admins", "/api/tokens"):
        _assert_unauthorized(await api.get(path))


async def _live_session_id(tokens: dict[str, Any]) -> str:
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return str(claims["sid"])


async def test_expired_access_token_is_refused(
    api: httpx.AsyncClient, instance: Instance, log_in: LogIn
) -> None:
    admin_id = await _add_admin(instance, "alice")
    session_id = await _live_session_id(await log_in("alice", PASSWORD))
    past = datetime.now(UTC) - timedelta(minutes=16)
    token, _ = issue_access_token(
        signing_key(instance), admin_id=admin_id, username="alice", session_id=session_id, now=past
    )

    response = await api.get("/api/auth/me", headers=bearer(token))

    _assert_unauthorized(response)
    assert "expired" in response.json()["error"]["message"]


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_forged_tampered_and_foreign_audience_tokens_are_refused(
    api: httpx.AsyncClient, instance: Instance, log_in: LogIn
) -> None:
    admin_id = await _add_admin(instance, "alice")
    tokens = await log_in("alice", PASSWORD)
    session_id = await _live_session_id(tokens)
    other_key, _ = issue_access_token(
        b"k" * 32, admin_id=admin_id, username="alice", session_id=session_id
    )
    header, _, signature = tokens["access_token"].split(".")
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    tampered = f"{header}.{_segment({**claims, 'sub': '999'})}.{signature}"
    foreign = jwt.encode(
        {**claims, "aud": "some-other-service"}, signing_key(instance), algorithm=ALGORITHM
    )
    unsigned = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."

    for token in (other_key, tampered, foreign, unsigned):
        _assert_unauthorized(await api.get("/api/auth/me", headers=bearer(token)))
    assert (await api.get("/api/auth/me", headers=bearer(tokens["access_token"]))).is_success


async def test_refresh_rotates_the_refresh_token(
    api: httpx.AsyncClient, instance: Instance, log_in: LogIn
) -> None:
    await _add_admin(instance, "alice")
    first = await log_in("alice", PASSWORD)

    response = await api.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert await _live_session_id(second) == await _live_session_id(first)
    assert (await api.get("/api/auth/me", headers=bearer(second["access_token"]))).is_success
    third = await api.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200


async def test_reused_refresh_token_revokes_the_family_including_the_newer_tokens(
    api: httpx.AsyncClient, instance: Instance, log_in: LogIn
) -> None:
    await _add_admin(instance, "alice")
    stolen = await log_in("alice", PASSWORD)
    legit = (
        await api.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    ).json()
    other_session = await log_in("alice", PASSWORD)

    reuse = await api.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})

    _assert_unauthorized(reuse)
    assert "already used" in reuse.json()["error"]["message"]
    newer = await api.post("/api/auth/refresh", json={"refresh_token": legit["refresh_token"]})
    _assert_unauthorized(newer)
    _assert_unauthorized(await api.get("/api/auth/me", headers=bearer(legit["access_token"])))
    still = await api.get("/api/auth/me", headers=bearer(other_session["access_token"]))
    assert still.status_code == 200
    assert ("system", "system", "auth.refresh_reused") in await _actions(instance)


async def test_unknown_refresh_token_is_refused(api: httpx.AsyncClient) -> None:
    _assert_unauthorized(await api.post("/api/auth/refresh", json={"refresh_token": "nope"}))


async def test_logout_ends_the_session_for_access_and_refresh_tokens(
    api: httpx.AsyncClient, instance: Instance, log_in: LogIn
) -> None:
    await _add_admin(instance, "alice")
    tokens = await log_in("alice", PASSWORD)
    headers = bearer(tokens["access_token"])

    response = await api.post("/api/auth/logout", headers=headers)

    assert response.status_code == 204
    _assert_unauthorized(await api.get("/api/auth/me", headers=headers))
    refresh = await api.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    _assert_unauthorized(refresh)
    assert ("admin", "alice", "auth.logout") in await _actions(instance)


async def test_password_change_needs_the_current_password_and_ends_every_session(
    api: httpx.AsyncClient, instance: Instance, log_in: LogIn
) -> None:
    await _add_admin(instance, "alice")
    laptop = await log_in("alice", PASSWORD)
    phone = await log_in("alice", PASSWORD)
    new_password = "another long passphrase"

    refused = await api.post(
        "/api/auth/password",
        headers=bearer(laptop["access_token"]),
        json={"current_password": "not the password", "new_password": new_password},
    )
    changed = await api.post(
        "/api/auth/password",
        headers=bearer(laptop["access_token"]),
        json={"current_password": PASSWORD, "new_password": new_password},
    )

    assert refused.status_code == 403
    assert changed.status_code == 204
    for tokens in (laptop, phone):
        _assert_unauthorized(await api.get("/api/auth/me", headers=bearer(tokens["access_token"])))
        refresh = await api.post(
            "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        _assert_unauthorized(refresh)
    old = await api.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    _assert_unauthorized(old)
    assert (await log_in("alice", new_password))["access_token"]
    assert ("admin", "alice", "admin.password_changed") in await _actions(instance)


@pytest.fixture
async def clients(instance: Instance) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """Clients of one app (one login limiter) that connect from the address they are given."""
    app = create_app(instance)
    opened: list[httpx.AsyncClient] = []

    def client_from(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://polybox"))
        return opened[-1]

    yield client_from
    for client in opened:
        await client.aclose()


def _assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["error"]["type"] == "rate_limited"


async def test_five_failed_logins_per_username_then_429_even_from_new_addresses(
    instance: Instance, clients: Callable[[str], httpx.AsyncClient]
) -> None:
    await _add_admin(instance, "alice")
    wrong = {"username": "alice", "password": "wrong password!"}
    for attempt in range(5):
        response = await clients(f"10.0.0.{attempt}").post("/api/auth/login", json=wrong)
        _assert_unauthorized(response)

    right = {"username": "alice", "password": PASSWORD}
    limited = await clients("10.0.1.1").post("/api/auth/login", json=right)

    _assert_rate_limited(limited)
    other_user = await clients("10.0.1.1").post(
        "/api/auth/login", json={"username": "bob", "password": PASSWORD}
    )
    _assert_unauthorized(other_user)


async def test_five_failed_logins_per_address_then_429_for_any_username(
    instance: Instance, clients: Callable[[str], httpx.AsyncClient]
) -> None:
    await _add_admin(instance, "alice")
    attacker = clients("192.0.2.7")
    for attempt in range(5):
        guess = {"username": f"user{attempt}", "password": "password guess"}
        _assert_unauthorized(await attacker.post("/api/auth/login", json=guess))

    limited = await attacker.post(
        "/api/auth/login", json={"username": "alice", "password": PASSWORD}
    )

    _assert_rate_limited(limited)
    elsewhere = await clients("192.0.2.8").post(
        "/api/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    assert elsewhere.status_code == 200


async def test_successful_logins_do_not_count_towards_the_limit(
    instance: Instance, clients: Callable[[str], httpx.AsyncClient]
) -> None:
    await _add_admin(instance, "alice")
    client = clients("198.51.100.1")

    answers = [
        await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        for _ in range(7)
    ]

    assert [answer.status_code for answer in answers] == [200] * 7


async def test_concurrent_setups_create_exactly_one_admin(
    api: httpx.AsyncClient, instance: Instance
) -> None:
    statuses: list[int] = []

    async def attempt(username: str) -> None:
        response = await api.post(
            "/api/auth/setup", json={"username": username, "password": PASSWORD}
        )
        statuses.append(response.status_code)

    async with anyio.create_task_group() as group:
        for name in ("root", "eve", "mallory", "trent"):
            group.start_soon(attempt, name)

    assert sorted(statuses) == [201, 409, 409, 409]
    async with instance.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AdminUser)) == 1
