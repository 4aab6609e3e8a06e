"""C# snippets end to end: the official MCP client, a served instance, the real .NET runtimes.

One instance serves the whole module (its compile servers warm up once) on the shared prepared
data dir (tests/dotnet_snippets.py); the store is SQLite only, since snippets keep nothing in
it. Every answer is checked against the tool's declared output schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from dotnet_snippets import PREPARE_TIMEOUT, prepared_dotnet_settings, runner_processes
from mcp_clients import call_checked as call
from mcp_clients import client_for, serving
from polybox.app import create_app
from polybox.forge.activity import ActivityFilter, list_activity
from polybox.instance import Instance
from polybox.sandbox.dotnet import DOTNET_VERSIONS
from polybox.workspaces import metrics, snippet_log
from tools_md import documented_examples

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(PREPARE_TIMEOUT)]


@pytest.fixture(scope="module")
async def instance(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Instance]:
    store = tmp_path_factory.mktemp("store") / "polybox.db"
    settings = (await prepared_dotnet_settings()).model_copy(
        update={
            "database_url": f"sqlite+aiosqlite:///{store}",
            "dotnet_prewarm_versions": list(DOTNET_VERSIONS),
        }
    )
    async with Instance.running(settings) as running:
        yield running


@pytest.fixture(scope="module")
async def client(instance: Instance) -> AsyncIterator[Client]:
    async with serving(create_app(instance), "127.0.0.1") as url:
        connected, _ = client_for(url)
        async with connected:
            yield connected


async def snippet(client: Client, code: str, **arguments: Any) -> dict[str, Any]:
    answer = await call(client, "dotnet_execute_snippet", code=code, **arguments)
    assert answer["status"] == "success", answer
    return answer


@pytest.mark.parametrize("version", ["8", "9", "10"])
async def test_hello_world_runs_on_its_own_real_runtime(client: Client, version: str) -> None:
    answer = await snippet(
        client,
        'Console.WriteLine($"Hello from {Environment.Version.Major}");',
        dotnet_version=int(version),
    )
    run, metadata = answer["data"], answer["metadata"]
    assert (run["outcome"], run["exit_code"]) == ("ok", 0)
    assert run["stdout"] == f"Hello from {version}\n"
    assert metadata["dotnet_version"] == version
    assert metadata["runtime"].startswith(f".NET {version}.0.")
    assert metadata["runtime"] == run["runtime"]
    assert metadata["workspace_id"] is None
    assert metadata["execution_time_ms"] > 0


async def test_the_documented_snippet_uses_a_nuget_package_on_net8(client: Client) -> None:
    [example] = documented_examples("dotnet_execute_snippet")
    answer = await snippet(client, **example)
    assert answer["data"]["stdout"] == '{"hello":"world"}\n'
    assert {"name": "Newtonsoft.Json", "version": "13.0.3"} in answer["data"]["packages"]
    assert answer["metadata"]["runtime"].startswith(".NET 8.0.")


async def test_a_compile_error_comes_back_as_diagnostics_with_a_suggestion(client: Client) -> None:
    answer = await snippet(client, 'var text = new StringBuilder();\ntext.Append("x");\n')
    run = answer["data"]
    assert run["outcome"] == "compile_error"
    assert run["summary"] == "did not compile: 1 error(s), see diagnostics"
    [diagnostic] = [d for d in run["diagnostics"] if d["severity"] == "error"]
    assert diagnostic["code"] == "CS0246"
    assert (diagnostic["line"], diagnostic["column"]) == (1, 16)
    assert "'StringBuilder' could not be found" in diagnostic["message"]
    assert "using System.Text;" in diagnostic["suggestion"]
    assert answer["metadata"]["runtime"] == ""


async def test_runs_are_counted_in_the_metrics_and_recorded_for_admins(
    client: Client, instance: Instance
) -> None:
    def runs(outcome: str) -> float:
        labels = {"version": "9", "outcome": outcome}
        return metrics.REGISTRY.get_sample_value("polybox_dotnet_snippet_runs_total", labels) or 0

    before = {outcome: runs(outcome) for outcome in ("ok", "compile_error", "refused")}
    codes = ["Console.WriteLine(1);", "Console.WriteLin(1);", "#:sdk Foo\n"]
    await snippet(client, codes[0], dotnet_version=9)
    await snippet(client, codes[1], dotnet_version=9)
    refused = await call(client, "dotnet_execute_snippet", code=codes[2], dotnet_version=9)
    assert refused["error"]["type"] == "refused_code"
    assert {outcome: runs(outcome) - count for outcome, count in before.items()} == {
        "ok": 1,
        "compile_error": 1,
        "refused": 1,
    }
    async with instance.sessions() as session:
        recorded = (await snippet_log.list_runs(session, page=1, page_size=3)).items
        activity = await list_activity(session, ActivityFilter(action=snippet_log.ACTION))
    assert [(run.code, run.version, run.outcome) for run in reversed(recorded)] == [
        (codes[0], "9", "ok"),
        (codes[1], "9", "compile_error"),
        (codes[2], "9", "refused"),
    ]
    assert all(run.actor_kind == "llm" and run.duration_ms > 0 for run in recorded)
    assert {(row.target_id, row.details["code_hash"]) for row in activity.items} >= {
        (str(run.id), snippet_log.code_hash(run.code or "")) for run in recorded
    }


async def test_an_unhandled_exception_reports_its_stack_trace(client: Client) -> None:
    code = (
        'static void Fail() => throw new InvalidOperationException("boom");\n'
        'Console.WriteLine("before");\nFail();\n'
    )
    run = (await snippet(client, code))["data"]
    assert run["outcome"] == "runtime_error"
    assert run["exit_code"] != 0
    assert run["stdout"] == "before\n"
    assert run["stderr"].startswith("Unhandled exception. System.InvalidOperationException: boom\n")
    assert "g__Fail" in run["stderr"]
    assert "in Program.cs:line 1\n" in run["stderr"]
    assert "in Program.cs:line 3\n" in run["stderr"]
    assert "stack trace" in run["summary"]


async def test_an_endless_loop_is_stopped_at_its_timeout_with_no_process_left(
    client: Client,
) -> None:
    answer = await snippet(client, "while (true) { }", timeout_s=2)
    run = answer["data"]
    assert run["outcome"] == "timeout"
    assert run["summary"] == "stopped at its 2 s timeout (every process of the run was killed)"
    assert 2000 <= run["run_ms"] < 6000
    assert runner_processes() == []


async def test_an_output_flood_is_cut_concise_by_lines_and_full_by_characters(
    client: Client,
) -> None:
    code = "for (var i = 0; i < 200_000; i++) Console.WriteLine(i);"
    concise = (await snippet(client, code))["data"]
    full = (await snippet(client, code, detail_level="full"))["data"]
    assert concise["stdout"].splitlines() == [str(i) for i in range(50)]
    assert any("first 50 of" in note and '"full"' in note for note in concise["cut"])
    assert len(full["stdout"]) == 25_000
    assert full["stdout"].startswith("0\n1\n2\n")
    assert any("cut to 25,000" in note for note in full["cut"])
    for run in (concise, full):  # the runtime kept only the first OUTPUT_LIMIT bytes
        assert (run["outcome"], run["limit"]) == ("limit", "output")
        assert run["summary"] == "stopped by the output limit of the sandbox"
        assert "stdout: the run printed more than the server keeps" in run["cut"][0]


async def test_a_comparison_shows_that_net9_made_float_to_int_casts_saturate(
    client: Client,
) -> None:
    """.NET 9 changed x64 float-to-integer conversions to saturate (a documented breaking
    change): on .NET 8 NaN and out-of-range doubles become int.MinValue, on 9+ 0 and
    int.MaxValue. The values are parsed at run time so the compiler cannot fold the casts. The
    snippet is docs/TOOLS.md's example."""
    [example] = documented_examples("dotnet_compare_versions")
    answer = await call(client, "dotnet_compare_versions", **example)
    assert answer["status"] == "success", answer
    comparison = answer["data"]
    net8, net10 = comparison["runs"]
    assert net8["stdout"].splitlines() == [
        "NaN -> -2147483648",
        "1e10 -> -2147483648",
        "-1e10 -> -2147483648",
        "3.7 -> 3",
    ]
    assert net10["stdout"].splitlines() == [
        "NaN -> 0",
        "1e10 -> 2147483647",
        "-1e10 -> -2147483648",
        "3.7 -> 3",
    ]
    assert net8["runtime"].startswith(".NET 8.0.")
    assert net10["runtime"].startswith(".NET 10.0.")
    assert comparison["same_output"] is False
    [diff] = comparison["diffs"]
    assert (diff["base"], diff["other"]) == ("8", "10")
    assert "-NaN -> -2147483648\n" in diff["diff"]
    assert "+NaN -> 0\n" in diff["diff"]
    assert "+1e10 -> 2147483647" in diff["diff"]
    assert answer["metadata"]["dotnet_version"] == "8,10"


SEMANTIC_ERRORS = """\
var text = new StringBuilder();
System.Linq.Foo.Bar();
Console.WriteLine(undefinedName);
string s = 5;
var list = new List<int>();
list.Lenght();
Console.Foo();
1 + 2;
long big = 5; int small = big;
Math.Max("a", 1);
var b = "x" - 1;
var p = new Point();
Console.WriteLine(Helper.Instance());
static int F() { }
class Point { public Point(int x, int y) {} }
class Helper { public int Instance() => 1; }
"""

# Each code the real compiler reports for the snippets below, and words its suggestion must say.
COMPILER_SUGGESTIONS = {
    "CS0246": "using System.Text;",
    "CS0234": "System.Linq has no `Foo`",
    "CS0103": "Nothing named `undefinedName`",
    "CS0029": "call `.ToString()` on the int value",
    "CS1061": "Did you mean `Length`?",
    "CS0117": "Console has no member `Foo`",
    "CS0201": "value is unused",
    "CS0266": "explicit cast: `(int)value`",
    "CS1503": "Argument 1 must be a",
    "CS0019": "`-` is not defined between string and int",
    "CS7036": "parameter `x` of Point.Point(int, int)",
    "CS0120": "call it on an object (`new Helper(…).…`)",
    "CS0161": "Every path through F()",
    "CS1002": "End the statement with `;`",
}


async def test_each_compiler_diagnostic_gets_a_suggestion_for_that_error(client: Client) -> None:
    found: dict[str, str] = {}
    for code in (SEMANTIC_ERRORS, 'Console.WriteLine("a")\nConsole.WriteLine("b");\n'):
        run = (await snippet(client, code))["data"]
        assert run["outcome"] == "compile_error", run
        for diagnostic in run["diagnostics"]:
            found.setdefault(diagnostic["code"], diagnostic["suggestion"])
    for code, words in COMPILER_SUGGESTIONS.items():
        assert code in found, f"the compiler did not report {code}: {sorted(found)}"
        assert words in (found[code] or ""), (code, found[code])


async def test_packages_the_feed_lacks_get_a_suggestion_each(client: Client) -> None:
    packages = ["Polybox.No.Such.Package", "Newtonsoft.Json@99.0.0"]
    run = (await snippet(client, "Console.WriteLine(1);", packages=packages))["data"]
    assert run["outcome"] == "restore_error"
    advice = {d["code"]: d["suggestion"] for d in reversed(run["diagnostics"])}
    assert "no package named Polybox.No.Such.Package" in advice["NU1101"]
    assert "no such version of Newtonsoft.Json" in advice["NU1102"]
    assert "`Newtonsoft.Json` alone" in advice["NU1102"]


async def test_a_dependency_version_the_feed_lacks_gets_a_suggestion(client: Client) -> None:
    """Unity.Microsoft.DependencyInjection 5.11.5 wants an Abstractions 3.1.0 the feed lacks."""
    packages = ["Unity.Microsoft.DependencyInjection@5.11.5"]
    run = (await snippet(client, "Console.WriteLine(1);", packages=packages))["data"]
    assert run["outcome"] == "ok"
    warning = next(d for d in run["diagnostics"] if d["code"] == "NU1603")
    assert warning["severity"] == "warning"
    assert (
        "add `Microsoft.Extensions.DependencyInjection.Abstractions@3.1.3` to `packages`"
        in warning["suggestion"]
    )
