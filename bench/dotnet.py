"""C# snippet latency on .NET 8, 9 and 10 in real Boxes, against the reference product's path.

Run: `.venv/bin/python bench/dotnet.py [--runs 30] [--data-dir DIR]` (prepares the data dir
first when needed; that takes minutes once). Prints one row per scenario with p50/p95 in ms:
warm snippets on each version, one with an already restored package, the first snippet of a
version after start, a new package set, a 3-version comparison, the compile servers' RSS, and
the reference path (a fresh project dir, `dotnet build`, then `dotnet run`) with the ratio.
Targets on a 2-core VM: warm net10 p50 <= 300 ms, p95 <= 700 ms; net8/net9 within 50 ms of
net10; + restored package <= 100 ms more; first snippet <= 5 s; new package set <= 8 s;
comparison <= 1.5 s.

`--part workspaces` (or `all`) times project workspaces, p50 of `--workspace-runs` (10) each, with
the reference path beside each row (plain host `dotnet build` + `dotnet run`, no warm build
server, no container; .NET 10, the only runtime the host has): a `webapi` created and answering
from cold (<= 15 s), edited, rebuilt and answering again (<= 4 s), an incremental build after an
edit (<= 2 s), and a run of a built console app (<= 1.5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import signal
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from polybox.config import Settings
from polybox.sandbox.backends import create_backend
from polybox.sandbox.box import BoxBackend, SpawnedProcess
from polybox.sandbox.dotnet import (
    DOTNET_VERSIONS,
    DotnetConfig,
    DotnetRuntime,
    DotnetWorkspace,
    PackageRef,
    SnippetResult,
    WorkspaceLimits,
)
from polybox.sandbox.dotnet.templates import NUGET_CONFIG, project_files
from polybox.sandbox.dotnet.toolchains import host_env, prepare

SNIPPET = (
    'var xs = Enumerable.Range(1, 10).Select(x => x * x);\nConsole.WriteLine(string.Join(",", xs));'
)
PACKAGE_SNIPPET = "Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new[] { 1, 2 }));"
PACKAGE = PackageRef("Newtonsoft.Json", "13.0.3")


async def host_dotnet(args: list[str], cwd: Path) -> None:
    """The reference path: the host's `dotnet`, no build server kept (host_env) or used."""
    process = await asyncio.create_subprocess_exec(
        "dotnet", *args, cwd=cwd, env=host_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"dotnet {args[0]} failed: {output.decode()[-2000:]}")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def row(name: str, samples: list[float], target: str) -> str:
    return (
        f"{name:<40} {len(samples):>4} {statistics.median(samples):>9.0f} "
        f"{percentile(samples, 0.95):>9.0f}  {target}"
    )


def checked(result: SnippetResult) -> SnippetResult:
    if result.outcome != "ok":
        raise RuntimeError(f"snippet failed: {result}")
    return result


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def warm(
    runtime: DotnetRuntime, version: str, runs: int, packages: list[PackageRef]
) -> list[float]:
    """`runs` timed snippets after 3 untimed ones; also prints where the time of each went."""
    code = PACKAGE_SNIPPET if packages else SNIPPET
    for _ in range(3):
        checked(await runtime.run_snippet(code, version, packages, 30))
    samples, results = [], []
    for _ in range(runs):
        started = time.perf_counter()
        results.append(checked(await runtime.run_snippet(code, version, packages, 30)))
        samples.append((time.perf_counter() - started) * 1000)
    compile_ms = statistics.median(r.compile_ms for r in results)
    run_ms = statistics.median(r.run_ms for r in results)
    print(
        f"  (net{version}: restore+compile p50 {compile_ms:.0f} ms, "
        f"Box+CLR run p50 {run_ms:.0f} ms)"
    )
    return samples


def new_runtime(backend: BoxBackend, settings: Settings) -> DotnetRuntime:
    return DotnetRuntime(backend, DotnetConfig.from_settings(settings))


async def reference_path(samples: int) -> list[float]:
    """dotbox-mcp's path without its container: new project dir, `dotnet build`, `dotnet run`."""
    project = (
        '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType>'
        "<TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings>"
        "<Nullable>enable</Nullable></PropertyGroup></Project>"
    )
    times = []
    for _ in range(samples):
        with tempfile.TemporaryDirectory() as directory:
            await asyncio.to_thread(Path(directory, "Snippet.csproj").write_text, project)
            await asyncio.to_thread(Path(directory, "Program.cs").write_text, SNIPPET)
            started = time.perf_counter()
            for args in (["build", "-nologo", "-v:q"], ["run", "-v:q"]):
                await host_dotnet(args, Path(directory))
            times.append((time.perf_counter() - started) * 1000)
    return times


async def snippets(
    backend: BoxBackend, settings: Settings, runs: int, reference_samples: int
) -> None:
    """The snippet rows (see the module docstring)."""
    first = new_runtime(backend, settings)
    try:
        samples = [await timed(lambda: first.run_snippet(SNIPPET, "10", [], 30))]
        print(row("first net10 snippet after start", samples, "<= 5000"))
        new_set = [PackageRef("Newtonsoft.Json", "13.0.1")]
        samples = [await timed(lambda: first.run_snippet(PACKAGE_SNIPPET, "10", new_set, 30))]
        print(row("new package set (restore + run)", samples, "<= 8000"))
    finally:
        await first.close()
    runtime = new_runtime(backend, settings)
    try:
        p50 = {}
        for version in ("10", "8", "9"):
            samples = await warm(runtime, version, runs, [])
            p50[version] = statistics.median(samples)
            target = "p50 <= 300, p95 <= 700" if version == "10" else f"p50 <= {p50['10'] + 50:.0f}"
            print(row(f"warm net{version} snippet", samples, target))
        samples = await warm(runtime, "10", runs, [PACKAGE])
        print(row("warm net10 + restored package", samples, f"p50 <= {p50['10'] + 100:.0f}"))

        async def compare() -> None:
            results = await asyncio.gather(
                *(runtime.run_snippet(SNIPPET, v, [], 30) for v in DOTNET_VERSIONS)
            )
            for result in results:
                checked(result)

        samples = [await timed(compare) for _ in range(max(runs // 3, 3))]
        print(row("3-version comparison (parallel)", samples, "p50 <= 1500"))
        for version, status in runtime.status().items():
            rss = status.compiler_rss_mb or 0.0
            name = f"compile server RSS net{version}"
            print(f"{name:<40} {'':>4} {rss:>9.0f} MiB  ({status.runtime})")
    finally:
        await runtime.close()
    reference = await reference_path(reference_samples)
    print(row("reference: new dir, dotnet build + run", reference, "(dotbox-mcp path)"))
    ratio = statistics.median(reference) / p50["10"]
    print(f"{'ratio reference / warm net10 (p50)':<40} {'':>4} {ratio:>9.1f}x")


API_PORT = 5080
REFERENCE_PORT = 5081
NO_SERVERS = ["-nologo", "-v:q", "-p:UseSharedCompilation=false", "-nodeReuse:false"]


async def until_answering(url: str, expected: str, alive: Callable[[], bool]) -> None:
    """Poll `url` until its body contains `expected` (the app died: RuntimeError)."""
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            with contextlib.suppress(httpx.TransportError):
                response = await client.get(url)
                if expected in response.text:
                    return
            if not alive():
                raise RuntimeError(f"{url}: the app exited before answering")
            await asyncio.sleep(0.05)


def edited_api(marker: str) -> bytes:
    """The webapi template's Program.cs answering `marker` at /."""
    program = project_files("webapi", "10", "Demo")["Program.cs"]
    return program.replace('service = "Demo"', f'service = "{marker}"').encode()


class HostApp:
    """The reference path's web API: `dotnet run` in a host project dir."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, marker: str) -> None:
        await asyncio.to_thread((self.directory / "Program.cs").write_bytes, edited_api(marker))
        await host_dotnet(["build", *NO_SERVERS], self.directory)
        env = host_env({"ASPNETCORE_URLS": f"http://127.0.0.1:{REFERENCE_PORT}"})
        self.process = await asyncio.create_subprocess_exec(
            "dotnet", "run", "--no-launch-profile", *NO_SERVERS, cwd=self.directory, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        process = self.process
        await until_answering(
            f"http://127.0.0.1:{REFERENCE_PORT}/", marker, lambda: process.returncode is None
        )

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()


def host_project(directory: Path, template: str) -> Path:
    """A polybox template project in a host dir (restored from the host's NuGet sources)."""
    for name, text in project_files(template, "10", "Demo").items():
        if name != NUGET_CONFIG:
            (directory / name).write_text(text)
    return directory


async def workspace_api(workspace: DotnetWorkspace, url: str, marker: str) -> SpawnedProcess:
    """Write, build, start the workspace's API and wait until it answers `marker`."""
    await workspace.box.write_file("Program.cs", edited_api(marker))
    build = await workspace.build()
    if not build.succeeded:
        raise RuntimeError(f"build failed: {build}")
    api = await workspace.spawn_app("api", [], {"ASPNETCORE_URLS": f"http://127.0.0.1:{API_PORT}"})
    await until_answering(url, marker, lambda: api.returncode is None)
    return api


async def cold_api_rows(dotnet: DotnetRuntime, limits: WorkspaceLimits, runs: int) -> None:
    """A new webapi workspace until its API answers, against a new host project dir."""

    async def cold_api() -> None:
        workspace = await DotnetWorkspace.create(dotnet, "10", "webapi", "Demo", limits)
        try:
            forward = await workspace.box.forward(API_PORT)
            await workspace_api(workspace, f"http://127.0.0.1:{forward.host_port}/", "cold")
        finally:
            await workspace.close()

    async def reference_cold_api() -> None:
        with tempfile.TemporaryDirectory() as directory:
            app = HostApp(host_project(Path(directory), "webapi"))
            try:
                await app.start("cold")
            finally:
                await app.stop()

    samples = [await timed(cold_api) for _ in range(runs)]
    reference = [await timed(reference_cold_api) for _ in range(runs)]
    both("webapi create -> answering (cold)", samples, reference, "<= 15000")


async def rebuild_rows(dotnet: DotnetRuntime, limits: WorkspaceLimits, runs: int) -> None:
    """A running API edited, rebuilt and answering again."""
    workspace = await DotnetWorkspace.create(dotnet, "10", "webapi", "Demo", limits)
    forward = await workspace.box.forward(API_PORT)
    url = f"http://127.0.0.1:{forward.host_port}/"
    with tempfile.TemporaryDirectory() as directory:
        app = HostApp(host_project(Path(directory), "webapi"))
        try:
            running = [await workspace_api(workspace, url, "warm-up")]

            async def rebuilt(marker: str) -> None:
                running[0].kill()
                await running[0].wait()
                running[0] = await workspace_api(workspace, url, marker)

            async def reference_rebuilt(marker: str) -> None:
                await app.stop()
                await app.start(marker)

            samples = [await timed(functools.partial(rebuilt, f"edit-{i}")) for i in range(runs)]
            await app.start("warm-up")
            reference = [
                await timed(functools.partial(reference_rebuilt, f"edit-{i}")) for i in range(runs)
            ]
            both("webapi edit -> rebuild -> answering", samples, reference, "<= 4000")
        finally:
            await app.stop()
            await workspace.close()


async def console_rows(dotnet: DotnetRuntime, limits: WorkspaceLimits, runs: int) -> None:
    """Incremental builds after an edit, and runs of a built console app."""
    workspace = await DotnetWorkspace.create(dotnet, "10", "console", "Demo", limits)
    with tempfile.TemporaryDirectory() as directory:
        project = host_project(Path(directory), "console")
        try:
            await checked_run(workspace)

            async def incremental(i: int) -> None:
                code = f'Console.WriteLine("edit {i}");'
                await workspace.box.write_file("Program.cs", code.encode())
                if not (await workspace.build()).succeeded:
                    raise RuntimeError("incremental build failed")

            async def reference_incremental(i: int) -> None:
                code = f'Console.WriteLine("edit {i}");'
                await asyncio.to_thread((project / "Program.cs").write_text, code)
                await host_dotnet(["build", *NO_SERVERS], project)

            await host_dotnet(["build", *NO_SERVERS], project)
            samples = [await timed(functools.partial(incremental, i)) for i in range(runs)]
            reference = [
                await timed(functools.partial(reference_incremental, i)) for i in range(runs)
            ]
            both("console incremental build after an edit", samples, reference, "<= 2000")
            samples = [await timed(functools.partial(checked_run, workspace)) for _ in range(runs)]
            host_run = functools.partial(host_dotnet, ["run", *NO_SERVERS], project)
            reference = [await timed(host_run) for _ in range(runs)]
            both("run of a built console app", samples, reference, "<= 1500")
        finally:
            await workspace.close()


async def checked_run(workspace: DotnetWorkspace) -> None:
    build, ran = await workspace.run([], 120)  # the first build is cold
    if ran is None or ran.exit_code != 0:
        raise RuntimeError(f"run failed: {build} {ran}")


def both(name: str, samples: list[float], reference: list[float], target: str) -> None:
    print(row(name, samples, target))
    ratio = statistics.median(reference) / statistics.median(samples)
    print(row("  reference: host dotnet build/run", reference, f"({ratio:.1f}x polybox)"))


async def main(
    part: str,
    runs: int,
    workspace_runs: tuple[int, int],
    data_dir: Path,
    reference_samples: int,
) -> None:
    settings = Settings(data_dir=data_dir, dotnet_prewarm_versions=[])
    await prepare(data_dir, DOTNET_VERSIONS)
    backend = create_backend(settings)
    print(f"{'scenario':<40} {'n':>4} {'p50 ms':>9} {'p95 ms':>9}  target")
    try:
        if part in ("snippets", "all"):
            await snippets(backend, settings, runs, reference_samples)
        if part in ("workspaces", "all"):
            dotnet = new_runtime(backend, settings)
            limits = WorkspaceLimits.from_settings(settings)
            try:
                warm_runs, cold_runs = workspace_runs
                await console_rows(dotnet, limits, warm_runs)
                await rebuild_rows(dotnet, limits, warm_runs)
                await cold_api_rows(dotnet, limits, cold_runs)
            finally:
                await dotnet.close()
    finally:
        await backend.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("snippets", "workspaces", "all"), default="all")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--workspace-runs", type=int, default=10)
    parser.add_argument(
        "--cold-runs", type=int, default=10, help="samples of the cold webapi row (each side)"
    )
    parser.add_argument("--reference-samples", type=int, default=3)
    parser.add_argument(
        "--data-dir", type=Path,
        default=Path(os.environ.get("POLYBOX_TEST_DOTNET_DIR", "/var/tmp/polybox-dotnet-tests")),  # noqa: S108
        help="a data dir to prepare and use (default: the tests' prepared one)",
    )  # fmt: skip
    args = parser.parse_args()
    asyncio.run(
        main(
            args.part,
            args.runs,
            (args.workspace_runs, args.cold_runs),
            args.data_dir,
            args.reference_samples,
        )
    )
