"""The part of a Box common to backends that run it as host processes (bwrap and local).

A Box lives in `<boxes dir>/<id>/`: `workspace/` (its /workspace), `logs/` (written by the
supervisor through file descriptors, never visible inside the Box) and `run/` (sockets for
`forward`). Subclasses only say how an argv becomes a host command and how a forwarded
connection reaches the Box.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from polybox.sandbox.box import (
    Box,
    BoxBackend,
    BoxClosedError,
    BoxError,
    BoxProcess,
    BoxSpec,
    ExecResult,
    FileInfo,
    Forward,
    SpawnedProcess,
)
from polybox.sandbox.diskquota import unmount_workspace
from polybox.sandbox.forward import Connector, Forwards
from polybox.sandbox.processes import (
    HostCommand,
    LoggedProcess,
    PipedProcess,
    kill_group,
    launch,
    run_to_completion,
    tail_file,
)
from polybox.sandbox.runs import RUN_SUFFIX, Run, dead_runs
from polybox.sandbox.workspace import Workspace

Cleanup = Callable[[], Awaitable[None]]
BOX_PATH = "/usr/local/bin:/usr/bin:/bin"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
BOX_LOG = "box.log"


def new_box_id() -> str:
    """A short random id, safe in paths, cgroup and container names."""
    return uuid.uuid4().hex[:16]


class HostBox(Box):
    """A Box whose processes are host subprocesses; see the module docstring for its layout."""

    def __init__(
        self, box_id: str, spec: BoxSpec, box_dir: Path, uid: int | None, gid: int | None
    ) -> None:
        self.id = box_id
        self.spec = spec
        self.dir = box_dir
        self.workspace = Workspace(box_dir / "workspace", uid, gid)
        self.logs = box_dir / "logs"
        self.run_dir = box_dir / "run"
        self._uid = uid
        self._gid = gid
        self._processes: set[asyncio.subprocess.Process] = set()
        self._forwards = Forwards()
        self._destroyed = False

    def prepare(self) -> None:
        """Create the Box's directories (the workspace and run dir owned by the Box's uid)."""
        self.dir.mkdir(mode=0o711)  # traversable, not listable: bwrap binds by path
        self.logs.mkdir(mode=0o700)
        self.workspace.create()
        self.run_dir.mkdir(mode=0o700)
        os.chown(
            self.run_dir,
            -1 if self._uid is None else self._uid,
            -1 if self._gid is None else self._gid,
        )

    @abstractmethod
    def command(self, argv: Sequence[str], env: Mapping[str, str] | None) -> HostCommand:
        """The host command running argv inside this Box with exactly `env` (+ PATH/HOME/LANG)."""

    @abstractmethod
    async def forward_connector(self, port: int) -> tuple[Connector, Cleanup]:
        """How the host side of a forward reaches `port` inside the Box, and how to stop that."""

    def box_env(self, env: Mapping[str, str] | None, home: str) -> dict[str, str]:
        """The whole environment of a Box process: PATH, HOME, LANG and the caller's `env`."""
        full = {"PATH": BOX_PATH, "HOME": home, "LANG": "C.UTF-8"}
        full.update(env or {})
        return full

    def release(self) -> None:
        """Backend resources to free after every process is dead (e.g. a cgroup); may block."""

    def _check(self) -> None:
        if self._destroyed:
            raise BoxClosedError(f"box {self.id} was destroyed")

    def _check_files(self) -> None:
        self._check()
        if self.spec.limits.workspace_size_mb is not None and self.private_workspace:
            raise BoxError(
                f"box {self.id} has a sized /workspace inside each of its processes; the host "
                "cannot reach its files (create the Box without workspace_size_mb)"
            )

    private_workspace = False
    """Whether a sized /workspace is private to each Box process (the backend mounts a tmpfs)."""

    async def exec(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float,  # noqa: ASYNC109 - a deadline for the Box process, not for us
        output_limit: int = 1 << 20,
    ) -> ExecResult:
        self._check()
        return await run_to_completion(
            self.command(argv, env),
            stdin=stdin,
            timeout=timeout,
            output_limit=output_limit,
            registry=self._processes,
        )

    async def start(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None
    ) -> BoxProcess:
        self._check()
        with (self.logs / BOX_LOG).open("ab") as log:
            process = await launch(
                self.command(argv, env),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log.fileno(),
                registry=self._processes,
            )
        return PipedProcess(process)

    async def spawn(
        self, argv: Sequence[str], *, name: str, env: Mapping[str, str] | None = None
    ) -> SpawnedProcess:
        self._check()
        if not _NAME.fullmatch(name):
            raise BoxError(f"process name {name!r}: use 1-64 letters, digits, '_', '.', '-'")
        log_path = self.logs / f"{name}.log"
        with log_path.open("ab") as log:
            process = await launch(
                self.command(argv, env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log.fileno(),
                stderr=log.fileno(),
                registry=self._processes,
            )
        return LoggedProcess(name, process, log_path)

    async def read_file(self, path: str) -> bytes:
        self._check_files()
        return await asyncio.to_thread(self.workspace.read, path)

    async def write_file(self, path: str, data: bytes) -> None:
        self._check_files()
        await asyncio.to_thread(self.workspace.write, path, data)

    async def list_files(self, path: str = ".") -> list[FileInfo]:
        self._check_files()
        return await asyncio.to_thread(self.workspace.list, path)

    async def read_log(self, max_bytes: int = 65536) -> bytes:
        return tail_file(self.logs / BOX_LOG, max_bytes)

    async def forward(self, port: int) -> Forward:
        self._check()
        connector, cleanup = await self.forward_connector(port)
        return await self._forwards.open(port, connector, cleanup)

    async def destroy(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        await self._forwards.close_all()
        for process in list(self._processes):
            kill_group(process)
        self.kill_rest()
        for process in list(self._processes):
            await process.wait()
        self._processes.clear()
        await asyncio.to_thread(self.release)
        await asyncio.to_thread(unmount_workspace, self.dir)
        await asyncio.to_thread(shutil.rmtree, self.dir, True)

    def kill_rest(self) -> None:
        """Kill processes of the Box that escaped their process group (backend-specific)."""


class HostBackend(BoxBackend):
    """Creates HostBoxes under `boxes_dir` and destroys those still alive on `close()`.

    Box ids start with the backend's run (`runs.py`), so that the leftovers of a process that
    died without closing can be told from the Boxes of a live one and removed.
    """

    def __init__(self, boxes_dir: Path) -> None:
        self.boxes_dir = boxes_dir
        self._boxes: dict[str, HostBox] = {}
        self._run: Run | None = None

    def _own_run(self) -> Run:
        if self._run is None:
            self.boxes_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._run = Run(self.boxes_dir)
        return self._run

    async def remove_leftovers(self) -> int:
        self._own_run()  # ours is locked before looking, so no other start-up takes it
        dead = await asyncio.to_thread(dead_runs, self.boxes_dir)
        for run in dead:
            for box_dir in self.boxes_dir.glob(f"{run}-*"):
                await asyncio.to_thread(unmount_workspace, box_dir)
                await asyncio.to_thread(shutil.rmtree, box_dir, True)
            await asyncio.to_thread(self.remove_run_resources, run)
            (self.boxes_dir / f"{run}{RUN_SUFFIX}").unlink(missing_ok=True)
        return len(dead)

    def box_exists(self, box_id: str) -> bool:
        return (
            "/" not in box_id
            and box_id not in ("", ".", "..")
            and (self.boxes_dir / box_id).is_dir()
        )

    def remove_run_resources(self, run: str) -> None:
        """Remove what a dead run's Boxes left outside their directories (e.g. cgroups)."""

    @abstractmethod
    def new_box(self, box_id: str, spec: BoxSpec, box_dir: Path) -> HostBox:
        """An unprepared Box of this backend."""

    async def create(self, spec: BoxSpec | None = None) -> Box:
        box_id = f"{self._own_run().id}-{new_box_id()}"
        box = self.new_box(box_id, spec or BoxSpec(), self.boxes_dir / box_id)
        await asyncio.to_thread(box.prepare)
        self._boxes[box_id] = box
        return box

    async def close(self) -> None:
        boxes, self._boxes = list(self._boxes.values()), {}
        for box in boxes:
            await box.destroy()
        if self._run is not None:
            self._run.release()
            self._run = None
