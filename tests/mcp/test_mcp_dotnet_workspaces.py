"""Project workspaces end to end: the official MCP client, a served instance, the real SDK.

One instance serves the module on the shared prepared data dir (tests/dotnet_snippets.py). Each
test is one story on its own workspace (so tests split over pytest-xdist workers stay whole),
and stops it at the end. Every answer is checked against the tool's declared output schema, and
every example of docs/TOOLS.md's ".NET workspaces" section is called, on a real workspace.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from mcp import Client

from dotnet_snippets import PREPARE_TIMEOUT, prepared_dotnet_settings
from mcp_clients import call_checked as call
from mcp_clients import connected_client
from tools_md import documented_examples

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(PREPARE_TIMEOUT)]

WORKSPACE_ID = re.compile(r"dotnet(8|9|10)-[a-z]+-[0-9a-f]{6}")


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    store = tmp_path_factory.mktemp("store") / "polybox.db"
    settings = (await prepared_dotnet_settings()).model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{store}"}
    )
    async with connected_client(settings) as connected:
        yield connected


async def ok(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """The `data` of a successful call of `tool`."""
    answer = await call(client, tool, **arguments)
    assert answer["status"] == "success", answer
    if "workspace_id" in arguments:
        assert answer["metadata"]["workspace_id"] == arguments["workspace_id"]
    data: dict[str, Any] = answer["data"]
    return data


async def example(client: Client, tool: str, workspace_id: str | None = None) -> dict[str, Any]:
    """Call docs/TOOLS.md's example of `tool`, on `workspace_id` if it names one; its `data`."""
    [arguments] = documented_examples(tool)
    if "workspace_id" in arguments:
        assert workspace_id is not None
        arguments["workspace_id"] = workspace_id
    return await ok(client, tool, **arguments)


async def create(client: Client, template: str, version: str, **arguments: Any) -> str:
    data = await ok(
        client, "dotnet_create_project", template=template, dotnet_version=version, **arguments
    )
    workspace = data["workspace"]
    assert WORKSPACE_ID.fullmatch(workspace["workspace_id"])
    assert workspace["workspace_id"].startswith(f"dotnet{version}-{template}-")
    assert (workspace["status"], workspace["dotnet_version"]) == ("running", version)
    assert data["next_steps"]
    workspace_id: str = workspace["workspace_id"]
    return workspace_id


async def stop(client: Client, workspace_id: str) -> None:
    stopped = await ok(client, "dotnet_stop_container", workspace_id=workspace_id)
    assert (stopped["status"], stopped["stop_reason"]) == ("stopped", "client")


@pytest.mark.parametrize("version", ["8", "9"])
async def test_a_console_project_is_created_built_and_run_on_its_own_runtime(
    client: Client, version: str
) -> None:
    workspace_id = await create(client, "console", version)
    files = await example(client, "dotnet_get_project_files", workspace_id)
    paths = {entry["path"] for entry in files["entries"]}
    assert {"App.csproj", "Program.cs"} <= paths
    assert not any(path.startswith(("bin/", "obj/")) for path in paths)
    project = await ok(client, "dotnet_read_file", workspace_id=workspace_id, path="App.csproj")
    assert f"<TargetFramework>net{version}.0</TargetFramework>" in project["content"]
    answer = await call(client, "dotnet_run_project", workspace_id=workspace_id)
    assert answer["metadata"]["runtime"].startswith(f".NET {version}.0."), answer["metadata"]
    ran = answer["data"]
    assert (ran["build"]["succeeded"], ran["build"]["errors"]) == (True, 0), ran
    assert ran["run"]["exit_code"] == 0, ran
    assert ran["run"]["stdout"].startswith(f"Hello from .NET {version}.0.")
    await stop(client, workspace_id)
    gone = await call(client, "dotnet_run_project", workspace_id=workspace_id)
    assert gone["error"]["type"] == "workspace_stopped"
    assert re.fullmatch(
        rf"{workspace_id} was stopped by its owner at \d\d:\d\d UTC; create a new one with "
        "dotnet_create_project",
        gone["error"]["message"],
    )
    listed = await example(client, "dotnet_list_containers")
    [row] = [row for row in listed["workspaces"] if row["workspace_id"] == workspace_id]
    assert (row["status"], row["stop_reason"]) == ("stopped", "client")


PROGRAM = """\
using Newtonsoft.Json;

if (args.Length == 1 && int.TryParse(args[0], out var ticks))
{
    for (var tick = 1; tick <= ticks; tick++)
    {
        Console.WriteLine($"tick {tick}");
        await Task.Delay(50);
    }
    return;
}
var greeting = new { greeting = Greeter.Hello(args[0]), runtime = Environment.Version.Major };
Console.WriteLine(JsonConvert.SerializeObject(greeting));
"""


async def test_a_console_project_on_10_is_fixed_given_a_package_and_run_in_the_background(
    client: Client,
) -> None:
    workspace_id = await create(client, "console", "10")
    await ok(
        client, "dotnet_add_file", workspace_id=workspace_id, path="Program.cs", content=PROGRAM
    )
    await example(client, "dotnet_add_file", workspace_id)
    failed = await ok(client, "dotnet_build_project", workspace_id=workspace_id)
    assert not failed["succeeded"]
    assert failed["summary"].startswith("did not build: ")
    missing = [d for d in failed["diagnostics"] if d["code"] == "CS0246"]
    assert missing, failed["diagnostics"]
    assert missing[0]["file"].endswith("Program.cs")
    assert missing[0]["line"] == 1
    assert "Newtonsoft.Json" in missing[0]["suggestion"]
    assert "dotnet_add_package" in missing[0]["suggestion"]

    lacking = await call(
        client, "dotnet_add_package", workspace_id=workspace_id, package="Polybox.No.Such.Package"
    )
    assert lacking["error"]["type"] == "package_unavailable"
    assert "Polybox.No.Such.Package" in lacking["error"]["message"]
    assert "Check the package id" in lacking["error"]["suggestions"][0]
    added = await example(client, "dotnet_add_package", workspace_id)
    assert added == {"name": "Newtonsoft.Json", "version": "13.0.3"}
    built = await example(client, "dotnet_build_project", workspace_id)
    assert (built["succeeded"], built["errors"]) == (True, 0), built
    greeted = await example(client, "dotnet_run_project", workspace_id)
    assert greeted["build"]["succeeded"], greeted
    assert greeted["run"]["stdout"] == '{"greeting":"Hello, Ada!","runtime":10}\n'

    started = await example(client, "dotnet_run_background", workspace_id)
    assert (started["name"], started["kind"]) == ("ticker", "background")
    with anyio.fail_after(30):
        while True:
            logs = await ok(client, "dotnet_get_logs", workspace_id=workspace_id, process="ticker")
            if not logs["running"]:
                break
            await anyio.sleep(0.2)
    assert logs["lines"] == [f"tick {tick}" for tick in range(1, 6)]
    assert logs["exit_code"] == 0

    outside = await call(client, "dotnet_read_file", workspace_id=workspace_id, path="../etc/x")
    assert outside["error"]["type"] == "invalid_arguments"
    assert outside["error"]["suggestions"][0].startswith("path: File to read, relative to")
    await stop(client, workspace_id)


FAILING_TEST = """\
namespace App;

public class MathTests
{
    [Fact]
    public void Multiplies() => Assert.Equal(6, 2 * 3);

    [Fact]
    public void Divides() => Assert.Equal(4, 7 / 2);
}
"""


async def test_an_xunit_project_reports_its_test_results_structured(client: Client) -> None:
    workspace_id = await create(client, "xunit", "10")
    await ok(
        client,
        "dotnet_add_file",
        workspace_id=workspace_id,
        path="MathTests.cs",
        content=FAILING_TEST,
    )
    run = await example(client, "dotnet_execute_command", workspace_id)
    tests = run["tests"]
    assert (tests["passed"], tests["failed"], tests["skipped"]) == (2, 1, 0), tests
    assert tests["summary"] == "2 passed, 1 failed, 0 skipped"
    failed, *passed = tests["cases"]
    assert (failed["name"], failed["outcome"]) == ("App.MathTests.Divides", "failed")
    assert "Assert.Equal() Failure" in failed["message"]
    assert sorted(case["name"] for case in passed) == [
        "App.MathTests.Multiplies",
        "App.UnitTest1.Adds",
    ]
    assert run["output"]["exit_code"] != 0
    await stop(client, workspace_id)


HELLO_ENDPOINT = 'app.MapGet("/hello/{name}", (string name) => new { hello = name });\n'


async def test_a_webapi_is_hosted_called_edited_rehosted_and_killed(client: Client) -> None:
    [arguments] = documented_examples("dotnet_create_project")
    workspace_id = (await ok(client, "dotnet_create_project", **arguments))["workspace"][
        "workspace_id"
    ]
    assert workspace_id.startswith("dotnet8-webapi-")
    hosted = await example(client, "dotnet_host_api", workspace_id)
    assert hosted["url"].startswith("http://127.0.0.1:")
    assert (hosted["process"]["name"], hosted["process"]["running"]) == ("api-5000", True)
    assert "Now listening on: http://127.0.0.1:5000" in hosted["log"]

    root = await ok(client, "dotnet_test_endpoint", workspace_id=workspace_id, path="/")
    assert root["status_code"] == 200
    assert root["json_body"]["service"] == "TodoApi"
    assert root["json_body"]["runtime"].startswith(".NET 8.0.")
    created = await example(client, "dotnet_test_endpoint", workspace_id)
    assert created["status_code"] == 201
    assert created["json_body"] == {"id": 2, "name": "second"}
    items = await ok(client, "dotnet_test_endpoint", workspace_id=workspace_id, path="/items")
    assert items["json_body"] == [{"id": 1, "name": "first"}, {"id": 2, "name": "second"}]
    logs = await example(client, "dotnet_get_logs", workspace_id)
    assert logs["running"]
    assert any("Now listening on" in line for line in logs["lines"]), logs

    program = (await example(client, "dotnet_read_file", workspace_id))["content"]
    edited = program.replace("app.Run();", HELLO_ENDPOINT + "app.Run();")
    await ok(
        client, "dotnet_add_file", workspace_id=workspace_id, path="Program.cs", content=edited
    )
    rehosted = await ok(client, "dotnet_host_api", workspace_id=workspace_id)
    assert (rehosted["process"]["name"], rehosted["replaced"]) == ("api-5000", "api-5000")
    hello = await ok(client, "dotnet_test_endpoint", workspace_id=workspace_id, path="/hello/ada")
    assert hello["json_body"] == {"hello": "ada"}
    restarted = await ok(client, "dotnet_test_endpoint", workspace_id=workspace_id, path="/items")
    assert restarted["json_body"] == [{"id": 1, "name": "first"}]  # a new process: fresh state

    killed = await example(client, "dotnet_kill_process", workspace_id)
    assert (killed["name"], killed["running"]) == ("api-5000", False)
    unreachable = await call(client, "dotnet_test_endpoint", workspace_id=workspace_id, path="/")
    assert unreachable["error"]["type"] == "not_found"
    assert "hosts no running API" in unreachable["error"]["message"]
    assert unreachable["error"]["suggestions"]
    stopped = await example(client, "dotnet_stop_container", workspace_id)
    assert stopped["status"] == "stopped"


async def test_cleanup_all_removes_every_workspace_of_the_client(client: Client) -> None:
    before = await ok(client, "dotnet_list_containers")
    cleaned = await example(client, "dotnet_cleanup_all")
    assert cleaned["stopped"] == len(before["workspaces"])
    after = await ok(client, "dotnet_list_containers")
    assert after["running"] == 0
    assert all(row["status"] == "cleaned" for row in after["workspaces"])
