"""The callable-tool catalog: which tools clients see, one query for many tools, the cache."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from polybox.forge import approvals, tools
from polybox.forge.actors import admin, llm
from polybox.forge.catalog import ToolCatalog, callable_tools
from polybox.forge.servers import create_server, start_server
from polybox.forge.unit import transaction
from polybox.store.enums import ServerStatus, ToolStatus, VersionAuthor
from polybox.store.models import Server, Tool, ToolVersion

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio
ROOT = admin("root")
CLAUDE = llm("claude")
CODE = (
    'TOOL_ANNOTATIONS = {"readOnlyHint": True}\nasync def main(city: str) -> str:\n    """Now."""\n'
)


class QueryCounter:
    """Counts the SQL statements an engine sends (each is one round trip)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: Any) -> None:
        self.count += 1


@pytest.fixture
def queries(engine: AsyncEngine) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine.sync_engine, "before_cursor_execute", counter)


async def forged(sessions: Sessions, server: str, tool: str, *, approve: bool = True) -> None:
    """A tool made through the services, approved unless asked otherwise."""
    async with transaction(sessions, None) as session:
        await tools.create_tool(session, CLAUDE, server, tool, CODE)
        if approve:
            await approvals.request_publish(session, CLAUDE, server, tool)
            await approvals.approve_tool(session, ROOT, server, tool)


async def server_named(sessions: Sessions, name: str, *, running: bool = True) -> None:
    async with transaction(sessions, None) as session:
        await create_server(session, CLAUDE, name)
        if running:
            await start_server(session, CLAUDE, name)


async def listed(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return [tool.public_name for tool in await callable_tools(session)]


async def test_an_approved_tool_of_a_running_server_is_callable_with_its_approved_version(
    sessions: Sessions,
) -> None:
    await server_named(sessions, "weather")
    await forged(sessions, "weather", "now")
    async with sessions() as session:
        [tool] = await callable_tools(session)
    assert (tool.public_name, tool.server, tool.tool, tool.version) == (
        "weather__now",
        "weather",
        "now",
        1,
    )
    assert tool.code == CODE
    assert tool.description == "Now."
    assert tool.input_schema["required"] == ["city"]
    assert tool.output_schema is not None
    assert tool.output_schema["properties"]["result"] == {"type": "string"}
    assert tool.annotations == {"readOnlyHint": True}


async def test_drafts_disabled_tools_and_stopped_servers_are_not_callable(
    sessions: Sessions,
) -> None:
    await server_named(sessions, "weather")
    await server_named(sessions, "idle", running=False)
    await forged(sessions, "weather", "ok")
    await forged(sessions, "weather", "draft", approve=False)
    await forged(sessions, "weather", "off")
    await forged(sessions, "idle", "ok")
    async with transaction(sessions, None) as session:
        await approvals.set_tool_enabled(session, ROOT, "weather", "off", False)
    assert await listed(sessions) == ["weather__ok"]


async def test_a_changed_tool_leaves_the_catalog_until_approved_again(sessions: Sessions) -> None:
    await server_named(sessions, "weather")
    await forged(sessions, "weather", "now")
    async with transaction(sessions, None) as session:
        await tools.update_tool(session, CLAUDE, "weather", "now", code=CODE + "# v2\n")
    assert await listed(sessions) == []


async def add_many(sessions: Sessions, count: int) -> None:
    """`count` approved tools on one running server, written directly (services are slower)."""
    async with transaction(sessions, None) as session:
        server = Server(name="bulk", status=ServerStatus.RUNNING)
        rows = [
            Tool(server=server, name=f"t{n:03}", status=ToolStatus.APPROVED, description="d")
            for n in range(count)
        ]
        session.add_all(rows)
        await session.flush()
        versions = [
            ToolVersion(
                tool_id=row.id,
                number=1,
                code=CODE,
                code_sha256="0" * 64,
                input_schema={"type": "object", "properties": {"city": {"type": "string"}}},
                author=VersionAuthor.LLM,
            )
            for row in rows
        ]
        session.add_all(versions)
        await session.flush()
        for row, version in zip(rows, versions, strict=True):
            row.approved_version_id = row.current_version_id = version.id


async def test_five_hundred_tools_load_in_one_round_trip(
    sessions: Sessions, queries: QueryCounter
) -> None:
    """How long it takes is measured by bench/mcp_call.py (tools/list with 500 tools)."""
    await add_many(sessions, 500)
    async with sessions() as session:
        queries.count = 0
        found = await callable_tools(session)
    assert len(found) == 500
    assert queries.count == 1


async def test_the_cache_answers_without_the_store_until_invalidated(
    sessions: Sessions, queries: QueryCounter
) -> None:
    await server_named(sessions, "weather")
    await forged(sessions, "weather", "first")
    catalog = ToolCatalog()
    assert [tool.tool for tool in await catalog.get(sessions)] == ["first"]
    await forged(sessions, "weather", "second")
    queries.count = 0
    assert [tool.tool for tool in await catalog.get(sessions)] == ["first"]
    assert await catalog.find(sessions, "weather__first") is not None
    assert queries.count == 0
    catalog.invalidate()
    assert [tool.tool for tool in await catalog.get(sessions)] == ["first", "second"]
    assert queries.count == 1


async def test_a_load_overlapping_an_invalidation_is_not_kept(sessions: Sessions) -> None:
    await server_named(sessions, "weather")
    catalog = ToolCatalog()
    real = sessions

    class InvalidatingSessions:
        """Invalidates the catalog while it reads, as an event arriving mid-load would."""

        def __call__(self) -> AsyncSession:
            catalog.invalidate()
            return real()

    assert await catalog.get(InvalidatingSessions()) == ()  # type: ignore[arg-type]
    await forged(sessions, "weather", "now")
    assert [tool.tool for tool in await catalog.get(sessions)] == ["now"]
