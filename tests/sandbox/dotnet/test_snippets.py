"""C# snippets on the real SDK, runtimes from NuGet and the real bwrap sandbox."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace

import anyio
import pytest

from dotnet_snippets import HELLO, OUTPUT_LIMIT, PREPARE_TIMEOUT, runner_processes
from polybox.sandbox.dotnet import (
    DOTNET_VERSIONS,
    DotnetRuntime,
    PackageRef,
    VersionUnavailableError,
)
from polybox.sandbox.dotnet.compiler import CompilerLimits, CompileServer

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(PREPARE_TIMEOUT)]

FRAMEWORK = "System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription"


@pytest.mark.parametrize("version", DOTNET_VERSIONS)
async def test_hello_world_runs_on_the_real_runtime_of_each_version(
    dotnet: DotnetRuntime, version: str
) -> None:
    result = await dotnet.run_snippet(f"{HELLO}\nConsole.WriteLine({FRAMEWORK});", version, [], 30)
    assert result.outcome == "ok", result
    assert result.runtime.startswith(f".NET {version}.")
    assert result.stdout == f"hello\n{result.runtime}\n"  # reported out of band, and true
    assert result.dotnet_version == version
    assert result.exit_code == 0


async def test_a_nuget_package_is_restored_and_used(dotnet: DotnetRuntime) -> None:
    code = "Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { a = 1 }));"
    result = await dotnet.run_snippet(code, "10", [PackageRef("Newtonsoft.Json", "13.0.3")], 30)
    assert result.outcome == "ok", result
    assert result.stdout == '{"a":1}\n'
    assert result.packages == (("Newtonsoft.Json", "13.0.3"),)


async def test_a_package_directive_without_version_gets_the_highest_stable(
    dotnet: DotnetRuntime,
) -> None:
    code = "#:package Newtonsoft.Json\nNewtonsoft.Json.JsonConvert.SerializeObject(new[] { 1 })"
    result = await dotnet.run_snippet(code, "10", [], 30)
    assert result.outcome == "ok", result
    assert result.stdout == "[1]\n"
    [(name, version)] = result.packages
    assert name == "Newtonsoft.Json"
    assert "-" not in version
    assert tuple(map(int, version.split("."))) >= (13, 0, 3)


async def test_an_unknown_package_is_nu1101(dotnet: DotnetRuntime) -> None:
    missing = PackageRef("Polybox.No.Such.Package.Zz9", "1.0.0")
    result = await dotnet.run_snippet(HELLO, "10", [missing], 30)
    assert result.outcome == "restore_error"
    assert "NU1101" in [d.code for d in result.diagnostics], result.diagnostics


async def test_an_unknown_version_is_nu1102(dotnet: DotnetRuntime) -> None:
    result = await dotnet.run_snippet(HELLO, "10", [PackageRef("Newtonsoft.Json", "99.9.9")], 30)
    assert result.outcome == "restore_error"
    assert "NU1102" in [d.code for d in result.diagnostics], result.diagnostics


async def test_a_compile_error_comes_back_as_structured_diagnostics(
    dotnet: DotnetRuntime,
) -> None:
    result = await dotnet.run_snippet('Console.WriteLine("a");\nint x = "text";', "10", [], 30)
    assert result.outcome == "compile_error"
    assert result.runtime == ""
    [error] = [d for d in result.diagnostics if d.severity == "error"]
    assert (error.file, error.line, error.column, error.code) == ("Program.cs", 2, 9, "CS0029")
    assert "string" in error.message


async def test_a_runtime_exception_comes_back_with_its_stack_trace(
    dotnet: DotnetRuntime,
) -> None:
    code = 'void Fail() => throw new InvalidOperationException("boom");\n\nFail();'
    result = await dotnet.run_snippet(code, "9", [], 30)
    assert result.outcome == "runtime_error"
    assert result.exit_code not in (0, None)
    assert "System.InvalidOperationException: boom" in result.stderr
    assert "Program.cs:line 1" in result.stderr
    assert "System.Reflection" not in result.stderr  # the runner adds no frames of its own
    assert result.runtime.startswith(".NET 9.")


async def test_an_endless_loop_is_stopped_at_its_timeout_with_no_process_left(
    dotnet: DotnetRuntime,
) -> None:
    started = time.monotonic()
    result = await dotnet.run_snippet("while (true) { }", "10", [], 2)
    assert result.outcome == "timeout"
    assert result.exit_code is None
    assert time.monotonic() - started < 15
    assert runner_processes() == []


async def test_an_output_flood_is_capped(dotnet: DotnetRuntime) -> None:
    code = (
        "var line = new string('x', 1000);\nfor (int i = 0; i < 5000; i++) Console.WriteLine(line);"
    )
    result = await dotnet.run_snippet(code, "10", [], 30)
    assert result.outcome == "limit"
    assert result.limit == "output"
    assert result.stdout_truncated
    assert len(result.stdout.encode()) == OUTPUT_LIMIT


async def test_a_trailing_expression_is_printed(dotnet: DotnetRuntime) -> None:
    result = await dotnet.run_snippet("var xs = new[] { 3, 1, 2 };\nxs.Order()", "8", [], 30)
    assert result.outcome == "ok", result
    assert result.stdout == "[1, 2, 3]\n"


async def test_statements_after_a_type_declaration_are_reordered_not_cs8803(
    dotnet: DotnetRuntime,
) -> None:
    code = "record Point(int X, int Y);\n\nConsole.WriteLine(new Point(1, 2));"
    result = await dotnet.run_snippet(code, "10", [], 30)
    assert result.outcome == "ok", result
    assert result.stdout == "Point { X = 1, Y = 2 }\n"


async def test_status_shows_each_prepared_version_and_its_warm_compile_server(
    dotnet: DotnetRuntime,
) -> None:
    await dotnet.run_snippet(HELLO, "10", [], 30)
    status = dotnet.status()
    assert set(status) == set(DOTNET_VERSIONS)
    ten = status["10"]
    assert (ten.available, ten.warm, ten.fix) == (True, True, "")
    assert ten.runtime.startswith(".NET 10.")
    assert ten.compiler_rss_mb is not None
    assert ten.compiler_rss_mb > 20


async def test_a_compile_server_that_dies_is_started_again(dotnet: DotnetRuntime) -> None:
    await dotnet.run_snippet(HELLO, "10", [], 30)
    server = dotnet.compile_server("10")
    assert server is not None
    assert server.pid is not None
    first = server.pid
    restarts: list[tuple[str, str]] = []
    server.on_restart = lambda version, reason: restarts.append((version, reason))
    os.kill(first, signal.SIGKILL)
    result = await dotnet.run_snippet(HELLO, "10", [], 30)
    assert (result.outcome, result.stdout) == ("ok", "hello\n")
    assert server.pid not in (None, first)
    assert restarts == [("10", "crash")]


async def test_a_compile_server_grown_past_its_limit_is_replaced_after_answering(
    dotnet: DotnetRuntime,
) -> None:
    toolchain = await dotnet.toolchain("10")
    limits = CompilerLimits(memory_mb=1024, recycle_mb=1, timeout_s=60)  # always "too big"
    restarts: list[tuple[str, str]] = []
    server = CompileServer(
        dotnet.backend,
        dotnet.layout,
        toolchain,
        limits,
        on_restart=lambda version, reason: restarts.append((version, reason)),
    )
    try:
        first = await server.compile("1 + 1", [])
        assert first.assembly is not None
        assert not server.running  # replaced after its answer
        assert restarts == [("10", "memory")]
        second = await server.compile("2 + 2", [])
        assert second.assembly is not None
    finally:
        await server.close()


async def test_changed_settings_reach_the_next_snippet_and_warm_a_newly_prewarmed_version(
    dotnet: DotnetRuntime,
) -> None:
    """What an admin changes at run time (`reconfigure`): a version switched off is refused, a
    lower memory cap holds the next run, a version newly pre-warmed starts its compile server.
    The compile servers' limits stay as the process started (a startup setting)."""
    runtime = DotnetRuntime(dotnet.backend, replace(dotnet.config, prewarm=()))
    await runtime.start()
    try:
        started_with = runtime.config
        runtime.reconfigure(
            replace(
                started_with,
                versions=("8", "10"),
                prewarm=("8",),
                run=replace(started_with.run, memory_mb=128),
                compiler=replace(started_with.compiler, memory_mb=4096),
            )
        )
        assert runtime.config.compiler == started_with.compiler
        with pytest.raises(VersionUnavailableError, match=r"enable \.NET 9 in Settings -> \.NET"):
            await runtime.run_snippet(HELLO, "9", [], 30)
        big = "var a = new byte[200 << 20]; Array.Fill(a, (byte)1); Console.WriteLine(a.Length);"
        assert (await dotnet.run_snippet(big, "10", [], 30)).outcome == "ok"  # 512 MiB
        result = await runtime.run_snippet(big, "10", [], 30)
        assert (result.outcome, result.limit) == ("limit", "memory"), result
        server = runtime.compile_server("8")
        deadline = time.monotonic() + 60
        while (server is None or not server.running) and time.monotonic() < deadline:
            await anyio.sleep(0.2)
            server = runtime.compile_server("8")
        assert server is not None
        assert server.running
    finally:
        await runtime.close()
