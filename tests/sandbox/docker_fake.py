"""A fake of `docker.APIClient`, for the docker backend's tests (no Docker engine runs here).

It implements exactly the methods the backend calls, records every call with its arguments and
thread, and behaves like the engine where the backend depends on it: label filters, 404s as
`docker.errors.NotFound`, exec sockets that carry real multiplexed frames (a socketpair), the
archive API's tar streams and path stats, removal killing a container's execs. Processes are
not run: an exec of the launcher runs one of the small Python `PROGRAMS` below in a thread
instead, as if it were argv[0] inside the container.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import socket
import struct
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from docker.errors import APIError, ImageNotFound, NotFound

from polybox.sandbox.dockerexec import KILLER, LAUNCHER
from polybox.sandbox.dockerfiles import GO_DIR, GO_SYMLINK

ROOT = 0
BOX = 65534


@dataclass
class Entry:
    """One file, directory or symlink of a fake volume."""

    kind: str  # "dir", "file" or "symlink"
    data: bytes = b""
    uid: int = ROOT
    gid: int = ROOT
    mode: int = 0o755
    mtime: float = field(default_factory=time.time)
    target: str = ""


@dataclass
class Container:
    id: str
    name: str
    image: str
    command: list[str]
    user: str
    labels: dict[str, str]
    host_config: dict[str, Any]
    running: bool = False


class Process:
    """What a program sees: argv, env, its stdin and its multiplexed output."""

    def __init__(self, fake_exec: Exec, server: socket.socket, argv: list[str]) -> None:
        self.exec = fake_exec
        self.argv = argv
        self.env = fake_exec.environment
        self.killed = threading.Event()
        self._server = server

    def read_stdin(self) -> bytes:
        if not self.exec.stdin:
            return b""
        with contextlib.suppress(OSError):
            return self._server.recv(65536)
        return b""

    def write(self, stream: int, data: bytes) -> None:
        with contextlib.suppress(OSError):
            self._server.sendall(struct.pack(">BxxxL", stream, len(data)) + data)

    def out(self, data: bytes) -> None:
        self.write(1, data)

    def err(self, data: bytes) -> None:
        self.write(2, data)

    def wait_killed(self) -> int:
        self.killed.wait(30)
        return 137

    def kill(self) -> None:
        """SIGKILL as the engine would deliver it: the program stops reading and writing."""
        self.killed.set()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)


Program = Callable[[Process], int]


def _cat(process: Process) -> int:
    while data := process.read_stdin():
        process.out(data)
    return 0


def _echo_lines(process: Process) -> int:
    process.err(b"echo-lines ready\n")
    return _cat(process)


def _fail(process: Process) -> int:
    process.err(b"it went wrong\n")
    return 3


def _spew(process: Process) -> int:
    process.out(b"x" * int(process.argv[1]))
    process.err(b"y" * int(process.argv[1]))
    return 0


def _serve(process: Process) -> int:
    process.out(b"serving\n")
    process.err(b"GET /index.html\n")
    return process.wait_killed()


def _sleep(process: Process) -> int:
    return process.wait_killed()


def _python(process: Process) -> int:
    """`python3 -I -S -c PIPE_SOURCE <port>`: the forward pipe, dialling the test's server."""
    port = int(process.argv[-1])
    with socket.create_connection(("127.0.0.1", port)) as conn:

        def upstream() -> None:
            while data := process.read_stdin():
                conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)

        pump = threading.Thread(target=upstream, daemon=True)
        pump.start()
        while data := conn.recv(65536):
            process.out(data)
        pump.join(10)
    return 0


PROGRAMS: dict[str, Program] = {
    "cat": _cat,
    "echo-lines": _echo_lines,
    "fail": _fail,
    "spew": _spew,
    "serve": _serve,
    "sleep": _sleep,
    "python3": _python,
}


@dataclass
class Exec:
    id: str
    container: Container
    cmd: list[str]
    stdin: bool
    user: str
    environment: dict[str, str]
    workdir: str | None
    pid: int
    running: bool = False
    exit_code: int | None = None
    process: Process | None = None
    thread: threading.Thread | None = None


@dataclass
class Response:
    """The part of a requests.Response the backend reads after `head`."""

    status_code: int
    headers: dict[str, str]


class FakeDocker:
    """Stands in for `docker.APIClient`; see the module docstring."""

    base_url = "http+docker://localhost"
    api_version = "1.45"

    def __init__(self, images: tuple[str, ...] = ("python:3.11-slim",)) -> None:
        self.images = set(images)
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.threads: set[int] = set()
        self.containers_by_name: dict[str, Container] = {}
        self.volumes_by_name: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Entry]] = {}  # volume -> relative path -> entry
        self.execs: dict[str, Exec] = {}
        self.fail: dict[str, Exception] = {}  # method name -> error it raises
        self.closed = False
        self._ids = iter(range(1, 1_000_000))
        self._lock = threading.Lock()

    def _record(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((method, args, kwargs))
        self.threads.add(threading.get_ident())
        if method in self.fail:
            raise self.fail[method]

    def called(self, method: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        """The arguments of every call of `method`, oldest first."""
        return [(args, kwargs) for name, args, kwargs in self.calls if name == method]

    def _container(self, key: str) -> Container:
        for container in self.containers_by_name.values():
            if key in (container.name, container.id):
                return container
        raise NotFound(f"No such container: {key}")

    def _volume_at_workspace(self, container: Container) -> dict[str, Entry]:
        for bind in container.host_config.get("Binds") or []:
            source, target = bind.split(":")[:2]
            if target == "/workspace":
                return self.files[source]
        raise AssertionError("container has no /workspace volume")

    # --- engine, volumes, containers -------------------------------------------------------
    def ping(self) -> bool:
        self._record("ping")
        return True

    def close(self) -> None:
        self._record("close")
        self.closed = True

    def pull(self, repository: str) -> str:
        self._record("pull", repository)
        self.images.add(repository)
        return ""

    def create_volume(self, name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
        self._record("create_volume", name, labels=labels)
        self.volumes_by_name[name] = {"Name": name, "Labels": labels or {}}
        self.files[name] = {"": Entry("dir")}
        return {"Name": name}

    def volumes(self, filters: dict[str, Any] | None = None) -> dict[str, Any]:
        self._record("volumes", filters=filters)
        found = [v for v in self.volumes_by_name.values() if _matches(v["Labels"], filters)]
        return {"Volumes": found or None}

    def remove_volume(self, name: str, force: bool = False) -> None:
        self._record("remove_volume", name, force=force)
        if name not in self.volumes_by_name:
            raise NotFound(f"get {name}: no such volume")
        users = [c for c in self.containers_by_name.values() if _uses_volume(c, name)]
        if users:
            raise APIError(f"remove {name}: volume is in use - [{users[0].id}]")
        del self.volumes_by_name[name]
        del self.files[name]

    def create_container(
        self,
        image: str,
        command: list[str],
        *,
        user: str,
        labels: dict[str, str],
        name: str,
        working_dir: str,
        host_config: dict[str, Any],
    ) -> dict[str, str]:
        self._record(
            "create_container",
            image,
            command,
            user=user,
            labels=labels,
            name=name,
            working_dir=working_dir,
            host_config=host_config,
        )
        if image not in self.images:
            raise ImageNotFound(f"No such image: {image}")
        container = Container(
            f"c{next(self._ids):063d}", name, image, command, user, labels, dict(host_config)
        )
        self.containers_by_name[name] = container
        return {"Id": container.id}

    def add_container(self, name: str, labels: dict[str, str]) -> None:
        """A container polybox did not create (another program's, another instance's)."""
        self.containers_by_name[name] = Container(
            f"c{next(self._ids):063d}", name, "other:latest", [], "", labels, {}, running=True
        )

    def start(self, container: str) -> None:
        self._record("start", container)
        found = self._container(container)
        found.running = True
        chown = f"os.chown('/workspace', {BOX}, {BOX})"
        if found.user == "0:0" and any(chown in part for part in found.command):
            if "CHOWN" in found.host_config.get("CapAdd", []):
                root = self._volume_at_workspace(found)[""]
                root.uid = root.gid = BOX
            found.running = False

    def wait(self, container: str, timeout: int | None = None) -> dict[str, Any]:
        self._record("wait", container, timeout=timeout)
        self._container(container)
        return {"StatusCode": 0}

    def logs(self, container: str) -> bytes:
        self._record("logs", container)
        return b""

    def containers(self, all: bool = False, filters: dict[str, Any] | None = None) -> list[Any]:
        self._record("containers", all=all, filters=filters)
        return [
            {"Id": c.id, "Names": [f"/{c.name}"], "Labels": c.labels}
            for c in self.containers_by_name.values()
            if (all or c.running) and _matches(c.labels, filters)
        ]

    def remove_container(self, container: str, force: bool = False) -> None:
        self._record("remove_container", container, force=force)
        found = self._container(container)
        if found.running and not force:
            raise APIError("cannot remove a running container")
        del self.containers_by_name[found.name]
        for fake_exec in list(self.execs.values()):
            if fake_exec.container is found and fake_exec.process is not None:
                fake_exec.process.kill()

    # --- execs -----------------------------------------------------------------------------
    def exec_create(
        self,
        container: str,
        cmd: list[str],
        *,
        stdin: bool = False,
        user: str = "",
        environment: dict[str, str] | None = None,
        workdir: str | None = None,
    ) -> dict[str, str]:
        self._record(
            "exec_create",
            container,
            cmd,
            stdin=stdin,
            user=user,
            environment=environment,
            workdir=workdir,
        )
        found = self._container(container)
        exec_id = f"e{next(self._ids)}"
        self.execs[exec_id] = Exec(
            exec_id, found, cmd, stdin, user, environment or {}, workdir, pid=next(self._ids)
        )
        return {"Id": exec_id}

    def exec_start(self, exec_id: str, socket: bool = False) -> Any:
        self._record("exec_start", exec_id, socket=socket)
        fake_exec = self.execs[exec_id]
        if not socket:  # the backend's killer: runs to completion, returns its output
            self._kill(fake_exec)
            return b""
        client, server = _socketpair()
        fake_exec.running = True
        fake_exec.thread = threading.Thread(target=self._run, args=(fake_exec, server), daemon=True)
        fake_exec.thread.start()
        return client

    def _kill(self, killer: Exec) -> None:
        assert killer.cmd[:5] == ["python3", "-I", "-S", "-c", KILLER], killer.cmd
        pid = int(killer.cmd[5])
        for target in self.execs.values():
            if target.pid == pid and target.container is killer.container and target.process:
                target.process.kill()
        killer.exit_code = 0

    def _run(self, fake_exec: Exec, server: socket.socket) -> None:
        assert fake_exec.cmd[:5] == ["python3", "-I", "-S", "-c", LAUNCHER], fake_exec.cmd
        argv = fake_exec.cmd[5:]
        process = Process(fake_exec, server, argv)
        fake_exec.process = process
        process.err(f"{fake_exec.pid}\n".encode())
        program = PROGRAMS.get(argv[0])
        if program is None:
            process.err(f"{argv[0]}: No such file or directory\n".encode())
            code = 127
        else:
            code = program(process)
        if process.killed.is_set():
            code = 137
        with self._lock:
            fake_exec.exit_code = code
            fake_exec.running = False
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)
        server.close()

    def exec_inspect(self, exec_id: str) -> dict[str, Any]:
        self._record("exec_inspect", exec_id)
        fake_exec = self.execs[exec_id]
        if fake_exec.container.name not in self.containers_by_name:
            raise NotFound(f"No such exec instance: {exec_id}")
        with self._lock:
            return {"Running": fake_exec.running, "ExitCode": fake_exec.exit_code}

    def join(self) -> None:
        """Wait for every program thread (the test's teardown)."""
        for fake_exec in self.execs.values():
            if fake_exec.process is not None:
                fake_exec.process.kill()
            if fake_exec.thread is not None:
                fake_exec.thread.join(10)

    # --- archive API -----------------------------------------------------------------------
    def _lookup(self, container: str, path: str) -> tuple[dict[str, Entry], str]:
        found = self._container(container)
        assert path == "/workspace" or path.startswith("/workspace/"), path
        return self._volume_at_workspace(found), path.removeprefix("/workspace").strip("/")

    def head(self, url: str, params: dict[str, str]) -> Response:
        self._record("head", url, params=params)
        container = url.split("/containers/")[1].split("/", maxsplit=1)[0]
        assert url == f"{self.base_url}/v{self.api_version}/containers/{container}/archive"
        tree, relative = self._lookup(container, params["path"])
        entry = tree.get(relative)
        if entry is None:
            return Response(404, {})
        stat = {"name": relative.rsplit("/", 1)[-1] or "workspace", "mode": _go_mode(entry)}
        header = base64.b64encode(json.dumps(stat).encode()).decode()
        return Response(200, {"X-Docker-Container-Path-Stat": header})

    def get_archive(self, container: str, path: str) -> tuple[Iterator[bytes], dict[str, Any]]:
        self._record("get_archive", container, path)
        tree, relative = self._lookup(container, path)
        if relative not in tree:
            raise NotFound(f"Could not find the file {path} in container {container}")
        base = relative.rsplit("/", 1)[-1] or "workspace"
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for key in sorted(tree):
                if key == relative or key.startswith(f"{relative}/" if relative else ""):
                    inner = key[len(relative) :].lstrip("/")
                    _add(archive, f"{base}/{inner}" if inner else base, tree[key])
        data = buffer.getvalue()
        return iter([data[i : i + 1000] for i in range(0, len(data), 1000)]), {}

    def put_archive(self, container: str, path: str, data: bytes) -> bool:
        self._record("put_archive", container, path, data)
        tree, relative = self._lookup(container, path)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive.getmembers():
                key = "/".join(part for part in (relative, member.name.strip("/")) if part)
                existing = tree.get(key)
                if existing is not None and not (existing.kind == "dir" and member.isdir()):
                    for stale in [k for k in tree if k == key or k.startswith(f"{key}/")]:
                        del tree[stale]  # the engine replaces what is not dir-on-dir
                handle = archive.extractfile(member) if member.isfile() else None
                tree[key] = Entry(
                    "dir" if member.isdir() else "file",
                    handle.read() if handle else b"",
                    member.uid,
                    member.gid,
                    member.mode,
                    member.mtime,
                )
        return True

    def plant(self, container: str, relative: str, entry: Entry) -> None:
        """Put an entry into a Box's workspace as code inside the Box could (e.g. a symlink)."""
        tree, _ = self._lookup(container, "/workspace")
        tree[relative] = entry


def _socketpair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def _go_mode(entry: Entry) -> int:
    kind = {"dir": GO_DIR, "symlink": GO_SYMLINK, "file": 0}[entry.kind]
    return kind | entry.mode


def _add(archive: tarfile.TarFile, name: str, entry: Entry) -> None:
    info = tarfile.TarInfo(name)
    info.mode, info.uid, info.gid, info.mtime = entry.mode, entry.uid, entry.gid, entry.mtime
    if entry.kind == "dir":
        info.type = tarfile.DIRTYPE
        archive.addfile(info)
    elif entry.kind == "symlink":
        info.type, info.linkname = tarfile.SYMTYPE, entry.target
        archive.addfile(info)
    else:
        info.size = len(entry.data)
        archive.addfile(info, io.BytesIO(entry.data))


def _matches(labels: dict[str, str], filters: dict[str, Any] | None) -> bool:
    wanted = (filters or {}).get("label") or []
    for condition in [wanted] if isinstance(wanted, str) else wanted:
        key, _, value = condition.partition("=")
        if key not in labels or (value and labels[key] != value):
            return False
    return True


def _uses_volume(container: Container, volume: str) -> bool:
    return any(bind.split(":")[0] == volume for bind in container.host_config.get("Binds") or [])
