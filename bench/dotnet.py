"""C# snippet latency on .NET 8, 9 and 10 in real Boxes, against the reference product's path.

Run: `.venv/bin/python bench/dotnet.py [--runs 30] [--data-dir DIR]` (prepares the data dir
first when needed; that takes minutes once). Prints one row per scenario with p50/p95 in ms:
warm snippets on each version, one with an already restored package, the first snippet of a
version after start, a new package set, a 3-version comparison, the compile servers' RSS, and
the reference path (a fresh project dir, `dotnet build`, then `dotnet run`) with the ratio.
Targets on a 2-core VM: warm net10 p50 <= 300 ms, p95 <= 700 ms; net8/net9 within 50 ms of
net10; + restored package <= 100 ms more; first snippet <= 5 s; new package set <= 8 s;
comparison <= 1.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from polybox.config import Settings
from polybox.sandbox.backends import create_backend
from polybox.sandbox.box import BoxBackend
from polybox.sandbox.dotnet import (
    DOTNET_VERSIONS,
    DotnetConfig,
    DotnetRuntime,
    PackageRef,
    SnippetResult,
)
from polybox.sandbox.dotnet.toolchains import host_env, prepare

SNIPPET = (
    'var xs = Enumerable.Range(1, 10).Select(x => x * x);\nConsole.WriteLine(string.Join(",", xs));'
)
PACKAGE_SNIPPET = "Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new[] { 1, 2 }));"
PACKAGE = PackageRef("Newtonsoft.Json", "13.0.3")


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
                process = await asyncio.create_subprocess_exec(
                    "dotnet", *args, cwd=directory, env=host_env(),
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                )  # fmt: skip
                output, _ = await process.communicate()
                if process.returncode != 0:
                    raise RuntimeError(f"dotnet {args[0]} failed: {output.decode()[-2000:]}")
            times.append((time.perf_counter() - started) * 1000)
    return times


async def main(runs: int, data_dir: Path, reference_samples: int) -> None:
    settings = Settings(data_dir=data_dir, dotnet_prewarm_versions=[])
    await prepare(data_dir, DOTNET_VERSIONS)
    backend = create_backend(settings)
    print(f"{'scenario':<40} {'n':>4} {'p50 ms':>9} {'p95 ms':>9}  target")
    try:
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
                target = (
                    "p50 <= 300, p95 <= 700" if version == "10" else f"p50 <= {p50['10'] + 50:.0f}"
                )
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
    finally:
        await backend.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reference-samples", type=int, default=3)
    parser.add_argument(
        "--data-dir", type=Path,
        default=Path(os.environ.get("POLYBOX_TEST_DOTNET_DIR", "/var/tmp/polybox-dotnet-tests")),  # noqa: S108
        help="a data dir to prepare and use (default: the tests' prepared one)",
    )  # fmt: skip
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.data_dir, args.reference_samples))
