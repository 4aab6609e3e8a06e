"""Every model round-trips through the store, with its defaults, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from polybox.store.enums import (
    ActorKind,
    AdminRole,
    ExecutionStatus,
    Requester,
    RequestStatus,
    ServerStatus,
    SourceAuth,
    SourceHealth,
    SourceTransport,
    ToolKind,
    ToolStatus,
    VersionAuthor,
)
from polybox.store.models import (
    ActivityLog,
    AdminUser,
    ApiToken,
    ExecutionLog,
    ExternalSource,
    ModuleRequest,
    NetworkRequest,
    Server,
    ServerSecret,
    Setting,
    Tool,
    ToolVersion,
)

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio


async def test_admin_and_token_round_trip_with_defaults(sessions: Sessions) -> None:
    expires = datetime(2030, 1, 1, 12, tzinfo=UTC)
    async with sessions() as session:
        admin = AdminUser(username="root", password_hash="$argon2id$v=19$...")
        session.add(admin)
        await session.flush()
        session.add(
            ApiToken(
                name="ci",
                token_hash="f" * 64,
                prefix="pbx_ab12",
                scopes=["mcp"],
                created_by_id=admin.id,
                expires_at=expires,
            )
        )
        await session.commit()

    async with sessions() as session:
        admin = (await session.scalars(select(AdminUser))).one()
        token = (await session.scalars(select(ApiToken))).one()
    assert (admin.role, admin.disabled, admin.last_login_at) == (AdminRole.ADMIN, False, None)
    assert admin.created_at.tzinfo is UTC
    assert (token.name, token.prefix, token.scopes) == ("ci", "pbx_ab12", ["mcp"])
    assert (token.created_by_id, token.expires_at, token.revoked_at) == (admin.id, expires, None)


async def test_setting_holds_any_json_value_and_tracks_its_update(sessions: Sessions) -> None:
    async with sessions() as session:
        session.add(Setting(key="limits", value={"calls": [1, 2], "on": True}, updated_by="root"))
        await session.commit()
        setting = await session.get(Setting, "limits")
        assert setting is not None
        first_update = setting.updated_at
        setting.value = 42
        await session.commit()

    async with sessions() as session:
        setting = await session.get(Setting, "limits")
    assert setting is not None
    assert setting.value == 42
    assert setting.updated_at > first_update


async def test_server_tool_and_versions_round_trip(sessions: Sessions) -> None:
    async with sessions() as session:
        server = Server(name="weather", allowed_hosts=["api.example.com", "api.example.com:8443"])
        tool = Tool(
            name="get_current",
            input_schema={"type": "object", "properties": {"city": {"type": "string"}}},
            annotations={"readOnlyHint": True},
        )
        server.tools.append(tool)
        first = ToolVersion(number=1, code="v1", code_sha256="a" * 64, author=VersionAuthor.LLM)
        second = ToolVersion(number=2, code="v2", code_sha256="b" * 64, author=VersionAuthor.ADMIN)
        tool.versions.extend([first, second])
        tool.current_version = second
        tool.approved_version = first
        server.secrets.append(ServerSecret(key="WEATHER_KEY", ciphertext=b"\x00nonce+ct\xff"))
        session.add(server)
        await session.commit()

    async with sessions() as session:
        loaded = await session.scalar(
            select(Server).options(
                selectinload(Server.secrets),
                selectinload(Server.tools).selectinload(Tool.versions),
                selectinload(Server.tools).selectinload(Tool.current_version),
                selectinload(Server.tools).selectinload(Tool.approved_version),
            )
        )
    assert loaded is not None
    assert (loaded.status, loaded.description, loaded.allowed_modules) == (
        ServerStatus.STOPPED,
        "",
        [],
    )
    assert loaded.allowed_hosts == ["api.example.com", "api.example.com:8443"]
    (tool,) = loaded.tools
    assert (tool.status, tool.kind, tool.enabled) == (ToolStatus.DRAFT, ToolKind.CODE, True)
    assert tool.input_schema["properties"] == {"city": {"type": "string"}}
    assert tool.annotations == {"readOnlyHint": True}
    assert tool.output_schema is None
    assert [v.number for v in tool.versions] == [1, 2]
    assert tool.current_version is not None
    assert tool.approved_version is not None
    assert (tool.current_version.code, tool.approved_version.code) == ("v2", "v1")
    assert [(s.key, s.ciphertext) for s in loaded.secrets] == [("WEATHER_KEY", b"\x00nonce+ct\xff")]


async def test_server_update_refreshes_updated_at_but_not_created_at(sessions: Sessions) -> None:
    async with sessions() as session:
        server = Server(name="weather")
        session.add(server)
        await session.commit()
        created, updated = server.created_at, server.updated_at
        server.status = ServerStatus.RUNNING
        await session.commit()

    assert server.created_at == created
    assert server.updated_at > updated


async def test_governance_rows_round_trip(sessions: Sessions) -> None:
    decided = datetime.now(UTC)
    async with sessions() as session:
        admin = AdminUser(username="root", password_hash="x")
        server = Server(name="weather")
        session.add_all([admin, server])
        await session.flush()
        session.add_all(
            [
                ModuleRequest(module="numpy", reason="maths", requested_by=Requester.LLM),
                NetworkRequest(
                    server_id=server.id,
                    host="api.example.com",
                    port=443,
                    requested_by=Requester.ADMIN,
                    status=RequestStatus.APPROVED,
                    decided_by_id=admin.id,
                    decided_at=decided,
                    decision_note="ok",
                ),
                ExternalSource(
                    server_id=server.id,
                    name="github",
                    url="https://mcp.example.com/mcp",
                    auth_kind=SourceAuth.BEARER,
                    auth_secret_key="GITHUB_TOKEN",
                ),
            ]
        )
        await session.commit()

    async with sessions() as session:
        module = (await session.scalars(select(ModuleRequest))).one()
        network = (await session.scalars(select(NetworkRequest))).one()
        source = (await session.scalars(select(ExternalSource))).one()
    assert (module.server_id, module.status, module.decided_by_id) == (
        None,
        RequestStatus.PENDING,
        None,
    )
    assert (network.host, network.port, network.status) == (
        "api.example.com",
        443,
        RequestStatus.APPROVED,
    )
    assert (network.decided_by_id, network.decided_at) == (admin.id, decided)
    assert (source.transport, source.auth_kind, source.health) == (
        SourceTransport.STREAMABLE_HTTP,
        SourceAuth.BEARER,
        SourceHealth.UNKNOWN,
    )
    assert (source.last_checked_at, source.oauth_state_ciphertext) == (None, None)


async def test_log_rows_round_trip_with_json_payloads(sessions: Sessions) -> None:
    async with sessions() as session:
        session.add_all(
            [
                ExecutionLog(
                    server_name="weather",
                    tool_name="get_current",
                    status=ExecutionStatus.ERROR,
                    arguments={"city": "Zürich"},
                    error={"type": "ValueError", "message": "bad city"},
                    stdout="debug line\n",
                    duration_ms=2.25,
                    client_id="claude-desktop",
                ),
                ActivityLog(
                    actor_kind=ActorKind.LLM,
                    actor_name="claude",
                    action="tool.create",
                    target_kind="tool",
                    target_id="7",
                    details={"name": "get_current"},
                ),
            ]
        )
        await session.commit()

    async with sessions() as session:
        execution = (await session.scalars(select(ExecutionLog))).one()
        activity = (await session.scalars(select(ActivityLog))).one()
    assert execution.arguments == {"city": "Zürich"}
    assert execution.error == {"type": "ValueError", "message": "bad city"}
    assert (execution.result, execution.duration_ms, execution.stdout) == (
        None,
        2.25,
        "debug line\n",
    )
    assert execution.created_at > datetime.now(UTC) - timedelta(minutes=1)
    assert (activity.actor_kind, activity.action, activity.details) == (
        ActorKind.LLM,
        "tool.create",
        {"name": "get_current"},
    )
