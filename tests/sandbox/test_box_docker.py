"""The docker backend against the Docker SDK's API, with the engine FAKED.

No Docker engine runs on this machine, so `docker_fake.FakeDocker` stands in for
`docker.APIClient`: it records every call and its arguments and behaves like the engine where
the backend depends on it (real multiplexed exec sockets, tar streams, label filters, 404s).
What these tests prove is what polybox asks of the engine — the container's isolation settings,
how processes are started, killed and streamed, how files cross the archive API, what cleanup
removes — not that a real engine enforces it. The engine-unreachable test uses the real SDK.
"""

from __future__ import annotations

import asyncio
import io
import tarfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from docker import APIClient
from docker.errors import APIError

from polybox.config import Settings
from polybox.sandbox.box import (
    BoxClosedError,
    BoxError,
    BoxSpec,
    Limits,
    PathEscapeError,
    SandboxUnavailableError,
)
from polybox.sandbox.docker import (
    INSTANCE_LABEL,
    PIPE_SOURCE,
    DockerBackend,
    DockerBox,
    instance_id,
)
from polybox.sandbox.dockerapi import connect, engine_address
from polybox.sandbox.dockerexec import KILLER, LAUNCHER
from polybox.sandbox.dockerimages import workspace_image
from sandbox.docker_fake import BOX, Entry, FakeDocker

pytestmark = pytest.mark.anyio
MB = 1024 * 1024
LIMITS = Limits(memory_mb=256, processes=32, open_files=64, file_size_mb=8, tmp_size_mb=16)


@pytest.fixture
def fake() -> FakeDocker:
    return FakeDocker()


@pytest.fixture
async def backend(fake: FakeDocker, tmp_path: Path) -> AsyncIterator[DockerBackend]:
    created = DockerBackend(cast(APIClient, fake), Settings(data_dir=tmp_path, docker_cpus=1.5))
    yield created
    await created.close()
    fake.join()


@pytest.fixture
async def box(backend: DockerBackend) -> DockerBox:
    return cast(DockerBox, await backend.create(BoxSpec(limits=LIMITS)))


def created(fake: FakeDocker, name: str) -> dict[str, object]:
    """The keyword arguments of the create_container call that made `name`."""
    return next(kwargs for _, kwargs in fake.called("create_container") if kwargs["name"] == name)


async def test_box_container_is_read_only_unprivileged_and_limited(
    fake: FakeDocker, backend: DockerBackend, box: DockerBox
) -> None:
    kwargs = created(fake, box.container)
    config = cast(dict[str, object], kwargs["host_config"])
    assert kwargs["user"] == "65534:65534"
    assert kwargs["labels"] == {"polybox.box": box.id, INSTANCE_LABEL: backend.instance}
    assert config["ReadonlyRootfs"] is True
    assert config["CapDrop"] == ["ALL"]
    assert "CapAdd" not in config
    assert config["SecurityOpt"] == ["no-new-privileges:true"]
    assert config["NetworkMode"] == "none"
    assert config["PidsLimit"] == 32
    assert config["Memory"] == config["MemorySwap"] == 256 * MB
    assert config["NanoCpus"] == 1_500_000_000
    assert config["Init"] is True
    assert not config.get("AutoRemove")
    assert config["Binds"] == [f"{box.volume}:/workspace:rw"]
    assert config["Tmpfs"] == {"/tmp": "rw,nosuid,nodev,size=16m,mode=1777"}
    assert config["ShmSize"] == 16 * MB
    ulimits = {u["Name"]: (u["Soft"], u["Hard"]) for u in config["Ulimits"]}  # type: ignore[attr-defined]
    assert ulimits == {
        "nofile": (64, 64),
        "fsize": (8 * MB, 8 * MB),
        "cpu": (60, 60),
        "core": (0, 0),
    }
    assert fake.containers_by_name[box.container].running


async def test_backend_reports_the_layers_its_containers_get(backend: DockerBackend) -> None:
    layers = backend.isolation_layers()
    for layer in ("read-only root filesystem", "no capabilities", "no-new-privileges"):
        assert layer in layers


async def test_a_box_with_network_joins_the_configured_network(
    fake: FakeDocker, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, docker_network="polybox-egress")
    backend = DockerBackend(cast(APIClient, fake), settings)
    networked = cast(DockerBox, await backend.create(BoxSpec(network=True)))
    config = cast(dict[str, object], created(fake, networked.container)["host_config"])
    assert config["NetworkMode"] == "polybox-egress"
    await backend.close()


async def test_workspace_volume_is_handed_to_the_box_user_by_a_chown_only_container(
    fake: FakeDocker, box: DockerBox
) -> None:
    init = created(fake, f"{box.container}-init")
    config = cast(dict[str, object], init["host_config"])
    assert init["user"] == "0:0"
    assert config["CapDrop"] == ["ALL"]
    assert config["CapAdd"] == ["CHOWN"]
    assert config["NetworkMode"] == "none"
    assert config["ReadonlyRootfs"] is True
    assert f"{box.container}-init" not in fake.containers_by_name  # removed once done
    root = fake.files[box.volume][""]
    assert (root.uid, root.gid) == (BOX, BOX)


async def test_instance_id_is_stable_per_data_dir(tmp_path: Path) -> None:
    assert instance_id(tmp_path) == instance_id(Path(str(tmp_path)))
    assert instance_id(tmp_path) != instance_id(tmp_path / "other")


async def test_a_missing_image_is_pulled_once_then_used(tmp_path: Path) -> None:
    fake = FakeDocker(images=())
    backend = DockerBackend(cast(APIClient, fake), Settings(data_dir=tmp_path))
    await backend.create()
    await backend.create()
    assert [args for args, _ in fake.called("pull")] == [("python:3.11-slim",)]
    await backend.close()


async def test_exec_passes_stdin_env_user_and_workdir(fake: FakeDocker, box: DockerBox) -> None:
    result = await box.exec(["cat"], stdin=b"in", env={"A": "1"}, timeout=10)
    assert (result.stdout, result.stderr, result.exit_code) == (b"in", b"", 0)
    assert result.ok
    (container, cmd), kwargs = fake.called("exec_create")[-1]
    assert container == box.container
    assert cmd == ["python3", "-I", "-S", "-c", LAUNCHER, "cat"]
    assert kwargs["user"] == "65534:65534"
    assert kwargs["workdir"] == "/workspace"
    assert kwargs["environment"] == {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/workspace",
        "LANG": "C.UTF-8",
        "A": "1",
    }


async def test_exec_reports_failure_and_stderr_without_the_launcher_line(box: DockerBox) -> None:
    result = await box.exec(["fail"], timeout=10)
    assert (result.exit_code, result.stderr, result.ok) == (3, b"it went wrong\n", False)
    missing = await box.exec(["no-such-program"], timeout=10)
    assert missing.exit_code == 127
    assert b"No such file" in missing.stderr


async def test_a_timed_out_exec_is_killed_by_its_session(fake: FakeDocker, box: DockerBox) -> None:
    result = await box.exec(["sleep"], timeout=0.3)
    assert result.timed_out
    assert result.exit_code == -9
    sleeper = next(e for e in fake.execs.values() if e.cmd[-1] == "sleep")
    killers = [e for e in fake.execs.values() if KILLER in e.cmd]
    assert [k.cmd[-1] for k in killers] == [str(sleeper.pid)]
    assert killers[0].user == "65534:65534"
    assert sleeper.process is not None
    assert sleeper.process.killed.is_set()


async def test_exec_output_is_capped_per_stream_and_flagged(box: DockerBox) -> None:
    result = await box.exec(["spew", "5000"], timeout=10, output_limit=100)
    assert result.truncated
    assert (result.stdout, result.stderr) == (b"x" * 100, b"y" * 100)


async def test_start_gives_piped_streams_and_logs_stderr(box: DockerBox) -> None:
    process = await box.start(["echo-lines"])
    process.stdin.write(b"abc\n")
    await process.stdin.drain()
    assert await process.stdout.readline() == b"abc\n"
    assert process.pid > 0
    assert process.returncode is None
    process.kill()
    assert await process.wait() == -9
    assert await box.read_log() == b"echo-lines ready\n"


async def test_start_refuses_clearly_when_the_launcher_cannot_run(
    fake: FakeDocker, box: DockerBox
) -> None:
    fake.fail["exec_create"] = APIError("OCI runtime exec failed: python3 not found")
    with pytest.raises(BoxError, match=r"starting a process in the Box failed: .*python3"):
        await box.start(["echo-lines"])


async def test_spawn_writes_output_to_a_host_log_and_can_be_killed(box: DockerBox) -> None:
    job = await box.spawn(["spew", "3"], name="job")
    assert await job.wait() == 0
    assert await job.tail() == b"xxxyyy"
    assert (box.logs / "job.log").read_bytes() == b"xxxyyy"
    server = await box.spawn(["sleep"], name="web")
    server.kill()
    assert await server.wait() == -9
    assert server.returncode == -9
    with pytest.raises(BoxError, match="process name"):
        await box.spawn(["sleep"], name="../web")


async def test_files_round_trip_as_the_box_user(fake: FakeDocker, box: DockerBox) -> None:
    await box.write_file("dir/sub/a.txt", b"hello")
    tree = fake.files[box.volume]
    assert tree["dir/sub/a.txt"].data == b"hello"
    assert {(tree[k].uid, tree[k].gid) for k in ("dir", "dir/sub", "dir/sub/a.txt")} == {(BOX, BOX)}
    (_, path, archive), _ = fake.called("put_archive")[-1]
    assert path == "/workspace"
    with tarfile.open(fileobj=io.BytesIO(archive)) as members:
        assert members.getnames() == ["dir", "dir/sub", "dir/sub/a.txt"]
    assert await box.read_file("dir/sub/a.txt") == b"hello"
    await box.write_file("dir/b.txt", b"")
    listing = await box.list_files("dir")
    assert [(info.path, info.is_dir) for info in listing] == [
        ("dir/b.txt", False),
        ("dir/sub", True),
    ]
    assert [info.path for info in await box.list_files()] == ["dir"]


async def test_file_paths_that_leave_the_workspace_are_refused(
    fake: FakeDocker, box: DockerBox
) -> None:
    for path in ("/etc/passwd", "../x", "a/../../x"):
        with pytest.raises(PathEscapeError):
            await box.read_file(path)
        with pytest.raises(PathEscapeError):
            await box.write_file(path, b"x")
    fake.plant(box.container, "link", Entry("symlink", target="/etc", uid=BOX, gid=BOX))
    fake.plant(box.container, "dir", Entry("dir", uid=BOX, gid=BOX))
    with pytest.raises(PathEscapeError, match="symlinks are not followed"):
        await box.read_file("link")
    with pytest.raises(PathEscapeError, match="symlinks are not followed"):
        await box.read_file("link/passwd")
    with pytest.raises(PathEscapeError, match="symlinks are not followed"):
        await box.list_files("link")
    with pytest.raises(PathEscapeError, match="symlinks are not followed"):
        await box.write_file("link/evil", b"x")
    with pytest.raises(PathEscapeError, match="not a regular file"):
        await box.read_file("dir")
    with pytest.raises(BoxError, match="is a directory"):
        await box.write_file("dir", b"x")
    with pytest.raises(FileNotFoundError):
        await box.read_file("missing.txt")
    assert fake.called("get_archive") == []  # every refusal happened before any transfer
    assert fake.files[box.volume]["link"].kind == "symlink"


async def test_forward_pipes_each_connection_through_an_exec(
    fake: FakeDocker, box: DockerBox
) -> None:
    async def echo_upper(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write((await reader.read(100)).upper())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo_upper, "127.0.0.1", 0)  # "inside the Box"
    port = server.sockets[0].getsockname()[1]
    forward = await box.forward(port)
    reader, writer = await asyncio.open_connection("127.0.0.1", forward.host_port)
    writer.write(b"hello")
    writer.write_eof()
    assert await reader.read() == b"HELLO"
    writer.close()
    await writer.wait_closed()
    await forward.close()
    server.close()
    await server.wait_closed()
    pipes = [e for e in fake.execs.values() if PIPE_SOURCE in e.cmd]
    assert [p.cmd[-1] for p in pipes] == [str(port)]
    assert not fake.called("create_container")[-1][1]["host_config"].get("PortBindings")


async def test_destroy_removes_container_volume_and_processes(
    fake: FakeDocker, box: DockerBox
) -> None:
    process = await box.start(["sleep"])
    await box.destroy()
    assert process.returncode == -9
    assert box.container not in fake.containers_by_name
    assert box.volume not in fake.volumes_by_name
    assert not box.logs.exists()
    with pytest.raises(BoxClosedError):
        await box.exec(["cat"], timeout=5)
    with pytest.raises(BoxClosedError):
        await box.read_file("a")
    await box.destroy()  # idempotent


async def test_close_removes_only_this_instances_containers_and_volumes(
    fake: FakeDocker, backend: DockerBackend, box: DockerBox
) -> None:
    fake.add_container("someone-elses", {"app": "db"})
    fake.add_container("other-polybox", {INSTANCE_LABEL: "0123456789ab"})
    fake.add_container("our-leftover", {INSTANCE_LABEL: backend.instance})
    fake.create_volume("their-volume", labels={INSTANCE_LABEL: "0123456789ab"})
    await backend.close()
    assert sorted(fake.containers_by_name) == ["other-polybox", "someone-elses"]
    assert list(fake.volumes_by_name) == ["their-volume"]
    assert fake.closed
    label = f"{INSTANCE_LABEL}={backend.instance}"
    assert fake.called("containers")[-1][1]["filters"] == {"label": label}


async def test_engine_calls_never_run_on_the_event_loop_thread(
    fake: FakeDocker, box: DockerBox
) -> None:
    await box.write_file("a.txt", b"a")
    await box.exec(["cat"], stdin=b"x", timeout=10)
    await box.read_file("a.txt")
    assert threading.get_ident() not in fake.threads


async def test_engine_errors_become_box_errors_and_leave_nothing_behind(
    fake: FakeDocker, backend: DockerBackend
) -> None:
    fake.fail["start"] = APIError("500 Server Error: failed to set up container networking")
    with pytest.raises(BoxError, match="failed to set up container networking"):
        await backend.create()
    assert fake.containers_by_name == {}
    assert fake.volumes_by_name == {}
    assert list(backend.state_dir.iterdir()) == []


async def test_a_box_removed_behind_our_back_fails_with_box_errors(
    fake: FakeDocker, box: DockerBox
) -> None:
    fake.remove_container(box.container, force=True)
    with pytest.raises(BoxError, match="not found"):
        await box.exec(["cat"], timeout=5)
    with pytest.raises(BoxError):
        await box.write_file("a.txt", b"x")


def test_an_unreachable_engine_is_refused_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Real SDK, no fake: DOCKER_HOST names a socket nobody listens on."""
    address = f"unix://{tmp_path}/docker.sock"
    monkeypatch.setenv("DOCKER_HOST", address)
    with pytest.raises(SandboxUnavailableError) as info:
        connect()
    assert str(info.value) == (
        f"Docker engine not reachable at {address}: No such file or directory; "
        "start it or use POLYBOX_SANDBOX=bwrap"
    )


WORKSPACE_LIMITS = Limits(
    memory_mb=2048, processes=512, cpu_seconds=600, tmp_size_mb=512, address_space=False
)


async def test_a_workspace_box_runs_its_image_under_the_same_isolation(tmp_path: Path) -> None:
    image = workspace_image("8")
    fake = FakeDocker(images=("python:3.11-slim", image))
    backend = DockerBackend(cast(APIClient, fake), Settings(data_dir=tmp_path, docker_cpus=2))
    packages = tmp_path / "nuget"
    spec = BoxSpec(limits=WORKSPACE_LIMITS, ro_binds=((packages, "/nuget"),), image=image)
    box = cast(DockerBox, await backend.create(spec))
    (created_image, command), kwargs = fake.called("create_container")[-1]
    config = cast(dict[str, object], kwargs["host_config"])
    assert (created_image, kwargs["name"], kwargs["user"]) == (image, box.container, "65534:65534")
    assert command == ["python3", "-I", "-S", "-c", "import signal; signal.pause()"]
    assert kwargs["labels"] == {"polybox.box": box.id, INSTANCE_LABEL: backend.instance}
    assert config["Init"] is False  # the image's ENTRYPOINT tini is pid 1
    assert config["ReadonlyRootfs"] is True
    assert config["Tmpfs"] == {"/tmp": "rw,nosuid,nodev,size=512m,mode=1777"}
    assert config["Binds"] == [f"{box.volume}:/workspace:rw", f"{packages}:/nuget:ro"]
    assert config["NetworkMode"] == "none"
    assert (config["Memory"], config["MemorySwap"]) == (2048 * MB, 2048 * MB)
    assert (config["PidsLimit"], config["NanoCpus"]) == (512, 2_000_000_000)
    assert (config["CapDrop"], config["SecurityOpt"]) == (["ALL"], ["no-new-privileges:true"])
    (init_image, _), init = fake.called("create_container")[0]
    assert (init_image, init["name"], init["user"]) == (image, f"{box.container}-init", "0:0")
    assert fake.called("pull") == []
    await backend.close()


async def test_a_missing_workspace_image_is_refused_with_the_build_command(
    fake: FakeDocker, backend: DockerBackend
) -> None:
    with pytest.raises(BoxError) as info:
        await backend.create(BoxSpec(image=workspace_image("9")))
    assert str(info.value) == (
        f"the image polybox-dotnet-workspace:9 is not on the Docker engine at {engine_address()}: "
        "build it with `polybox images build`"
    )
    assert fake.called("pull") == []  # never fetched from a registry under that name
    assert (fake.containers_by_name, fake.volumes_by_name) == ({}, {})


async def test_closing_one_instance_leaves_another_instances_workspaces(tmp_path: Path) -> None:
    image = workspace_image("10")
    fake = FakeDocker(images=(image,))
    ours = DockerBackend(cast(APIClient, fake), Settings(data_dir=tmp_path / "a"))
    theirs = DockerBackend(cast(APIClient, fake), Settings(data_dir=tmp_path / "b"))
    mine = cast(DockerBox, await ours.create(BoxSpec(image=image)))
    other = cast(DockerBox, await theirs.create(BoxSpec(image=image)))
    await ours.close()
    assert list(fake.containers_by_name) == [other.container]
    assert list(fake.volumes_by_name) == [other.volume]
    assert mine.container not in fake.containers_by_name
    await theirs.close()
    assert (fake.containers_by_name, fake.volumes_by_name) == ({}, {})
