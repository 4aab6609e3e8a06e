"""The `dotnet_*` tools through the official MCP client: listing, and bad requests refused.

No .NET runs here: parameters are refused before the runtime or a workspace is asked, and the
runtime refuses a disabled version or a refused directive before it compiles. The store is
SQLite only: a refused call reaches no table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import jsonschema
import mcp_types as types
import pytest
from mcp import Client

from mcp_clients import call_checked as call
from mcp_clients import connected
from polybox.config import load_settings
from polybox.forge.actors import admin
from polybox.instance import Instance
from polybox.workspaces import live_settings

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
async def connection(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Client, Instance]]:
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("dotnet") / "data",
        dotnet_snippet_max_timeout_seconds=120,
        dotnet_versions=["10"],
        dotnet_prewarm_versions=[],
    )
    async with connected(settings) as both:
        yield both


@pytest.fixture
def client(connection: tuple[Client, Instance]) -> Client:
    return connection[0]


async def listed(client: Client, name: str) -> types.Tool:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    return tools[name]


async def test_both_tools_are_listed_with_an_object_output_schema(client: Client) -> None:
    for name in ("dotnet_execute_snippet", "dotnet_compare_versions"):
        tool = await listed(client, name)
        assert tool.output_schema is not None
        assert tool.output_schema["type"] == "object"
        assert tool.input_schema["required"] == ["code"]


# Each workspace tool and its behaviour hints: (read-only, destructive, idempotent).
WORKSPACE_TOOLS = {
    "dotnet_create_project": (False, False, False),
    "dotnet_add_file": (False, True, True),
    "dotnet_read_file": (True, False, True),
    "dotnet_get_project_files": (True, False, True),
    "dotnet_add_package": (False, False, True),
    "dotnet_build_project": (False, False, True),
    "dotnet_run_project": (False, False, False),
    "dotnet_execute_command": (False, False, False),
    "dotnet_run_background": (False, False, False),
    "dotnet_host_api": (False, False, False),
    "dotnet_test_endpoint": (False, False, False),
    "dotnet_get_logs": (True, False, True),
    "dotnet_kill_process": (False, True, True),
    "dotnet_list_containers": (True, False, True),
    "dotnet_stop_container": (False, True, True),
    "dotnet_cleanup_all": (False, True, True),
}


async def test_the_workspace_tools_are_listed_with_schemas_and_behaviour_hints(
    client: Client,
) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name, (read_only, destructive, idempotent) in WORKSPACE_TOOLS.items():
        tool = tools[name]
        assert tool.output_schema is not None
        assert tool.output_schema["type"] == "object"
        assert tool.annotations is not None
        hints = tool.annotations
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == (
            read_only,
            destructive,
            idempotent,
        ), name
        assert hints.open_world_hint is False
        properties = tool.input_schema.get("properties", {})
        for parameter, schema in properties.items():
            assert schema.get("description") or "$ref" in schema, (name, parameter)
        assert tool.input_schema.get("additionalProperties") is False, name
    assert tools["dotnet_test_endpoint"].input_schema["required"] == ["workspace_id", "path"]
    assert tools["dotnet_create_project"].input_schema["required"] == ["template"]


WORKSPACE = "dotnet8-webapi-3fa2c1"


@pytest.mark.parametrize(
    ("tool", "arguments", "bad"),
    [
        ("dotnet_execute_snippet", {}, ["code"]),
        ("dotnet_execute_snippet", {"code": ""}, ["code"]),
        ("dotnet_execute_snippet", {"code": "1", "dotnet_version": "7"}, ["dotnet_version"]),
        (
            "dotnet_execute_snippet",
            {"code": "1", "packages": ['X"/><Import Project="/etc/passwd'], "timeout_s": 121},
            ["packages", "timeout_s"],
        ),
        ("dotnet_execute_snippet", {"code": "1", "detail_level": "all"}, ["detail_level"]),
        ("dotnet_execute_snippet", {"code": "1", "version": "8"}, ["version"]),
        ("dotnet_compare_versions", {"code": "1", "dotnet_versions": ["9"]}, ["dotnet_versions"]),
        (
            "dotnet_create_project",
            {"template": "wpf", "dotnet_version": 7, "name": "1App"},
            ["template", "dotnet_version", "name"],
        ),
        ("dotnet_add_file", {"workspace_id": WORKSPACE, "path": "../x.cs"}, ["path", "content"]),
        (
            "dotnet_read_file",
            {"workspace_id": "../etc", "path": "/etc/passwd"},
            ["workspace_id", "path"],
        ),
        (
            "dotnet_build_project",
            {"workspace_id": WORKSPACE, "configuration": "Fast", "timeout_s": 601},
            ["timeout_s", "configuration"],
        ),
        ("dotnet_execute_command", {"workspace_id": WORKSPACE, "command": ["sh"]}, ["command"]),
        ("dotnet_add_package", {"workspace_id": WORKSPACE, "package": "X@1<"}, ["package"]),
        (
            "dotnet_test_endpoint",
            {"workspace_id": WORKSPACE, "path": "http://10.0.0.1/", "headers": {"Host": "x"}},
            ["path", "headers"],
        ),
        ("dotnet_get_logs", {"workspace_id": WORKSPACE, "tail": 0}, ["tail"]),
        ("dotnet_run_background", {"workspace_id": WORKSPACE, "name": "a b"}, ["name"]),
        ("dotnet_list_containers", {"owner": "someone"}, ["owner"]),
    ],
    ids=[
        "no-code",
        "empty-code",
        "unknown-version",
        "xml-package-and-long-timeout",
        "bad-detail-level",
        "unknown-parameter",
        "one-version-compared",
        "unknown-template-version-and-name",
        "path-out-of-the-project-and-no-content",
        "bad-workspace-id-and-absolute-path",
        "bad-configuration-and-long-timeout",
        "not-a-dotnet-command",
        "xml-in-package",
        "endpoint-elsewhere-and-host-header",
        "no-lines",
        "bad-process-name",
        "unknown-parameter-of-a-listing",
    ],
)
async def test_bad_parameters_are_tool_errors_naming_each_and_how_to_fix_it(
    client: Client, tool: str, arguments: dict[str, Any], bad: list[str]
) -> None:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    answer = result.structured_content
    assert answer is not None
    jsonschema.validate(answer, (await listed(client, tool)).output_schema or {})
    assert answer["status"] == "error"
    error = answer["error"]
    assert error["type"] == "invalid_arguments"
    assert error["message"].startswith(f"invalid arguments for {tool}: ")
    assert "Value error" not in error["message"]
    assert [s.split(":", 1)[0] for s in error["suggestions"]] == bad
    for name in bad:
        assert f"{name}" in error["message"]
    assert "Traceback" not in str(result.content)


@pytest.mark.parametrize(
    ("arguments", "kind", "message", "suggestion"),
    [
        (
            {"code": "1", "dotnet_version": 8},
            "version_unavailable",
            ".NET 8 is not enabled here",
            "Versions ready now: none.",
        ),
        (
            {"code": "#:property RollForward=Major\nConsole.WriteLine(1);"},
            "refused_code",
            "#:property",
            "Remove what the message names",
        ),
        (
            {"code": '#:package X"/><Import Project="/etc/passwd\n1'},
            "invalid_package",
            "is invalid",
            '"Name" or "Name@version"',
        ),
    ],
    ids=["disabled-version", "roll-forward-property", "xml-in-package-directive"],
)
async def test_what_the_runtime_refuses_is_a_tool_error_saying_what_to_do(
    client: Client, arguments: dict[str, Any], kind: str, message: str, suggestion: str
) -> None:
    result = await client.call_tool("dotnet_execute_snippet", arguments)
    assert result.is_error
    answer = result.structured_content
    assert answer is not None
    jsonschema.validate(
        answer, (await listed(client, "dotnet_execute_snippet")).output_schema or {}
    )
    assert answer["error"]["type"] == kind
    assert message in answer["error"]["message"]
    assert any(suggestion in each for each in answer["error"]["suggestions"])


async def test_an_admins_change_to_the_dotnet_settings_applies_to_the_next_call(
    connection: tuple[Client, Instance],
) -> None:
    """What Settings -> .NET stores (`live_settings.update`) is what the next call gets: a
    lower timeout limit, a smaller cap, a version switched off; a reset brings back each."""
    client, instance = connection
    changes = {
        "dotnet_snippet_timeout_seconds": 5,
        "dotnet_snippet_max_timeout_seconds": 5,
        "dotnet_workspace_max_per_client": 2,
        "dotnet_versions": ["8", "9"],
    }
    async with instance.sessions.begin() as session:
        await live_settings.update(session, admin("alice"), instance.settings, changes)
    try:
        slow = await client.call_tool("dotnet_execute_snippet", {"code": "1", "timeout_s": 10})
        assert slow.structured_content is not None
        assert "at most 5 seconds" in slow.structured_content["error"]["message"]
        listing = await call(client, "dotnet_list_containers")
        assert listing["data"]["max_workspaces"] == 2
        off = await client.call_tool("dotnet_execute_snippet", {"code": "1"})
        assert off.structured_content is not None
        assert off.structured_content["error"]["type"] == "version_unavailable"
        assert ".NET 10 is not enabled here" in off.structured_content["error"]["message"]
    finally:
        async with instance.sessions.begin() as session:
            for name in changes:
                await live_settings.reset(session, admin("alice"), instance.settings, name)
    listing = await call(client, "dotnet_list_containers")
    assert listing["data"]["max_workspaces"] == instance.settings.dotnet_workspace_max_per_client
    refused = await client.call_tool("dotnet_execute_snippet", {"code": "1", "timeout_s": 121})
    assert refused.structured_content is not None
    assert "at most 120 seconds" in refused.structured_content["error"]["message"]
