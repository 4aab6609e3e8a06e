"""How a .NET process is set up inside a Box: its limits and its environment.

The CLR reserves far more address space than it uses, so memory is bounded by the Box cgroup and
the GC heap limit, never RLIMIT_AS. .NET 8's W^X allocator sizes a memfd far beyond any real use,
so RLIMIT_FSIZE is lifted too: what a Box may write is bounded by its sized tmpfs instead (its
/workspace is read-only or its own). W^X is turned off: it costs start-up time and protects
nothing from snippet code, which may P/Invoke anything the Box allows. Threads count as
processes (pids cgroup): the CLR needs about 20.
"""

from __future__ import annotations

from polybox.sandbox.box import Limits

_MB = 1024 * 1024
_NO_FILE_SIZE_LIMIT_MB = 1 << 30


def clr_limits(memory_mb: int, processes: int, tmp_size_mb: int, *, cpu_seconds: int) -> Limits:
    """Box limits for a .NET process (see the module docstring)."""
    return Limits(
        memory_mb=memory_mb,
        cpu_seconds=cpu_seconds,
        processes=processes,
        file_size_mb=_NO_FILE_SIZE_LIMIT_MB,
        open_files=1024,
        tmp_size_mb=tmp_size_mb,
        address_space=False,
    )


def clr_env(memory_mb: int) -> dict[str, str]:
    """The environment of a .NET process in a Box: tmpfs homes, nothing phoning home, no
    diagnostics port, no roll-forward knobs, and a GC heap cap under the Box's memory limit."""
    heap = memory_mb * _MB * 3 // 4
    return {
        "HOME": "/tmp",  # noqa: S108 - the Box's own tmpfs
        "DOTNET_CLI_HOME": "/tmp",  # noqa: S108
        "TMPDIR": "/tmp",  # noqa: S108
        "DOTNET_CLI_TELEMETRY_OPTOUT": "1",
        "DOTNET_NOLOGO": "1",
        "DOTNET_SKIP_FIRST_TIME_EXPERIENCE": "1",
        "DOTNET_EnableDiagnostics": "0",
        "DOTNET_gcServer": "0",
        "DOTNET_GCHeapHardLimit": f"{heap:x}",
        # W^X double-maps JIT code through memfds and slows start-up; it hardens a process
        # against JIT spraying, which code that may P/Invoke mprotect does not need.
        "DOTNET_EnableWriteXorExecute": "0",
    }
