"""A store worth exporting, built through the forge services, and ways to compare stores.

`seed` makes two servers: `weather` (running; a tool approved at its version 2, a disabled draft
tool, a secret with a value, pending module and host requests, an external source with OAuth
state and a passthrough tool it serves) and `news` (stopped, one rejected tool). `snapshot`
reads everything an import must restore, without row ids.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from polybox.config import Settings
from polybox.crypto import SecretBox
from polybox.forge import approvals, requests, secrets, servers, tools
from polybox.forge.actors import admin, llm
from polybox.forge.external.gateway import SourceGateway
from polybox.forge.unit import transaction
from polybox.store.base import Base
from polybox.store.enums import SourceAuth, ToolKind
from polybox.store.models import (
    ExternalSource,
    ModuleRequest,
    NetworkRequest,
    Server,
    Tool,
)

Sessions = async_sessionmaker[AsyncSession]
ROOT = admin("root")
CLAUDE = llm("claude")
SECRET_VALUE = "sk-live-7d1e0c9b44f2a6"
OAUTH_STATE = b"oauth-refresh-token-3f9a2c"
SOURCE_HOST = "93.184.215.14"  # a public address: checking it needs no DNS


def url_checks(box: SecretBox) -> SourceGateway:
    """What an import checks external source URLs with; it never opens a session to a source."""
    return SourceGateway(box, Settings())


def code(body: str, doc: str = "Forecast for a city.") -> str:
    return f'async def main(city: str, days: int = 3) -> dict:\n    """{doc}"""\n    {body}\n'


async def seed(sessions: Sessions, box: SecretBox) -> None:
    """Two servers with tools in several states, versions, secrets, requests and a source."""
    async with transaction(sessions, None) as session:
        await servers.create_server(session, CLAUDE, "weather", "Forecasts")
        await servers.set_allowed_hosts(session, ROOT, "weather", ["api.weather.gov", SOURCE_HOST])
        await servers.set_allowed_modules(session, ROOT, "weather", ["yaml"])
        await tools.create_tool(session, CLAUDE, "weather", "forecast", code("return {}"))
        later = code("return {'days': days}")
        await tools.update_tool(session, CLAUDE, "weather", "forecast", code=later)
        await approvals.request_publish(session, CLAUDE, "weather", "forecast")
        await approvals.approve_tool(session, ROOT, "weather", "forecast", "looks fine")
        await tools.create_tool(
            session, CLAUDE, "weather", "radar", code("return {'r': 1}", "Radar image.")
        )
        await approvals.set_tool_enabled(session, ROOT, "weather", "radar", False)
        await secrets.create_secret_placeholder(session, CLAUDE, "weather", "API_KEY", "NWS key")
        await secrets.set_secret_value(session, ROOT, box, "weather", "API_KEY", value=SECRET_VALUE)
        await requests.request_module(session, CLAUDE, "weather", "toml_parser", "parse config")
        await requests.request_network_access(session, CLAUDE, "weather", "radar.example.com")
        await servers.start_server(session, CLAUDE, "weather")
        weather = await servers.find_server(session, "weather")
        upstream = ExternalSource(
            server_id=weather.id,
            name="upstream",
            url=f"https://{SOURCE_HOST}/mcp",
            auth_kind=SourceAuth.OAUTH,
            auth_secret_key="API_KEY",
            oauth_state_ciphertext=box.encrypt(
                OAUTH_STATE.decode(), server_id=weather.id, key="oauth"
            ),
        )
        session.add(upstream)
        await session.flush()
        session.add(
            Tool(
                server_id=weather.id,
                name="search",
                kind=ToolKind.PASSTHROUGH,
                external_source_id=upstream.id,
                remote_name="web-search",
                input_schema={"type": "object", "properties": {"q": {"type": "string"}}},
                annotations={"readOnlyHint": True},
            )
        )
        await servers.create_server(session, CLAUDE, "news", "Headlines")
        await tools.create_tool(
            session, CLAUDE, "news", "headlines", code("return {}", "Top headlines.")
        )
        await approvals.request_publish(session, CLAUDE, "news", "headlines")
        await approvals.reject_tool(session, ROOT, "news", "headlines", "needs a source list")


async def snapshot(sessions: Sessions) -> dict[str, Any]:
    """Everything an import restores, by server name, without ids or row timestamps."""
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(Server)
                .options(
                    selectinload(Server.tools).selectinload(Tool.versions),
                    selectinload(Server.secrets),
                )
                .order_by(Server.name)
            )
        ).all()
        found: dict[str, Any] = {}
        for row in rows:
            modules = await session.scalars(
                select(ModuleRequest).where(ModuleRequest.server_id == row.id)
            )
            hosts = await session.scalars(
                select(NetworkRequest).where(NetworkRequest.server_id == row.id)
            )
            query = select(ExternalSource).where(ExternalSource.server_id == row.id)
            sources = list(await session.scalars(query))
            names = {source.id: source.name for source in sources}
            found[row.name] = {
                "server": (row.description, row.status, row.allowed_hosts, row.allowed_modules),
                "tools": {tool.name: _tool(tool, names) for tool in row.tools},
                "secrets": sorted((s.key, s.description) for s in row.secrets),
                "modules": [(m.module, m.status, m.reason, m.requested_by) for m in modules],
                "hosts": [(h.host, h.port, h.status, h.requested_by) for h in hosts],
                "sources": [(s.name, s.url, s.auth_kind, s.auth_secret_key) for s in sources],
            }
        return found


def _tool(row: Tool, source_names: dict[int, str]) -> dict[str, Any]:
    numbers = {version.id: version.number for version in row.versions}
    return {
        "row": (row.description, row.kind, row.status, row.enabled, row.review_note),
        "schemas": (row.input_schema, row.output_schema, row.annotations),
        "source": (source_names.get(row.external_source_id or 0), row.remote_name),
        "current": numbers.get(row.current_version_id or 0),
        "approved": numbers.get(row.approved_version_id or 0),
        "versions": [
            (
                v.number,
                v.code,
                v.code_sha256,
                v.description,
                v.input_schema,
                v.output_schema,
                v.author,
                v.created_at,
            )
            for v in row.versions
        ],
    }


async def row_counts(sessions: Sessions) -> dict[str, int]:
    """Rows per table: what a refused import must leave unchanged."""
    async with sessions() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }
