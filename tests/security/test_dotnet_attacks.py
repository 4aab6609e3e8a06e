"""Attacks from C# snippets: each is contained, with a clear outcome, and the runtime healthy after.

Real SDK, runtimes from NuGet, the real bwrap sandbox (see tests/dotnet_snippets.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dotnet_snippets import DATA_DIR, HELLO, PREPARE_TIMEOUT, runner_processes
from polybox.sandbox.dotnet import (
    DotnetRuntime,
    InvalidPackageRefError,
    PackageRef,
    RefusedCodeError,
    SnippetResult,
    parse_package_ref,
)
from polybox.sandbox.dotnet.restore import project_xml
from sandbox.egress_servers import Server
from security.box_attacks import HOST_MARKER, MARKER_VALUE

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(PREPARE_TIMEOUT)]

HOST_FILE = DATA_DIR / "host-secret.txt"


@pytest.fixture(autouse=True)
def host_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A marker in the supervisor's environment and a secret file in the data dir."""
    monkeypatch.setenv(HOST_MARKER, MARKER_VALUE)
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    HOST_FILE.write_text(MARKER_VALUE)
    yield
    HOST_FILE.unlink(missing_ok=True)


async def run(dotnet: DotnetRuntime, code: str, version: str = "10") -> SnippetResult:
    """Run the attack, then prove the runtime still serves and nothing of it is left."""
    result = await dotnet.run_snippet(code, version, [], 20)
    after = await dotnet.run_snippet(HELLO, version, [], 20)
    assert (after.outcome, after.stdout) == ("ok", "hello\n"), after
    assert runner_processes() == []
    assert MARKER_VALUE not in result.stdout + result.stderr
    return result


async def test_pinvoke_system_from_libc_stays_in_the_box(dotnet: DotnetRuntime) -> None:
    code = f"""
using System.Runtime.InteropServices;
system("id -u; cat /etc/shadow; cat {HOST_FILE}; ls /root /work");
static partial class Program {{
    [DllImport("libc")] static extern int system(string command);
}}
"""
    result = await run(dotnet, code)
    assert result.outcome == "ok", result
    assert result.stdout.splitlines()[0] != "0"  # not root
    assert "root:" not in result.stdout


async def test_process_start_bin_sh_stays_in_the_box(dotnet: DotnetRuntime) -> None:
    code = f"""
var start = new System.Diagnostics.ProcessStartInfo("/bin/sh",
    new[] {{ "-c", "id -u; cat /proc/1/environ; cat {HOST_FILE}" }});
start.RedirectStandardOutput = true;
using var shell = System.Diagnostics.Process.Start(start)!;
Console.Write(shell.StandardOutput.ReadToEnd());
shell.WaitForExit();
"""
    result = await run(dotnet, code)
    assert result.stdout.splitlines()[0] != "0", result


async def test_reading_host_files_and_environment_finds_nothing(dotnet: DotnetRuntime) -> None:
    code = f"""
foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
    Console.WriteLine($"{{e.Key}}={{e.Value}}");
foreach (var path in new[] {{ "{HOST_FILE}", "/etc/shadow", "/proc/1/environ" }})
{{
    try {{ Console.WriteLine(File.ReadAllText(path)); }}
    catch (Exception e) {{ Console.WriteLine($"{{path}}: {{e.GetType().Name}}"); }}
}}
Console.WriteLine(Directory.Exists("/work") || Directory.Exists("/root/.nuget"));
"""
    result = await run(dotnet, code)
    assert result.outcome == "ok", result
    assert HOST_MARKER not in result.stdout
    assert f"{HOST_FILE}: DirectoryNotFoundException" in result.stdout
    assert result.stdout.endswith("False\n")


async def test_httpclient_to_127_0_0_1_does_not_reach_the_host(
    dotnet: DotnetRuntime, server: Server
) -> None:
    code = f"""
using var client = new HttpClient {{ Timeout = TimeSpan.FromSeconds(5) }};
try {{ Console.WriteLine(await client.GetStringAsync("http://127.0.0.1:{server.port}/")); }}
catch (HttpRequestException e) {{ Console.WriteLine($"refused: {{e.Message}}"); }}
"""
    result = await run(dotnet, code)
    assert result.stdout.startswith("refused: "), result
    assert server.recorder.requests == []


async def test_httpclient_to_a_public_address_has_no_network(dotnet: DotnetRuntime) -> None:
    # 1.1.1.1 only as a connect target that must fail: the Box has no interface but loopback.
    code = """
using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
try { await client.GetStringAsync("http://1.1.1.1/"); Console.WriteLine("reached"); }
catch (HttpRequestException e) { Console.WriteLine($"unreachable: {e.Message}"); }
"""
    result = await run(dotnet, code)
    assert result.stdout.startswith("unreachable: "), result
    assert "unreachable" in result.stdout.lower()


async def test_process_bomb_is_stopped_by_the_pids_limit(dotnet: DotnetRuntime) -> None:
    code = """
var started = 0;
try {
    for (; started < 1000; started++)
        System.Diagnostics.Process.Start("/bin/sleep", "60");
} catch (Exception e) { Console.WriteLine($"stopped after {started}: {e.GetType().Name}"); }
"""
    result = await run(dotnet, code)
    assert result.stdout.startswith("stopped after "), result


async def test_thread_bomb_is_stopped_by_the_pids_limit(dotnet: DotnetRuntime) -> None:
    code = """
for (var i = 0; i < 100000; i++)
    new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = true }.Start();
"""
    result = await run(dotnet, code)
    assert (result.outcome, result.limit) == ("limit", "processes"), result


async def test_10_gb_allocation_is_refused_by_the_memory_limit(dotnet: DotnetRuntime) -> None:
    code = """
var chunks = new List<byte[]>();
for (var i = 0; i < 10; i++) chunks.Add(GC.AllocateArray<byte>(1 << 30));
Console.WriteLine(chunks.Count);
"""
    result = await run(dotnet, code)
    assert (result.outcome, result.limit) == ("limit", "memory"), result
    assert "Out of memory" in result.stderr or "OutOfMemoryException" in result.stderr


async def test_10_gb_native_allocation_is_killed_by_the_cgroup(dotnet: DotnetRuntime) -> None:
    code = """
using System.Runtime.InteropServices;
unsafe {
    var size = 10L << 30;
    var p = (byte*)NativeMemory.Alloc((nuint)size);
    for (long i = 0; i < size; i += 4096) p[i] = 1;
}
"""
    result = await run(dotnet, code)
    assert (result.outcome, result.limit) == ("limit", "memory"), result


async def test_disk_fill_is_stopped_by_the_sized_tmpfs(dotnet: DotnetRuntime) -> None:
    code = """
try { File.WriteAllText("/workspace/x", "x"); }
catch (Exception e) { Console.WriteLine(e.GetType().Name); }
var block = new byte[1 << 20];
using var file = File.OpenWrite("/tmp/fill");
for (var i = 0; i < 1024; i++) file.Write(block);
"""
    result = await run(dotnet, code)
    assert result.stdout.startswith("IOException"), result  # /workspace is read-only
    assert (result.outcome, result.limit) == ("limit", "disk"), result


async def test_stack_overflow_ends_only_that_run(dotnet: DotnetRuntime) -> None:
    result = await run(dotnet, "int Down(int n) => Down(n + 1) + 1;\nConsole.WriteLine(Down(0));")
    assert result.outcome == "runtime_error", result
    assert "Stack overflow" in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        'Foo" Version="1.0.0" /><Import Project="/etc/evil.targets',
        'Newtonsoft.Json@13.0.3" /><Import Project="x',
        "Newtonsoft.Json@13.0.3]<!--",
        "Foo@$(MSBuildThisFileDirectory)",
        "../../etc/passwd",
    ],
)
async def test_crafted_package_id_or_version_injecting_xml_is_refused(
    dotnet: DotnetRuntime, text: str
) -> None:
    with pytest.raises(InvalidPackageRefError, match="invalid"):
        parse_package_ref(text)
    with pytest.raises(InvalidPackageRefError):
        await dotnet.run_snippet(f"#:package {text}\n{HELLO}", "10", [], 20)
    forged = PackageRef(*text.split("@", 1)) if "@" in text else PackageRef(text, None)
    with pytest.raises(InvalidPackageRefError):
        project_xml("10", [forged], None)  # even a PackageRef built by hand never reaches XML


async def test_property_enabling_roll_forward_is_refused(
    dotnet: DotnetRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(RefusedCodeError, match="never rolled forward"):
        await dotnet.run_snippet(f"#:property RollForward=LatestMajor\n{HELLO}", "8", [], 20)
    monkeypatch.setenv("DOTNET_ROLL_FORWARD", "LatestMajor")  # the supervisor's own env
    monkeypatch.setenv("DOTNET_ROLL_FORWARD_TO_PRERELEASE", "1")
    result = await run(dotnet, f"{HELLO}\nConsole.WriteLine(Environment.Version);", "8")
    assert result.runtime.startswith(".NET 8."), result
    assert result.stdout.splitlines()[1].startswith("8.0.")
