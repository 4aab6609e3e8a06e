"""Rows and runners for the runner and log tests: tools inserted as they are stored, real pools."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Mapping, Set
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import Settings
from polybox.crypto import SecretBox
from polybox.forge.code import analyze_code
from polybox.forge.runner import ToolRunner
from polybox.sandbox.python import DEFAULT_ALLOWED_MODULES, PythonPool
from polybox.store.enums import ServerStatus, ToolStatus, VersionAuthor
from polybox.store.models import Server, ServerSecret, Tool, ToolVersion

BOX = SecretBox(os.urandom(32))


@asynccontextmanager
async def tool_runner(pool: PythonPool, data_dir: Path) -> AsyncIterator[ToolRunner]:
    """A runner on `pool` (2 s calls), closed (its waiting logs written) at the end."""
    settings = Settings(data_dir=data_dir, sandbox="bwrap", call_timeout_seconds=2.0)
    runner = ToolRunner(pool, BOX, settings)
    try:
        yield runner
    finally:
        await runner.close()


@dataclass(frozen=True)
class Added:
    server_id: int
    tool_id: int


async def add_tool(
    sessions: async_sessionmaker[AsyncSession],
    code: str,
    *,
    server: str = "weather",
    tool: str = "probe",
    status: ToolStatus = ToolStatus.APPROVED,
    running: bool = True,
    enabled: bool = True,
    secrets: Mapping[str, str] | None = None,
    raw: Set[str] = frozenset(),
    allowed_hosts: list[str] | None = None,
    allowed_modules: list[str] | None = None,
) -> Added:
    """A server (created if new) with one tool whose only version is current (and approved when
    `status` is approved), its schemas derived from `code` as the tool service derives them."""
    report = analyze_code(code, allowed_modules=DEFAULT_ALLOWED_MODULES, allowed_hosts=[])
    assert not report.errors, report.errors
    async with sessions() as session, session.begin():
        row = Server(
            name=server,
            status=ServerStatus.RUNNING if running else ServerStatus.STOPPED,
            allowed_hosts=allowed_hosts or [],
            allowed_modules=allowed_modules or [],
        )
        session.add(row)
        await session.flush()
        for key, value in (secrets or {}).items():
            blob = BOX.encrypt(value, server_id=row.id, key=key)
            session.add(ServerSecret(server_id=row.id, key=key, ciphertext=blob, raw=key in raw))
        added = Tool(
            server_id=row.id,
            name=tool,
            status=status,
            enabled=enabled,
            input_schema=report.input_schema or {},
            output_schema=report.output_schema,
        )
        session.add(added)
        await session.flush()
        version = ToolVersion(
            tool_id=added.id,
            number=1,
            code=code,
            code_sha256=hashlib.sha256(code.encode()).hexdigest(),
            input_schema=report.input_schema or {},
            output_schema=report.output_schema,
            author=VersionAuthor.LLM,
        )
        session.add(version)
        await session.flush()
        added.current_version_id = version.id
        if status is ToolStatus.APPROVED:
            added.approved_version_id = version.id
        return Added(server_id=row.id, tool_id=added.id)
