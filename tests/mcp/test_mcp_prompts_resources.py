"""Prompts, resources and completion through the official MCP client, in both protocol eras.

Tools are forged as an LLM forges them (management tools over MCP) and approved as the admin
approves them (the approvals service); their calls are real sandbox runs whose execution logs
the review prompt and the log resources then show.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.shared.subscriptions import ResourceUpdated

from mcp_clients import Connect, client_for, serving
from polybox.app import create_app
from polybox.config import Settings
from polybox.forge import approvals
from polybox.forge.actors import admin
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.mcp.prompts import PROMPTS

pytestmark = pytest.mark.anyio

ERAS = ["legacy", "auto"]  # auto: server/discover, then 2026-07-28
DIVIDE = '''
async def main(a: int, b: int) -> dict:
    """Divide a by b."""
    print("dividing", a, "by", b)
    return {"q": a / b}
'''
HALF = 'async def main(a: int) -> dict:\n    """Halve a."""\n    return {"h": a / 2}\n'


async def ok(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    structured: dict[str, Any] = result.structured_content
    return structured


async def forge_divide(client: Client, instance: Instance, *, approve: bool) -> None:
    """`maths__divide`, created through MCP; approved and running when `approve`."""
    await ok(client, "polybox_create_server", {"name": "maths", "description": "arithmetic"})
    await ok(client, "polybox_create_tool", {"server": "maths", "name": "divide", "code": DIVIDE})
    if approve:
        await ok(client, "polybox_request_publish", {"server": "maths", "tool": "divide"})
        async with transaction(instance.sessions, instance.events) as session:
            await approvals.approve_tool(session, admin("root"), "maths", "divide")
        await ok(client, "polybox_start_server", {"server": "maths"})


def text_of(content: types.ContentBlock) -> str:
    if isinstance(content, types.TextContent):
        return content.text
    assert isinstance(content, types.EmbeddedResource), content
    assert isinstance(content.resource, types.TextResourceContents)
    return content.resource.text


@pytest.mark.parametrize("mode", ERAS)
async def test_the_three_prompts_are_listed_and_carry_the_goal_and_the_snippet(
    connect: Connect, mode: str
) -> None:
    snippet = "def area(r):\n    return 3.14159 * r * r"
    async with connect(mode=mode) as (client, _):
        assert client.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        assert client.server_capabilities.prompts is not None
        assert client.server_capabilities.resources is not None
        assert client.server_capabilities.completions is not None
        listed = (await client.list_prompts()).prompts
        workflow = await client.get_prompt("forge_workflow", {"goal": "convert currencies"})
        converted = await client.get_prompt(
            "snippet_to_tool", {"snippet": snippet, "server": "geometry"}
        )
    by_name = {prompt.name: prompt for prompt in listed}
    assert set(by_name) == {"forge_workflow", "snippet_to_tool", "review_tool_failures"}
    assert all(prompt.description for prompt in listed)
    review = by_name["review_tool_failures"].arguments
    assert review is not None
    assert [(a.name, a.required) for a in review] == [("tool", True)]
    workflow_text = text_of(workflow.messages[0].content)
    assert "polybox_request_publish" in workflow_text
    assert workflow_text.endswith("The tool to build: convert currencies")
    snippet_text = text_of(converted.messages[0].content)
    assert snippet in snippet_text
    assert "server 'geometry'" in snippet_text
    assert "async def main" in snippet_text


@pytest.mark.parametrize("mode", ERAS)
async def test_review_prompt_embeds_the_code_and_the_latest_failed_calls(
    connect: Connect, instance: Instance, mode: str
) -> None:
    async with connect(mode=mode) as (client, _):
        await forge_divide(client, instance, approve=True)
        failed = await client.call_tool("maths__divide", {"a": 1, "b": 0})
        assert failed.is_error
        await ok(client, "maths__divide", {"a": 6, "b": 3})
        await instance.runner.logs.drained()
        prompt = await client.get_prompt("review_tool_failures", {"tool": "maths__divide"})
    intro, source, logs = prompt.messages
    assert "`maths__divide` (approved) fails" in text_of(intro.content)
    assert isinstance(source.content, types.EmbeddedResource)
    assert source.content.resource.uri == "polybox://tools/maths/divide/source"
    assert text_of(source.content) == DIVIDE
    assert isinstance(logs.content, types.EmbeddedResource)
    calls = json.loads(text_of(logs.content))
    assert [call["status"] for call in calls] == ["ok", "error"]  # newest first
    assert "ZeroDivisionError" in calls[1]["error"]["type"]
    assert calls[1]["arguments"] == {"a": 1, "b": 0}


async def test_prompt_errors_say_what_to_send(connect: Connect) -> None:
    async with connect(mode="2026-07-28") as (client, _):
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("review_tool_failures", {})
        with pytest.raises(MCPError) as not_a_name:
            await client.get_prompt("review_tool_failures", {"tool": "divide"})
        with pytest.raises(MCPError) as unknown:
            await client.get_prompt("write_my_essay")
    assert missing.value.message == "prompt review_tool_failures needs argument(s): tool"
    assert "use '<server>__<tool>'" in not_a_name.value.message
    assert unknown.value.message.startswith("unknown prompt 'write_my_essay'; prompts/list shows")


@pytest.mark.parametrize("mode", ERAS)
async def test_resources_list_and_read_each_tools_source_and_schema_and_the_log_tails(
    connect: Connect, instance: Instance, mode: str
) -> None:
    async with connect(mode=mode) as (client, _):
        await forge_divide(client, instance, approve=True)
        listed = (await client.list_resources()).resources
        templates = (await client.list_resource_templates()).resource_templates
        await ok(client, "maths__divide", {"a": 9, "b": 3})
        await instance.runner.logs.drained()
        source = await client.read_resource("polybox://tools/maths/divide/source")
        schema = await client.read_resource("polybox://tools/maths/divide/schema")
        tool_log = await client.read_resource("polybox://tools/maths/divide/logs")
        server_log = await client.read_resource("polybox://servers/maths/logs")
    assert {(r.uri, r.mime_type) for r in listed} == {
        ("polybox://tools/maths/divide/source", "text/x-python"),
        ("polybox://tools/maths/divide/schema", "application/json"),
        ("polybox://servers/maths/logs", "application/json"),
    }
    assert {t.uri_template for t in templates} == {
        "polybox://tools/{server}/{tool}/source",
        "polybox://tools/{server}/{tool}/schema",
        "polybox://tools/{server}/{tool}/logs",
        "polybox://servers/{server}/logs",
    }
    assert text_of_resource(source) == DIVIDE
    described = json.loads(text_of_resource(schema))
    assert described["name"] == "maths__divide"
    assert described["description"] == "Divide a by b."
    assert described["input_schema"]["required"] == ["a", "b"]
    for log in (tool_log, server_log):
        (call,) = json.loads(text_of_resource(log))
        assert call["result"] == {"q": 3.0}
        assert call["stdout"] == "dividing 9 by 3\n"


def text_of_resource(result: types.ReadResourceResult) -> str:
    (contents,) = result.contents
    assert isinstance(contents, types.TextResourceContents)
    return contents.text


async def test_reading_what_does_not_exist_names_the_forms_or_the_missing_tool(
    connect: Connect, instance: Instance
) -> None:
    async with connect(mode="legacy") as (client, _):
        await forge_divide(client, instance, approve=False)
        with pytest.raises(MCPError) as foreign:
            await client.read_resource("file:///etc/passwd")
        with pytest.raises(MCPError) as missing:
            await client.read_resource("polybox://tools/maths/multiply/source")
    assert foreign.value.code == types.INVALID_PARAMS
    assert "polybox://tools/{server}/{tool}/source" in foreign.value.message
    assert missing.value.message.startswith("server 'maths' has no tool 'multiply'")


@pytest.mark.parametrize("mode", ERAS)
async def test_completion_offers_server_and_tool_names(
    connect: Connect, instance: Instance, mode: str
) -> None:
    template = types.ResourceTemplateReference(uri="polybox://tools/{server}/{tool}/source")
    async with connect(mode=mode) as (client, _):
        await forge_divide(client, instance, approve=False)
        await ok(client, "polybox_create_server", {"name": "mail"})
        servers = await client.complete(template, {"name": "server", "value": "ma"})
        tools = await client.complete(
            template, {"name": "tool", "value": ""}, context_arguments={"server": "maths"}
        )
        prompt_tools = await client.complete(
            types.PromptReference(name="review_tool_failures"), {"name": "tool", "value": "m"}
        )
        nothing = await client.complete(
            types.PromptReference(name="snippet_to_tool"), {"name": "snippet", "value": "x"}
        )
    assert servers.completion.values == ["mail", "maths"]
    assert tools.completion.values == ["divide"]
    assert prompt_tools.completion.values == ["maths__divide"]
    assert nothing.completion.values == []


async def test_a_new_tool_tells_handshake_clients_the_resource_list_changed(
    connect: Connect, instance: Instance
) -> None:
    async with connect(mode="legacy") as (client, notifications):
        assert client.server_capabilities.resources is not None
        assert client.server_capabilities.resources.list_changed is True
        await forge_divide(client, instance, approve=False)
        await notifications.wait_for("notifications/resources/list_changed")


async def test_a_handshake_subscriber_hears_when_the_tool_source_changes(
    connect: Connect, instance: Instance
) -> None:
    source = "polybox://tools/maths/divide/source"
    async with connect(mode="legacy") as (client, notifications):
        assert client.server_capabilities.resources is not None
        assert client.server_capabilities.resources.subscribe is True
        await forge_divide(client, instance, approve=False)
        with pytest.warns(MCPDeprecationWarning):
            await client.subscribe_resource(source)
        await ok(client, "polybox_update_tool", {"server": "maths", "tool": "divide", "code": HALF})
        await notifications.wait_for("notifications/resources/updated")
        with pytest.warns(MCPDeprecationWarning):
            await client.unsubscribe_resource(source)
        updated = [
            n for n in notifications.received if n.method == "notifications/resources/updated"
        ]
        await ok(
            client, "polybox_update_tool", {"server": "maths", "tool": "divide", "code": DIVIDE}
        )
        # list_changed follows the updates of the same change: none came for this one
        await notifications.wait_for("notifications/resources/list_changed", 3)
    assert {n.params.uri for n in updated} == {source}
    assert notifications.count("notifications/resources/updated") == len(updated)


async def test_a_2026_listener_hears_when_the_tool_source_changes(
    connect: Connect, instance: Instance
) -> None:
    source = "polybox://tools/maths/divide/source"
    async with connect(mode="auto") as (client, _):
        await forge_divide(client, instance, approve=False)
        async with client.listen(resource_subscriptions=[source]) as subscription:
            await ok(
                client, "polybox_update_tool", {"server": "maths", "tool": "divide", "code": HALF}
            )
            with anyio.fail_after(10):
                event = await anext(aiter(subscription))
    assert event == ResourceUpdated(source)


def test_every_prompt_argument_has_a_description() -> None:
    for prompt in PROMPTS:
        assert all(argument.description for argument in prompt.arguments), prompt.name


async def test_a_sessionless_handshake_client_is_told_why_it_cannot_subscribe(
    settings: Settings,
) -> None:
    sessionless = settings.model_copy(update={"mcp_stateless": True})
    async with (
        Instance.running(sessionless) as instance,
        serving(create_app(instance), "127.0.0.1") as url,
    ):
        client, _ = client_for(url, mode="legacy")
        async with client:
            with pytest.raises(MCPError) as refused, pytest.warns(MCPDeprecationWarning):
                await client.subscribe_resource("polybox://servers/maths/logs")
    assert refused.value.message.startswith("resources/subscribe needs a session")
