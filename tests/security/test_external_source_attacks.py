"""Attacks through external MCP sources: the egress policy and secret handling hold.

A real polybox instance and a real upstream MCP server on 127.0.0.1 (tests/external/upstream.py).
The DNS rebinding test plays the resolver (the only fake: real DNS cannot be steered here), as
the egress broker's own rebinding tests do.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from external.conftest import ADMIN, allow_hosts
from external.upstream import Upstream
from polybox.forge import approvals, secrets
from polybox.forge import settings as forge_settings
from polybox.forge.actors import llm
from polybox.forge.errors import InvalidInputError
from polybox.forge.external import passthrough, sources
from polybox.forge.external.gateway import SourceGateway
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.store.enums import SourceAuth
from polybox.store.models import ActivityLog

pytestmark = pytest.mark.anyio
AGENT = llm("pytest-agent")


async def test_external_source_pointing_at_metadata_ip_is_refused(
    instance: Instance, allowed_server: str
) -> None:
    # The allow-list cannot hold a link-local address at all; "allow all public hosts" is the
    # widest policy there is, and it must still refuse the metadata service.
    async with transaction(instance.sessions, instance.events) as session:
        await forge_settings.update_settings(
            session, ADMIN, network_access_policy="allow_all_public"
        )
    async with transaction(instance.sessions, instance.events) as session:
        with pytest.raises(InvalidInputError, match="link-local") as refused:
            await sources.add_source(
                session, AGENT, instance.runner.external, "hub",
                name="metadata", url="http://169.254.169.254/latest/meta-data",
            )  # fmt: skip
    assert refused.value.fields[0].field == "url"
    async with instance.sessions() as session:
        assert await sources.list_sources(session, "hub") == []


async def test_external_source_dns_rebinding_at_call_time_is_refused(
    instance: Instance, allowed_server: str, named_upstream: Upstream
) -> None:
    upstream = named_upstream
    answers = {"rebind.test": "127.0.0.1"}

    async def resolver(host: str, port: int) -> list[str]:
        return [answers[host]]

    await instance.runner.external.close()
    instance.runner.external = SourceGateway(
        instance.secret_box, instance.settings, resolver=resolver
    )
    entry = f"rebind.test:{upstream.port}"
    await allow_hosts(instance, "hub", [entry])
    async with transaction(instance.sessions, instance.events) as session:
        await forge_settings.update_settings(session, ADMIN, private_hosts=["rebind.test"])
        await sources.add_source(
            session, AGENT, instance.runner.external, "hub",
            name="flip", url=f"http://{entry}/mcp",
        )  # fmt: skip
    await passthrough.import_tools(
        instance.sessions, instance.events, AGENT, instance.runner.external,
        server="hub", source="flip", tools=["add"],
    )  # fmt: skip
    async with transaction(instance.sessions, instance.events) as session:
        await approvals.approve_tool(session, ADMIN, "hub", "add")
    first = await instance.runner.call_tool(
        instance.sessions, instance.events, AGENT, "hub__add", {"a": 1, "b": 2}
    )
    assert first.structured == {"sum": 3}

    answers["rebind.test"] = "169.254.169.254"  # the name now points at the metadata service
    second = await instance.runner.call_tool(
        instance.sessions, instance.events, AGENT, "hub__add", {"a": 1, "b": 2}
    )

    assert not second.ok
    assert second.error is not None
    assert "refused by the egress policy" in second.error
    assert "169.254.169.254, a link-local address" in second.error


async def test_bearer_secret_never_returned_by_list_sources(
    instance: Instance, allowed_server: str, bearer_upstream: Upstream
) -> None:
    token = "upstream-s3cret-token"
    async with transaction(instance.sessions, instance.events) as session:
        await secrets.create_secret_placeholder(session, AGENT, "hub", "UPSTREAM_TOKEN")
        await secrets.set_secret_value(
            session, ADMIN, instance.secret_box, "hub", "UPSTREAM_TOKEN", value=token
        )
        await sources.add_source(
            session, AGENT, instance.runner.external, "hub",
            name="guarded", url=bearer_upstream.url, auth=SourceAuth.BEARER,
            secret_key="UPSTREAM_TOKEN",
        )  # fmt: skip
    discovered = await passthrough.discover_tools(
        instance.sessions, instance.runner.external, "hub", "guarded"
    )
    assert discovered.tools  # the token was sent: the guarded upstream answered

    async with instance.sessions() as session:
        listed = await sources.list_sources(session, "hub")
        activity = [row.details for row in (await session.scalars(select(ActivityLog))).all()]
    shown = json.dumps([source.model_dump(mode="json") for source in listed]) + json.dumps(activity)
    assert listed[0].auth_secret_key == "UPSTREAM_TOKEN"
    assert token not in shown
