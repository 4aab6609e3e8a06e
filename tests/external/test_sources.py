"""External sources as services: add, discover, import, approve, call, go down, come back.

Real upstream MCP servers (the `mcp` SDK on 127.0.0.1) and a real polybox instance, on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from external.conftest import ADMIN, BEARER_TOKEN
from external.upstream import Upstream
from polybox.forge import approvals, secrets
from polybox.forge.actors import llm
from polybox.forge.errors import InvalidInputError
from polybox.forge.external import passthrough, sources
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.store.enums import SourceAuth, SourceHealth, SourceTransport, ToolStatus
from polybox.store.models import ExecutionLog

pytestmark = pytest.mark.anyio
AGENT = llm("pytest-agent")


async def _add(
    instance: Instance,
    url: str,
    name: str = "up",
    *,
    transport: SourceTransport = SourceTransport.STREAMABLE_HTTP,
    auth: SourceAuth = SourceAuth.NONE,
    secret_key: str | None = None,
) -> None:
    async with transaction(instance.sessions, instance.events) as session:
        await sources.add_source(
            session,
            AGENT,
            instance.runner.external,
            "hub",
            name=name,
            url=url,
            transport=transport,
            auth=auth,
            secret_key=secret_key,
        )


async def _import_and_approve(instance: Instance, source: str, tools: list[str]) -> list[str]:
    imported = await passthrough.import_tools(
        instance.sessions, instance.events, AGENT, instance.runner.external,
        server="hub", source=source, tools=tools,
    )  # fmt: skip
    names = [tool.name for tool in imported.tools]
    assert {tool.status for tool in imported.tools} == {ToolStatus.PENDING_REVIEW}
    async with transaction(instance.sessions, instance.events) as session:
        for name in names:
            await approvals.approve_tool(session, ADMIN, "hub", name)
    return names


async def test_discovered_tools_are_imported_for_review_and_called_through_the_source(
    instance: Instance, allowed_server: str, upstream: Upstream
) -> None:
    await _add(instance, upstream.url)
    found = await passthrough.discover_tools(
        instance.sessions, instance.runner.external, "hub", "up"
    )
    assert {(t.remote_name, t.local_name) for t in found.tools} == {
        ("add", "add"), ("shout-Text", "shout_text"), ("broken", "broken"),
    }  # fmt: skip

    assert await _import_and_approve(instance, "up", ["add", "shout-Text"]) == [
        "add", "shout_text",
    ]  # fmt: skip
    added = await instance.runner.call_tool(
        instance.sessions, instance.events, AGENT, "hub__add", {"a": 2, "b": 3}
    )
    shouted = await instance.runner.call_tool(
        instance.sessions, instance.events, AGENT, "hub__shout_text", {"text": "hi"}
    )

    assert added.ok
    assert added.structured == {"sum": 5}
    assert shouted.ok
    assert shouted.structured == {"result": "HI"}
    await instance.runner.logs.flush()
    async with instance.sessions() as session:
        logged = (await session.scalars(select(ExecutionLog).order_by(ExecutionLog.id))).all()
    assert [(log.tool_name, log.status.value) for log in logged] == [
        ("add", "ok"), ("shout_text", "ok"),
    ]  # fmt: skip


async def test_a_source_going_down_gives_a_clean_error_and_coming_back_heals(
    instance: Instance, allowed_server: str, upstream: Upstream
) -> None:
    await _add(instance, upstream.url)
    await _import_and_approve(instance, "up", ["add"])
    ok = await instance.runner.call_tool(
        instance.sessions, instance.events, AGENT, "hub__add", {"a": 1, "b": 1}
    )
    assert ok.ok

    await upstream.stop()
    down = await instance.runner.call_tool(
        instance.sessions, instance.events, AGENT, "hub__add", {"a": 1, "b": 1}
    )
    assert not down.ok
    assert down.error is not None
    assert "external source 'up' is unreachable" in down.error
    async with instance.sessions() as session:
        (listed,) = await sources.list_sources(session, "hub")
    assert listed.health is SourceHealth.UNHEALTHY
    assert listed.last_error

    await upstream.start()
    back = await instance.runner.call_tool(
        instance.sessions, instance.events, AGENT, "hub__add", {"a": 4, "b": 4}
    )
    assert back.ok
    assert back.structured == {"sum": 8}
    async with instance.sessions() as session:
        (listed,) = await sources.list_sources(session, "hub")
    assert listed.health is SourceHealth.HEALTHY
    assert listed.last_error is None


async def test_sse_and_bearer_sources_are_called_like_streamable_http_ones(
    instance: Instance, allowed_server: str, sse_upstream: Upstream, bearer_upstream: Upstream
) -> None:
    async with transaction(instance.sessions, instance.events) as session:
        await secrets.create_secret_placeholder(session, AGENT, "hub", "UPSTREAM_TOKEN")
        await secrets.set_secret_value(
            session, ADMIN, instance.secret_box, "hub", "UPSTREAM_TOKEN", value=BEARER_TOKEN
        )
    await _add(instance, sse_upstream.url, "legacy", transport=SourceTransport.SSE)
    await _add(
        instance, bearer_upstream.url, "guarded", auth=SourceAuth.BEARER,
        secret_key="UPSTREAM_TOKEN",
    )  # fmt: skip
    await passthrough.import_tools(
        instance.sessions, instance.events, AGENT, instance.runner.external,
        server="hub", source="legacy", tools=["add"], names={"add": "legacy_add"},
    )  # fmt: skip
    await passthrough.import_tools(
        instance.sessions, instance.events, AGENT, instance.runner.external,
        server="hub", source="guarded", tools=["add"], names={"add": "guarded_add"},
    )  # fmt: skip
    async with transaction(instance.sessions, instance.events) as session:
        for name in ("legacy_add", "guarded_add"):
            await approvals.approve_tool(session, ADMIN, "hub", name)

    for name in ("hub__legacy_add", "hub__guarded_add"):
        outcome = await instance.runner.call_tool(
            instance.sessions, instance.events, AGENT, name, {"a": 20, "b": 22}
        )
        assert (outcome.ok, outcome.structured) == (True, {"sum": 42}), name


async def test_a_source_outside_the_servers_allowed_hosts_is_refused_when_added(
    instance: Instance, allowed_server: str
) -> None:
    with pytest.raises(InvalidInputError, match="not in this server's allowed hosts"):
        await _add(instance, "http://127.0.0.1:9/mcp")
