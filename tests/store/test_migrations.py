"""Migrations: they build exactly the models' schema and carry existing data forward."""

from __future__ import annotations

import logging
from pathlib import Path

import anyio
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import selectinload

from polybox.store.base import Base
from polybox.store.engine import create_engine, create_session_factory, store_url
from polybox.store.enums import ExecutionStatus, Requester, ServerStatus, ToolStatus
from polybox.store.errors import StoreUnavailable
from polybox.store.migrate import (
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
    upgrade_to_head,
)
from polybox.store.models import ExecutionLog, ModuleRequest, Server, Tool

CORE_TABLES = {
    "admin_users",
    "api_tokens",
    "settings",
    "servers",
    "tools",
    "tool_versions",
    "server_secrets",
}
GOVERNANCE_TABLES = {
    "module_requests",
    "network_requests",
    "external_sources",
    "execution_logs",
    "activity_log",
}
SESSION_TABLES = {"admin_sessions"}
OAUTH_TABLES = {"oauth_clients", "oauth_pending_requests", "oauth_codes", "oauth_tokens"}
OIDC_TABLES = {"oidc_identities"}
EXTERNAL_OAUTH_TABLES = {"external_oauth_flows"}
SNIPPET_TABLES = {"snippet_runs"}
WORKSPACE_TABLES = {"workspaces"}

# Rows as an operator's 0001-era database would hold them, written without the ORM.
CORE_ROWS = [
    "INSERT INTO admin_users (username, password_hash) VALUES ('root', '$argon2id$v=19$m=65536')",
    "INSERT INTO servers (name, description, status, allowed_hosts) "
    "VALUES ('weather', 'Weather tools', 'running', '[\"api.example.com:443\"]')",
    "INSERT INTO tools (server_id, name, description, status, input_schema) "
    "SELECT id, 'get_current', 'Current weather', 'approved', "
    "'{\"type\": \"object\"}' FROM servers WHERE name = 'weather'",
    "INSERT INTO tool_versions (tool_id, number, code, code_sha256, author) "
    "SELECT id, 1, 'async def main(): return {}', 'ab12', 'llm' FROM tools",
    "UPDATE tools SET current_version_id = (SELECT id FROM tool_versions), "
    "approved_version_id = (SELECT id FROM tool_versions)",
    "INSERT INTO server_secrets (server_id, key) SELECT id, 'WEATHER_KEY' FROM servers",
    "INSERT INTO settings (key, value, updated_by) VALUES ('pool_size', '4', 'root')",
]


def _fresh_sqlite(tmp_path: Path) -> URL:
    return store_url(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> URL:
    """A database polybox has never touched, on each backend."""
    if request.param == "sqlite":
        return _fresh_sqlite(tmp_path)
    url: URL = request.getfixturevalue("pg_url")
    return url


async def _tables(url: URL) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def _execute(url: URL, *statements: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_upgrade_from_core_keeps_existing_rows_and_adds_working_tables(
    empty_url: URL,
) -> None:
    await upgrade(empty_url, "0001")
    assert await _tables(empty_url) == CORE_TABLES
    await _execute(empty_url, *CORE_ROWS)

    await upgrade_to_head(empty_url)

    assert await _tables(empty_url) == (
        CORE_TABLES
        | GOVERNANCE_TABLES
        | SESSION_TABLES
        | OAUTH_TABLES
        | OIDC_TABLES
        | EXTERNAL_OAUTH_TABLES
        | SNIPPET_TABLES
        | WORKSPACE_TABLES
    )
    engine = create_engine(empty_url)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as session:
            server = await session.scalar(
                select(Server).options(selectinload(Server.tools).selectinload(Tool.versions))
            )
            assert server is not None
            assert server.status is ServerStatus.RUNNING
            assert server.allowed_hosts == ["api.example.com:443"]
            assert server.created_at.tzinfo is not None
            (tool,) = server.tools
            assert tool.status is ToolStatus.APPROVED
            assert tool.enabled is True
            assert tool.input_schema == {"type": "object"}
            assert tool.approved_version_id == tool.versions[0].id
            session.add_all(
                [
                    ExecutionLog(
                        server_id=server.id,
                        tool_id=tool.id,
                        server_name=server.name,
                        tool_name=tool.name,
                        status=ExecutionStatus.OK,
                        arguments={"city": "Oslo"},
                        result={"temp": 3},
                        duration_ms=4.2,
                    ),
                    ModuleRequest(server_id=server.id, module="numpy", requested_by=Requester.LLM),
                ]
            )
            await session.commit()
            log = await session.scalar(select(ExecutionLog))
            assert log is not None
            assert log.result == {"temp": 3}
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_downgrade_to_core_keeps_core_rows_and_upgrade_restores_head(
    empty_url: URL,
) -> None:
    await upgrade_to_head(empty_url)
    await _execute(empty_url, *CORE_ROWS)

    await downgrade(empty_url, "0001")
    assert await current_revision(empty_url) == "0001"
    assert await _tables(empty_url) == CORE_TABLES

    await upgrade_to_head(empty_url)
    assert await current_revision(empty_url) == head_revision()
    await downgrade(empty_url, "base")
    assert await _tables(empty_url) == set()
    assert await current_revision(empty_url) is None


def _schema_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


@pytest.mark.anyio
async def test_models_match_the_migrated_schema_exactly(db_url: URL) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_schema_diff) == []
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_upgrade_at_head_is_a_no_op(db_url: URL) -> None:
    await upgrade_to_head(db_url)

    assert await current_revision(db_url) == head_revision() == "0012"


@pytest.mark.anyio
@pytest.mark.postgres
async def test_replicas_starting_together_migrate_once_without_racing(pg_url: URL) -> None:
    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(upgrade_to_head, pg_url)

    assert await current_revision(pg_url) == head_revision()


@pytest.mark.anyio
async def test_a_store_migrated_by_a_newer_polybox_is_refused_with_one_line(db_url: URL) -> None:
    await _execute(db_url, "UPDATE alembic_version SET version_num = '0099'")

    with pytest.raises(StoreUnavailable, match="revision '0099', newer than this polybox knows"):
        await upgrade_to_head(db_url)


@pytest.mark.anyio
async def test_migrations_leave_the_process_logging_configuration_alone(tmp_path: Path) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    existing = logging.getLogger("polybox.test.existing")

    await upgrade_to_head(_fresh_sqlite(tmp_path))

    assert root.handlers == handlers
    assert root.level == level
    assert existing.disabled is False


@pytest.mark.anyio
async def test_alembic_command_line_path_migrates_on_its_own_engine(tmp_path: Path) -> None:
    """Developers point `alembic` at the package; env.py then opens its own async engine."""
    url = _fresh_sqlite(tmp_path)

    await anyio.to_thread.run_sync(command.upgrade, alembic_config(url), "head")

    assert await current_revision(url) == head_revision()
