"""The Box: one isolated environment with its own /workspace, and the backends that make them.

Everything above the sandbox layer (the Python worker pool, the egress broker, .NET workspaces)
talks to these types only. A backend decides *how* a Box is isolated; callers decide *what* runs
in it and under which limits. Paths given to the file operations are relative to /workspace.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

WORKSPACE = "/workspace"
"""Where the Box's own writable directory is, as seen by code inside the Box."""


class BoxError(Exception):
    """A Box operation failed; the message says what and, where possible, how to fix it."""


class SandboxUnavailableError(BoxError):
    """The requested isolation cannot run on this host (the message names the fix)."""


class PathEscapeError(BoxError):
    """A workspace path tried to leave /workspace (absolute path, `..` or a symlink)."""


class BoxClosedError(BoxError):
    """The Box was destroyed; nothing more can run in it."""


@dataclass(frozen=True)
class Limits:
    """Resource limits enforced on every process started in a Box.

    Address space, CPU time, file size and open files are rlimits of each process; processes and
    memory are also enforced for the whole Box by a cgroup where the host lets polybox create one.
    Core dumps are always disabled. `address_space=False` drops the address-space rlimit, for
    runtimes that reserve far more than they use (the CLR): memory is then bounded by the cgroup
    and by the runtime's own setting (e.g. DOTNET_GCHeapHardLimit).
    """

    memory_mb: int = 512
    cpu_seconds: int = 60
    processes: int = 64
    file_size_mb: int = 64
    open_files: int = 256
    tmp_size_mb: int = 64
    workspace_size_mb: int | None = None
    """None: /workspace is the Box's host directory, shared by its processes and reached by the
    file operations. A size: each process of the Box gets its own tmpfs of that size at
    /workspace, which the host-side file operations do not reach (the Python pool's workers)."""
    address_space: bool = True


@dataclass(frozen=True)
class BoxSpec:
    """What a Box looks like: its limits, extra read-only directories, and whether it has a network.

    `ro_binds` maps a host path to a path inside the Box (e.g. an approved packages directory).
    With `network=False` the Box has only a loopback interface of its own.
    """

    limits: Limits = field(default_factory=Limits)
    ro_binds: tuple[tuple[Path, str], ...] = ()
    network: bool = False


@dataclass(frozen=True)
class ExecResult:
    """The outcome of one `Box.exec`. Output beyond the limit is dropped and `truncated` set."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    truncated: bool
    duration: float

    @property
    def ok(self) -> bool:
        """True when the process exited 0 on its own."""
        return self.exit_code == 0 and not self.timed_out


@dataclass(frozen=True)
class FileInfo:
    """One entry of `Box.list_files`; `path` is relative to /workspace."""

    path: str
    size: int
    is_dir: bool
    modified: float


class BoxProcess(ABC):
    """A long-lived process in a Box with its stdin/stdout as asyncio streams.

    Its stderr goes to the Box log (`Box.read_log`). The Python worker pool speaks its protocol
    over `stdin`/`stdout`.
    """

    stdin: asyncio.StreamWriter
    stdout: asyncio.StreamReader

    @property
    @abstractmethod
    def pid(self) -> int:
        """The host pid of the process (or of the sandbox launcher that owns it)."""

    @property
    @abstractmethod
    def returncode(self) -> int | None:
        """The exit status, or None while it runs."""

    @abstractmethod
    def kill(self) -> None:
        """Kill the process and everything it started; safe to call twice."""

    @abstractmethod
    async def wait(self) -> int:
        """Wait for the exit and return the status (negative: killed by that signal)."""


class SpawnedProcess(ABC):
    """A background process whose stdout and stderr go to a log file the Box cannot touch."""

    name: str

    @property
    @abstractmethod
    def returncode(self) -> int | None:
        """The exit status, or None while it runs."""

    @abstractmethod
    async def tail(self, max_bytes: int = 65536) -> bytes:
        """The last `max_bytes` of the log."""

    @abstractmethod
    async def read_at(self, offset: int, max_bytes: int = 65536) -> bytes:
        """Up to `max_bytes` of the log from byte `offset` (empty at its end), to follow it."""

    @abstractmethod
    def kill(self) -> None:
        """Kill the process and everything it started; safe to call twice."""

    @abstractmethod
    async def wait(self) -> int:
        """Wait for the exit and return the status."""


class Forward(ABC):
    """A TCP port inside the Box made reachable on the host at 127.0.0.1:`host_port`."""

    box_port: int
    host_port: int

    @abstractmethod
    async def close(self) -> None:
        """Stop accepting connections and drop the open ones; idempotent."""


class Box(ABC):
    """One isolated environment. All methods raise `BoxClosedError` after `destroy()`."""

    id: str
    spec: BoxSpec

    @abstractmethod
    async def exec(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float,  # noqa: ASYNC109 - a deadline for the Box process, not for us
        output_limit: int = 1 << 20,
    ) -> ExecResult:
        """Run argv in /workspace to completion, killing it (and its children) at `timeout`.

        `env` is the whole environment besides PATH, HOME and LANG; nothing of the host's
        environment leaks in. Each of stdout and stderr keeps at most `output_limit` bytes.
        """

    @abstractmethod
    async def start(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None
    ) -> BoxProcess:
        """Start a long-lived process with stdin/stdout pipes (see `BoxProcess`)."""

    @abstractmethod
    async def spawn(
        self, argv: Sequence[str], *, name: str, env: Mapping[str, str] | None = None
    ) -> SpawnedProcess:
        """Start a background process logging to a file; `name` identifies its log."""

    @abstractmethod
    async def read_file(self, path: str) -> bytes:
        """Read a regular file of the workspace."""

    @abstractmethod
    async def write_file(self, path: str, data: bytes) -> None:
        """Create or replace a file of the workspace, creating parent directories."""

    @abstractmethod
    async def list_files(self, path: str = ".") -> list[FileInfo]:
        """Entries of a workspace directory, sorted by name (not recursive)."""

    @abstractmethod
    async def read_log(self, max_bytes: int = 65536) -> bytes:
        """The last `max_bytes` of the Box log (stderr of processes from `start`)."""

    @abstractmethod
    async def forward(self, port: int) -> Forward:
        """Expose TCP `port` listening on 127.0.0.1 inside the Box on the host's loopback."""

    @abstractmethod
    async def destroy(self) -> None:
        """Kill every process of the Box and remove its workspace; idempotent."""


class BoxBackend(ABC):
    """Makes Boxes of one isolation technology. `close()` destroys the Boxes it still owns."""

    name: str

    @abstractmethod
    async def create(self, spec: BoxSpec | None = None) -> Box:
        """A new, empty Box (spec defaults to `BoxSpec()`)."""

    @abstractmethod
    async def close(self) -> None:
        """Destroy every Box this backend created and release its resources; idempotent."""

    def isolation_layers(self) -> tuple[str, ...]:
        """The isolation layers its Boxes have, for doctor and /readyz; empty means none."""
        return ()

    async def remove_leftovers(self) -> int:
        """Remove the Boxes that a crashed earlier process of this instance left behind.

        Only this instance's; returns how many leftovers (earlier runs, containers) it found.
        Called once at start-up.
        """
        return 0

    def box_exists(self, box_id: str) -> bool:
        """Whether Box `box_id` still exists: made by this process or a live one on the same data
        dir. After `remove_leftovers`, a crashed run's Boxes do not (the default: none survive)."""
        return False

    def landlock_abi(self) -> int:
        """The Landlock ABI that Python workers in its Boxes put themselves under; 0: none.

        Only a backend whose Box layout matches the worker's rules (bwrap) offers it. The pool
        refuses a worker whose ready frame reports another ABI, so a "landlock" layer listed from
        this is in force in every worker that serves a call.
        """
        return 0
