"""The docker backend: each Box is one container of `settings.docker_image`.

The container: read-only rootfs; /workspace a volume of its own owned by the Box user; sized
tmpfs /tmp and /dev/shm; every process as uid:gid 65534 with no capabilities and
no-new-privileges; memory (no swap), CPU, pids, open-file, file-size and CPU-time limits from
`Limits`; core dumps off; network mode `none` unless the spec asks for a network; an init as
pid 1 reaping zombies. Processes are engine execs (see `dockerexec.py`), files go through the
archive API (see `dockerfiles.py`).

A spec naming an image (`BoxSpec.image`: a .NET workspace image of `dockerimages.py`) runs the
Box from it under the same isolation; such an image is never pulled (a missing one is an error
naming `polybox images build`) and its own tini is pid 1 instead of the engine's init.

`forward(port)` publishes nothing on the host: each connection to the host's loopback listener
becomes an exec of a small pipe program that dials 127.0.0.1:port inside the container. It
works for Boxes without a network and for a remote engine, at the price of an exec per
connection.

Containers and volumes carry `polybox.box=<id>` and `polybox.instance=<id>`; the instance id is
derived from the data dir, so it is stable across restarts. `close()` removes exactly what
carries this instance's label (its Boxes, and leftovers of an earlier run that crashed).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from docker import APIClient
from docker.types import HostConfig, Ulimit

from polybox.config import Settings
from polybox.sandbox.box import (
    WORKSPACE,
    Box,
    BoxBackend,
    BoxClosedError,
    BoxError,
    BoxProcess,
    BoxSpec,
    ExecResult,
    FileInfo,
    Forward,
    Limits,
    SpawnedProcess,
)
from polybox.sandbox.dockerapi import (
    BOX_GID,
    BOX_UID,
    BOX_USER,
    EngineNotFoundError,
    call,
    engine_address,
)
from polybox.sandbox.dockerexec import (
    DockerProcess,
    DockerSpawned,
    ExecStream,
    Sink,
    run_to_completion,
)
from polybox.sandbox.dockerfiles import BoxFiles
from polybox.sandbox.forward import Forwards
from polybox.sandbox.hostbox import BOX_LOG, BOX_PATH, new_box_id
from polybox.sandbox.processes import tail_file

BOX_LABEL = "polybox.box"
INSTANCE_LABEL = "polybox.instance"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_MB = 1024 * 1024
_IDLE = ["python3", "-I", "-S", "-c", "import signal; signal.pause()"]
_CHOWN = f"import os; os.chown({WORKSPACE!r}, {BOX_UID}, {BOX_GID})"
PIPE_SOURCE = """
import socket, sys, threading
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def upstream():
    while data := sys.stdin.buffer.read1(65536):
        conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)
threading.Thread(target=upstream, daemon=True).start()
while data := conn.recv(65536):
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
"""


def instance_id(data_dir: Path) -> str:
    """A short id of this polybox installation, the same on every restart (from the data dir)."""
    return hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]


def host_config(
    api: APIClient, limits: Limits, *, volume: str, network: str, cpus: float, init: bool = True
) -> HostConfig:
    """The engine-side isolation of a Box container (see the module docstring)."""
    return HostConfig(
        version=api.api_version,
        binds={volume: {"bind": WORKSPACE, "mode": "rw"}},
        read_only=True,
        tmpfs={"/tmp": f"rw,nosuid,nodev,size={limits.tmp_size_mb}m,mode=1777"},  # noqa: S108
        shm_size=limits.tmp_size_mb * _MB,
        ipc_mode="private",
        security_opt=["no-new-privileges:true"],
        cap_drop=["ALL"],
        mem_limit=limits.memory_mb * _MB,
        memswap_limit=limits.memory_mb * _MB,
        nano_cpus=int(cpus * 1e9),
        pids_limit=limits.processes,
        ulimits=[
            Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
            Ulimit(name="fsize", soft=limits.file_size_mb * _MB, hard=limits.file_size_mb * _MB),
            Ulimit(name="cpu", soft=limits.cpu_seconds, hard=limits.cpu_seconds),
            Ulimit(name="core", soft=0, hard=0),
        ],
        network_mode=network,
        init=init,
        auto_remove=False,
    )


class DockerBox(Box):
    """One container; its logs live on the host under `state_dir`, out of the Box's reach."""

    def __init__(self, api: APIClient, box_id: str, spec: BoxSpec, container: str, logs: Path):
        self.id = box_id
        self.spec = spec
        self.container = container
        self.volume = container
        self.logs = logs
        self._api = api
        self._files = BoxFiles(api, container)
        self._streams: set[ExecStream] = set()
        self._forwards = Forwards()
        self._destroyed = False

    def _check(self) -> None:
        if self._destroyed:
            raise BoxClosedError(f"box {self.id} was destroyed")

    async def _open(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None,
        *,
        stdin: bool,
        stderr: Sink,
        stdout: Sink | None = None,
    ) -> ExecStream:
        self._check()
        full = {"PATH": BOX_PATH, "HOME": WORKSPACE, "LANG": "C.UTF-8", **(env or {})}
        stream = await ExecStream.open(
            self._api, self.container, argv, env=full, stdin=stdin, stdout=stdout, stderr=stderr
        )
        self._streams = {known for known in self._streams if known.returncode is None}
        self._streams.add(stream)
        return stream

    async def exec(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float,  # noqa: ASYNC109 - a deadline for the Box process, not for us
        output_limit: int = 1 << 20,
    ) -> ExecResult:
        async def opener(stdout: Sink, stderr: Sink) -> ExecStream:
            return await self._open(
                argv, env, stdin=stdin is not None, stdout=stdout, stderr=stderr
            )

        self._check()
        return await run_to_completion(
            opener, stdin=stdin, timeout=timeout, output_limit=output_limit
        )

    async def start(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None
    ) -> BoxProcess:
        self._check()
        log = (self.logs / BOX_LOG).open("ab", buffering=0)
        try:
            stream = await self._open(argv, env, stdin=True, stderr=log.write)
        except BaseException:
            log.close()
            raise
        stream.ended.add_done_callback(lambda _: log.close())
        pid = await stream.pid()
        if pid is None:
            stream.close()
            output = await stream.reader.read(4096)
            await stream.wait()
            raise BoxError(
                f"could not start {argv[0]!r} in the Box: {output.decode(errors='replace')}"
            )
        return DockerProcess(stream, pid)

    async def spawn(
        self, argv: Sequence[str], *, name: str, env: Mapping[str, str] | None = None
    ) -> SpawnedProcess:
        self._check()
        if not _NAME.fullmatch(name):
            raise BoxError(f"process name {name!r}: use 1-64 letters, digits, '_', '.', '-'")
        path = self.logs / f"{name}.log"
        log = path.open("ab", buffering=0)
        try:
            stream = await self._open(argv, env, stdin=False, stdout=log.write, stderr=log.write)
        except BaseException:
            log.close()
            raise
        stream.ended.add_done_callback(lambda _: log.close())
        return DockerSpawned(name, stream, path)

    async def read_file(self, path: str) -> bytes:
        self._check()
        return await self._files.read(path)

    async def write_file(self, path: str, data: bytes) -> None:
        self._check()
        await self._files.write(path, data)

    async def list_files(self, path: str = ".") -> list[FileInfo]:
        self._check()
        return await self._files.list_dir(path)

    async def read_log(self, max_bytes: int = 65536) -> bytes:
        return tail_file(self.logs / BOX_LOG, max_bytes)

    async def forward(self, port: int) -> Forward:
        self._check()

        async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            argv = ["python3", "-I", "-S", "-c", PIPE_SOURCE, str(port)]
            stream = await self._open(argv, None, stdin=True, stderr=lambda _: None)
            assert stream.writer is not None  # noqa: S101 - set by ExecStream.open
            return stream.reader, stream.writer

        return await self._forwards.open(port, connect)

    async def destroy(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        await self._forwards.close_all()
        try:
            await remove_box(self._api, self.container)
        finally:
            for stream in list(self._streams):
                stream.close()
                await stream.wait()
            self._streams.clear()
            await asyncio.to_thread(shutil.rmtree, self.logs.parent, True)


async def remove_box(api: APIClient, name: str) -> None:
    """Remove a Box's container (killing what runs in it) and its volume; gone already is fine."""
    with contextlib.suppress(EngineNotFoundError):
        await call("removing the Box container", api.remove_container, name, force=True)
    with contextlib.suppress(EngineNotFoundError):
        await call("removing the Box volume", api.remove_volume, name, force=True)


class DockerBackend(BoxBackend):
    """Makes DockerBoxes on the engine `api` talks to, as configured by the settings."""

    name = "docker"

    def __init__(self, api: APIClient, settings: Settings) -> None:
        self.api = api
        self.image = settings.docker_image
        self.instance = instance_id(settings.data_dir)
        self.state_dir = settings.data_dir / "docker-boxes"
        self._network = settings.docker_network
        self._cpus = settings.docker_cpus
        self._boxes: dict[str, DockerBox] = {}

    def isolation_layers(self) -> tuple[str, ...]:
        return (
            "container per Box",
            "read-only root filesystem",
            "non-root user 65534",
            "no capabilities",
            "no-new-privileges",
            f"network none unless a Box asks (then {self._network!r})",
            "memory, CPU and pids limits",
        )

    async def create(self, spec: BoxSpec | None = None) -> Box:
        spec = spec or BoxSpec()
        box_id = new_box_id()
        name = f"polybox-{self.instance}-{box_id}"
        labels = {BOX_LABEL: box_id, INSTANCE_LABEL: self.instance}
        logs = self.state_dir / box_id / "logs"
        await asyncio.to_thread(logs.mkdir, mode=0o700, parents=True)
        config = host_config(
            self.api,
            spec.limits,
            volume=name,
            network=self._network if spec.network else "none",
            cpus=self._cpus,
            init=spec.image is None,
        )
        for host_path, box_path in spec.ro_binds:
            config["Binds"].append(f"{host_path}:{box_path}:ro")
        try:
            await call("creating the Box volume", self.api.create_volume, name, labels=labels)
            await self._hand_over_workspace(spec.image, name, labels)
            await self._create_container(name, _IDLE, "", labels, config, image=spec.image)
            await call("starting the Box container", self.api.start, name)
        except BaseException:
            with contextlib.suppress(BoxError):
                await remove_box(self.api, name)
            await asyncio.to_thread(shutil.rmtree, logs.parent, True)
            raise
        box = DockerBox(self.api, box_id, spec, name, logs)
        self._boxes[box_id] = box
        return box

    async def _hand_over_workspace(
        self, image: str | None, volume: str, labels: dict[str, str]
    ) -> None:
        """Make the new volume's root owned by the Box user.

        A fresh volume belongs to root, and a Box without capabilities cannot chown it; a
        one-shot container that may only chown does, before any Box code exists.
        """
        name = f"{volume}-init"
        config = HostConfig(
            version=self.api.api_version,
            binds={volume: {"bind": WORKSPACE, "mode": "rw"}},
            read_only=True,
            network_mode="none",
            cap_drop=["ALL"],
            cap_add=["CHOWN"],
            security_opt=["no-new-privileges:true"],
        )
        command = ["python3", "-I", "-S", "-c", _CHOWN]
        await self._create_container(name, command, "0:0", labels, config, image=image)
        try:
            await call("preparing the Box workspace", self.api.start, name)
            status = await call("preparing the Box workspace", self.api.wait, name, timeout=60)
            if status["StatusCode"] != 0:
                output = await call("reading the preparation log", self.api.logs, name)
                raise BoxError(
                    f"could not prepare the workspace volume with image {image or self.image}: "
                    f"{output.decode(errors='replace').strip()}"
                )
        finally:
            await call("removing the preparation container", self.api.remove_container, name,
                       force=True)  # fmt: skip

    async def _create_container(
        self,
        name: str,
        command: list[str],
        user: str,
        labels: dict[str, str],
        config: HostConfig,
        *,
        image: str | None,
    ) -> None:
        """Create a container of `image` (None: the default Box image, pulled once if missing).

        A named image is polybox's own build: a missing one is refused with the command that
        builds it, never pulled from a registry under the same name.
        """
        for attempt in range(2):
            try:
                await call(
                    f"creating a container of {image or self.image}",
                    self.api.create_container,
                    image or self.image,
                    command,
                    user=user or BOX_USER,
                    labels=labels,
                    name=name,
                    working_dir=WORKSPACE,
                    host_config=config,
                )
                return
            except EngineNotFoundError as exc:
                if image is not None:
                    raise BoxError(
                        f"the image {image} is not on the Docker engine at {engine_address()}: "
                        "build it with `polybox images build`"
                    ) from exc
                if attempt:
                    raise
            await call(f"pulling the Box image {self.image}", self.api.pull, self.image)

    async def close(self) -> None:
        boxes, self._boxes = list(self._boxes.values()), {}
        for box in boxes:
            await box.destroy()
        await self._remove_labelled()
        await asyncio.to_thread(self.api.close)

    async def _remove_labelled(self) -> None:
        """Remove every container and volume labelled with this instance, and nothing else."""
        label = f"{INSTANCE_LABEL}={self.instance}"
        containers = await call("listing Box containers", self.api.containers, all=True,
                                filters={"label": label})  # fmt: skip
        for container in containers:
            if (container.get("Labels") or {}).get(INSTANCE_LABEL) == self.instance:
                with contextlib.suppress(EngineNotFoundError):
                    await call("removing a Box container", self.api.remove_container,
                               container["Id"], force=True)  # fmt: skip
        volumes = await call("listing Box volumes", self.api.volumes, filters={"label": label})
        for volume in volumes.get("Volumes") or []:
            if (volume.get("Labels") or {}).get(INSTANCE_LABEL) == self.instance:
                with contextlib.suppress(EngineNotFoundError):
                    await call("removing a Box volume", self.api.remove_volume, volume["Name"],
                               force=True)  # fmt: skip
