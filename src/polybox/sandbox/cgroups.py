"""A cgroup per Box, where the host lets polybox create one: whole-Box memory and process caps.

rlimits bound each process; a cgroup bounds the Box as a whole (a fork bomb, or many processes
each under their address-space limit). Box cgroups are made *below polybox's own cgroup*, so the
limits of whatever runs polybox (systemd unit, container) still apply on top. cgroup v2 is used
when its memory and pids controllers can be enabled there; otherwise the v1 `memory` and `pids`
hierarchies, plus `cpuacct` when writable (only to tell the CPU time a Box used). When neither
is writable, Boxes run without one and `capabilities` says so.

Processes join from the launcher's preexec (as root, before dropping to the sandbox uid) by
writing "0" to each `cgroup.procs`, so there is no window in which they run outside it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from polybox.sandbox.box import Limits

CGROUP_ROOT = Path("/sys/fs/cgroup")
_V1_CONTROLLERS = ("memory", "pids")
_V1_ACCOUNTING = "cpuacct"  # optional: CPU time used, no cap
_MB = 1024 * 1024


@dataclass(frozen=True)
class CgroupLayout:
    """Where Box cgroups go: one parent dir per hierarchy, and whether that is cgroup v2."""

    parents: tuple[Path, ...]
    v2: bool


def _own_path(controller: str) -> str | None:
    """This process's cgroup path in the hierarchy of `controller` ("" for the v2 one)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers.split(",") == [controller] or (controller == "" and controllers == ""):
            return path
    return None


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def detect_layout(root: Path = CGROUP_ROOT) -> tuple[CgroupLayout | None, str]:
    """The usable layout, or None and the reason none is usable."""
    v2_root = root if (root / "cgroup.controllers").exists() else root / "unified"
    own_v2 = _own_path("")
    if own_v2 is not None and (v2_root / "cgroup.controllers").exists():
        parent = v2_root / own_v2.lstrip("/")
        controllers = (parent / "cgroup.controllers").read_text().split()
        if {"memory", "pids"} <= set(controllers) and _writable(parent):
            try:
                (parent / "cgroup.subtree_control").write_text("+memory +pids")
            except OSError as exc:
                reason = f"cgroup v2 at {parent}: cannot enable controllers ({exc.strerror})"
            else:
                return CgroupLayout((parent,), v2=True), ""
        else:
            reason = f"cgroup v2 at {parent}: memory+pids not delegated or not writable"
    else:
        reason = "no cgroup v2 hierarchy"
    parents = []
    for controller in (*_V1_CONTROLLERS, _V1_ACCOUNTING):
        own = _own_path(controller)
        parent = root / controller / (own or "/").lstrip("/")
        if own is not None and _writable(parent):
            parents.append(parent)
        elif controller != _V1_ACCOUNTING:
            return None, f"{reason}; cgroup v1 {controller} hierarchy not writable"
    return CgroupLayout(tuple(parents), v2=False), ""


class BoxCgroup:
    """The cgroup(s) of one Box. Create with `create`, remove with `remove` once it is empty."""

    def __init__(self, dirs: tuple[Path, ...], v2: bool) -> None:
        self.dirs = dirs
        self.v2 = v2
        self._procs = [str(directory / "cgroup.procs") for directory in dirs]

    @classmethod
    def create(cls, layout: CgroupLayout, name: str, limits: Limits) -> BoxCgroup:
        """Make the cgroup and set its memory and pids caps."""
        dirs = tuple(parent / f"polybox-{name}" for parent in layout.parents)
        for directory in dirs:
            directory.mkdir(mode=0o755)
        memory = str(limits.memory_mb * _MB)
        pids = str(limits.processes)
        if layout.v2:
            (dirs[0] / "memory.max").write_text(memory)
            (dirs[0] / "memory.swap.max").write_text("0")
            (dirs[0] / "pids.max").write_text(pids)
        else:
            memory_dir, pids_dir = dirs[:2]
            (memory_dir / "memory.limit_in_bytes").write_text(memory)
            swap = memory_dir / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(memory)
            (pids_dir / "pids.max").write_text(pids)
        return cls(dirs, layout.v2)

    def join(self) -> None:
        """Move the calling process into the cgroup (for preexec: no allocations, no logging)."""
        for procs in self._procs:
            fd = os.open(procs, os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)

    def limits_hit(self) -> set[str]:
        """Which caps stopped something in this cgroup so far: "memory" (an OOM kill) and/or
        "processes" (a fork or thread refused at pids.max)."""
        return {name for name, count in self.limit_counts().items() if count > 0}

    def limit_counts(self) -> dict[str, int]:
        """How often each cap ("memory", "processes") stopped something so far; comparing two
        readings tells whether a limit stopped what ran in between."""
        memory_dir, pids_dir = (self.dirs[0], self.dirs[0]) if self.v2 else self.dirs[:2]
        memory_file = "memory.events" if self.v2 else "memory.oom_control"
        counts = {"memory": 0, "processes": 0}
        for name, path, key in (
            ("memory", memory_dir / memory_file, "oom_kill"),
            ("processes", pids_dir / "pids.events", "max"),
        ):
            with contextlib.suppress(OSError, ValueError):
                for line in path.read_text().splitlines():
                    field, _, count = line.partition(" ")
                    if field == key:
                        counts[name] = int(count)
        return counts

    def usage(self) -> tuple[float | None, int | None]:
        """CPU seconds used so far and memory in use now, each None if unreadable (CPU on
        cgroup v1 needs the `cpuacct` hierarchy)."""
        cpu: float | None = None
        memory: int | None = None
        memory_file = "memory.current" if self.v2 else "memory.usage_in_bytes"
        with contextlib.suppress(OSError, ValueError):
            memory = int((self.dirs[0] / memory_file).read_text())
        if self.v2:
            with contextlib.suppress(OSError, ValueError):
                for line in (self.dirs[0] / "cpu.stat").read_text().splitlines():
                    field, _, value = line.partition(" ")
                    if field == "usage_usec":
                        cpu = int(value) / 1e6
        elif len(self.dirs) > len(_V1_CONTROLLERS):
            with contextlib.suppress(OSError, ValueError):
                cpu = int((self.dirs[-1] / "cpuacct.usage").read_text()) / 1e9
        return cpu, memory

    def kill(self) -> None:
        """SIGKILL every process still in the cgroup."""
        if self.v2:
            with contextlib.suppress(OSError):
                (self.dirs[0] / "cgroup.kill").write_text("1")
                return
        for directory in self.dirs:
            with contextlib.suppress(OSError):
                for pid in (directory / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), signal.SIGKILL)

    def remove(self, patience: float = 2.0) -> None:
        """Remove the cgroup, killing stragglers; killed processes may take a moment to leave.

        Blocking (call it from a thread). Gives up silently after `patience` seconds.
        """
        deadline = time.monotonic() + patience
        for directory in self.dirs:
            while True:
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    self.kill()
                    time.sleep(0.01)
