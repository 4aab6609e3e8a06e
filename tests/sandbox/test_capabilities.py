"""Host capability checks on this real host (bwrap works here, no Docker engine runs here)."""

from __future__ import annotations

import os
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from polybox.config import Settings
from polybox.sandbox.box import SandboxUnavailableError
from polybox.sandbox.bwrap import BwrapBackend
from polybox.sandbox.capabilities import bwrap_config, check_host
from polybox.sandbox.python.landlock import landlock_abi

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox user only matters as root")


def test_check_host_reports_what_works_here_and_a_fix_for_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    checks = {check.name: check for check in check_host(Settings(data_dir=tmp_path))}
    assert set(checks) >= {"sandbox user", "bubblewrap", "user namespaces", "seccomp", "docker"}
    assert checks["bubblewrap"].ok
    assert checks["user namespaces"].ok
    assert checks["seccomp"].ok
    assert not checks["docker"].ok
    assert checks["docker"].detail == (
        f"engine not reachable at {tmp_path}/docker.sock (No such file or directory)"
    )
    assert checks["docker"].fix == "start the Docker engine, or keep POLYBOX_SANDBOX=bwrap"
    assert all(check.fix for check in checks.values() if not check.ok)


@pytest.fixture
def engine_socket(tmp_path: Path) -> Iterator[Path]:
    """A unix socket answering like an engine's /_ping (the check reads only the status)."""

    class Ping(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.rfile.readline()
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nOK")

    path = tmp_path / "engine.sock"
    with socketserver.UnixStreamServer(str(path), Ping) as server:
        thread = threading.Thread(target=server.serve_forever, args=(0.02,))
        thread.start()
        yield path
        server.shutdown()
        thread.join()


def test_docker_check_passes_when_an_engine_answers_ping(
    engine_socket: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{engine_socket}")
    checks = {check.name: check for check in check_host(Settings(data_dir=tmp_path))}
    assert checks["docker"].ok
    assert checks["docker"].detail == f"engine reachable at {engine_socket}"


def test_landlock_abi_is_a_version_number() -> None:
    abi = landlock_abi()
    assert isinstance(abi, int)
    assert abi >= 0


def test_bwrap_layers_name_every_layer_in_use(tmp_path: Path) -> None:
    config = bwrap_config(Settings(data_dir=tmp_path))
    layers = BwrapBackend(tmp_path / "boxes", config).isolation_layers()
    assert layers[:3] == ("user/pid/ipc/uts/mount namespaces", "no capabilities",
                          "read-only system dirs")  # fmt: skip
    assert "seccomp" in layers
    assert ("own network namespace" in layers) == (config.account is not None)


@as_root
def test_bwrap_config_refuses_when_the_sandbox_user_is_missing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sandbox_user="polybox-no-such-user")
    with pytest.raises(SandboxUnavailableError) as info:
        bwrap_config(settings)
    assert str(info.value) == "'polybox-no-such-user' does not exist (fix: polybox doctor --fix)"
    checks = {check.name: check for check in check_host(settings)}
    assert not checks["sandbox user"].ok
    assert checks["sandbox user"].fix == "polybox doctor --fix"
    assert "user namespaces" not in checks  # not tried as a user that does not exist
