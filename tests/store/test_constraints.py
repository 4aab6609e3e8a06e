"""The database itself enforces names, cascades, set-null on logs, states and aware times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.store.enums import ExecutionStatus, Requester, VersionAuthor
from polybox.store.models import (
    AdminUser,
    ApiToken,
    ExecutionLog,
    ExternalSource,
    ModuleRequest,
    NetworkRequest,
    Server,
    ServerSecret,
    Tool,
    ToolVersion,
)

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio

CHILD_MODELS = [Tool, ToolVersion, ServerSecret, ExternalSource, NetworkRequest, ModuleRequest]
NONE_LEFT = {model.__name__: 0 for model in CHILD_MODELS}
ONE_SERVER_LEFT = {model.__name__: 1 for model in CHILD_MODELS} | {"ToolVersion": 2}


def _version(number: int) -> ToolVersion:
    return ToolVersion(number=number, code="pass", code_sha256="0" * 64, author=VersionAuthor.LLM)


async def _server_with_everything(session: AsyncSession, name: str = "weather") -> Server:
    """A server with a tool (two versions, one approved), a secret, a source and requests."""
    server = Server(name=name)
    tool = Tool(name="get_current", versions=[_version(1), _version(2)])
    server.tools.append(tool)
    server.secrets.append(ServerSecret(key="KEY"))
    session.add(server)
    await session.flush()
    tool.approved_version = tool.versions[0]
    session.add_all(
        [
            ExternalSource(server_id=server.id, name="gh", url="https://example.com/mcp"),
            NetworkRequest(server_id=server.id, host="example.com", requested_by=Requester.LLM),
            ModuleRequest(server_id=server.id, module="numpy", requested_by=Requester.LLM),
            ExecutionLog(
                server_id=server.id,
                tool_id=tool.id,
                server_name=server.name,
                tool_name=tool.name,
                status=ExecutionStatus.OK,
                duration_ms=1.0,
            ),
        ]
    )
    await session.commit()
    return server


async def _counts(session: AsyncSession) -> dict[str, int]:
    return {
        model.__name__: await session.scalar(select(func.count()).select_from(model)) or 0
        for model in CHILD_MODELS
    }


async def _commit_fails(sessions: Sessions, *rows: object) -> None:
    async with sessions() as session:
        session.add_all(rows)
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_server_names_are_unique(sessions: Sessions) -> None:
    await _commit_fails(sessions, Server(name="weather"), Server(name="weather"))


async def test_tool_names_are_unique_per_server_only(sessions: Sessions) -> None:
    async with sessions() as session:
        session.add_all(
            [Server(name="a", tools=[Tool(name="get")]), Server(name="b", tools=[Tool(name="get")])]
        )
        await session.commit()

    await _commit_fails(sessions, Server(name="c", tools=[Tool(name="get"), Tool(name="get")]))


async def test_version_numbers_are_unique_per_tool(sessions: Sessions) -> None:
    tool = Tool(name="get", versions=[_version(1), _version(1)])
    await _commit_fails(sessions, Server(name="a", tools=[tool]))


async def test_secret_keys_are_unique_per_server(sessions: Sessions) -> None:
    secrets = [ServerSecret(key="KEY"), ServerSecret(key="KEY")]
    await _commit_fails(sessions, Server(name="a", secrets=secrets))


async def test_token_hashes_are_unique(sessions: Sessions) -> None:
    await _commit_fails(
        sessions,
        ApiToken(name="a", token_hash="h", prefix="p"),
        ApiToken(name="b", token_hash="h", prefix="p"),
    )


async def test_deleting_a_server_through_the_orm_cascades_to_everything_it_owns(
    sessions: Sessions,
) -> None:
    async with sessions() as session:
        doomed = await _server_with_everything(session, "doomed")
        await _server_with_everything(session, "kept")
        await session.delete(doomed)
        await session.commit()

        assert await _counts(session) == ONE_SERVER_LEFT


async def test_deleting_a_server_with_plain_sql_cascades_in_the_database(
    sessions: Sessions,
) -> None:
    async with sessions() as session:
        await _server_with_everything(session)
        await session.execute(text("DELETE FROM servers"))
        await session.commit()

        assert await _counts(session) == NONE_LEFT


async def test_execution_logs_outlive_their_tool_and_server_by_name(sessions: Sessions) -> None:
    async with sessions() as session:
        await _server_with_everything(session)
        await session.execute(delete(Tool))
        await session.commit()
        log = (await session.scalars(select(ExecutionLog))).one()
        assert (log.tool_id, log.tool_name) == (None, "get_current")
        assert log.server_id is not None

        await session.execute(delete(Server))
        await session.commit()
        orphan = (await session.scalars(select(ExecutionLog))).one()
        await session.refresh(orphan)
        assert (orphan.server_id, orphan.server_name) == (None, "weather")


async def test_deleting_an_admin_keeps_the_tokens_they_issued(sessions: Sessions) -> None:
    async with sessions() as session:
        admin = AdminUser(username="root", password_hash="x")
        session.add(admin)
        await session.flush()
        session.add(ApiToken(name="ci", token_hash="h", prefix="p", created_by_id=admin.id))
        await session.commit()
        await session.execute(delete(AdminUser))
        await session.commit()

        token = (await session.scalars(select(ApiToken))).one()
        await session.refresh(token)
        assert token.created_by_id is None


async def test_deleting_the_approved_version_clears_the_pointer(sessions: Sessions) -> None:
    async with sessions() as session:
        await _server_with_everything(session)
        await session.execute(delete(ToolVersion).where(ToolVersion.number == 1))
        await session.commit()

        approved = await session.scalar(select(Tool.approved_version_id))
        assert approved is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tools SET status = 'published'",
        "UPDATE servers SET status = 'paused'",
        "UPDATE network_requests SET port = 70000",
    ],
)
async def test_unknown_states_and_bad_ports_are_refused_by_the_database(
    sessions: Sessions, statement: str
) -> None:
    async with sessions() as session:
        await _server_with_everything(session)
        with pytest.raises(IntegrityError):
            await session.execute(text(statement))


async def test_an_unknown_state_is_refused_before_reaching_the_database(
    sessions: Sessions,
) -> None:
    async with sessions() as session:
        await _server_with_everything(session)
        with pytest.raises(StatementError, match="published"):
            await session.execute(update(Tool).values(status="published"))


async def test_naive_datetimes_are_refused(sessions: Sessions) -> None:
    async with sessions() as session:
        session.add(ApiToken(name="a", token_hash="h", prefix="p", expires_at=datetime(2030, 1, 1)))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.commit()


async def test_aware_datetimes_come_back_as_the_same_instant_in_utc(sessions: Sessions) -> None:
    oslo_noon = datetime(2030, 6, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    async with sessions() as session:
        session.add(ApiToken(name="a", token_hash="h", prefix="p", expires_at=oslo_noon))
        await session.commit()

    async with sessions() as session:
        expires = await session.scalar(select(ApiToken.expires_at))
    assert expires == oslo_noon
    assert expires is not None
    assert expires.tzinfo is UTC
    assert expires.hour == 10
