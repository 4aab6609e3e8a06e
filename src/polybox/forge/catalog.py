"""The forged tools clients can call now, read in one query and cached until something changes.

A tool is callable when its server is running, it is approved and enabled; what runs is its
approved version (code and schemas; for a passthrough tool, the remote definition an admin
approved). `tools/list` is answered from `ToolCatalog`, which the MCP
layer invalidates on tool, server, approval and resync events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.forge.names import public_tool_name
from polybox.store.enums import ServerStatus, ToolStatus
from polybox.store.models import Server, Tool, ToolVersion


@dataclass(frozen=True, slots=True)
class CallableTool:
    """One forged tool as clients see it and as the runner runs it (the approved version)."""

    public_name: str  # `<server>__<tool>`
    server_id: int
    server: str
    tool_id: int
    tool: str
    description: str
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any] | None
    annotations: Mapping[str, Any]
    version: int
    code: str


async def callable_tools(session: AsyncSession) -> list[CallableTool]:
    """Every callable tool, ordered by public name, in a single SELECT (no per-tool queries)."""
    query = (
        select(
            Server.id,
            Server.name,
            Tool.id,
            Tool.name,
            Tool.description,
            Tool.annotations,
            ToolVersion.number,
            ToolVersion.code,
            ToolVersion.input_schema,
            ToolVersion.output_schema,
        )
        .join(Server, Tool.server_id == Server.id)
        .join(ToolVersion, Tool.approved_version_id == ToolVersion.id)
        .where(
            Server.status == ServerStatus.RUNNING,
            Tool.status == ToolStatus.APPROVED,
            Tool.enabled.is_(True),
        )
        .order_by(Server.name, Tool.name)
    )
    return [
        CallableTool(
            public_name=public_tool_name(server, tool),
            server_id=server_id,
            server=server,
            tool_id=tool_id,
            tool=tool,
            description=description,
            input_schema=input_schema,
            output_schema=output_schema,
            annotations=annotations,
            version=number,
            code=code,
        )
        for (
            server_id,
            server,
            tool_id,
            tool,
            description,
            annotations,
            number,
            code,
            input_schema,
            output_schema,
        ) in (await session.execute(query)).all()
    ]


class ToolCatalog:
    """The callable tools, loaded once and kept until `invalidate()`.

    A load that overlaps an invalidation is returned to its caller but not kept, so a change
    announced while the store was being read is never hidden behind a stale cache.
    """

    def __init__(self) -> None:
        self._tools: tuple[CallableTool, ...] | None = None
        self._by_name: dict[str, CallableTool] = {}
        self._generation = 0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Forget the cached list; the next `get` reads the store again."""
        self._generation += 1
        self._tools = None

    async def get(self, sessions: async_sessionmaker[AsyncSession]) -> Sequence[CallableTool]:
        """The callable tools (one store query after an invalidation, none otherwise)."""
        if self._tools is not None:
            return self._tools
        async with self._lock:
            if self._tools is not None:
                return self._tools
            generation = self._generation
            async with sessions() as session:
                tools = tuple(await callable_tools(session))
            if generation == self._generation:
                self._tools = tools
                self._by_name = {tool.public_name: tool for tool in tools}
            return tools

    @property
    def snapshot(self) -> Sequence[CallableTool] | None:
        """The cached tools: the same object until the next invalidation; None when not loaded.

        Lets a caller keep something derived from the list (a rendered answer) exactly as long
        as the list itself is kept.
        """
        return self._tools

    def peek(self, public_name: str) -> CallableTool | None:
        """The cached tool named `public_name`, without reading the store.

        None when no such tool is cached, including right after an invalidation: for callers
        that must not wait (the SDK's synchronous schema lookup), never for a call decision.
        """
        if self._tools is None:
            return None
        return self._by_name.get(public_name)

    async def find(
        self, sessions: async_sessionmaker[AsyncSession], public_name: str
    ) -> CallableTool | None:
        """The callable tool named `public_name`, or None."""
        tools = await self.get(sessions)
        if tools is self._tools:
            return self._by_name.get(public_name)
        return next((tool for tool in tools if tool.public_name == public_name), None)
