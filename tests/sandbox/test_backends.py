"""Which backend `create_backend` opens for each POLYBOX_SANDBOX value, and how it refuses.

The docker case uses the faked SDK of docker_fake.py (no Docker engine runs here); the others
are real.
"""

from __future__ import annotations

import os
from pathlib import Path

import docker
import pytest

from polybox.config import Settings
from polybox.sandbox.backends import create_backend
from polybox.sandbox.box import SandboxUnavailableError
from polybox.sandbox.bwrap import BwrapBackend
from polybox.sandbox.docker import DockerBackend, instance_id
from polybox.sandbox.local import LocalBackend
from sandbox.docker_fake import FakeDocker

pytestmark = pytest.mark.anyio


async def test_auto_picks_bwrap_when_the_host_supports_it(tmp_path: Path) -> None:
    backend = create_backend(Settings(data_dir=tmp_path))
    assert isinstance(backend, BwrapBackend)
    await backend.close()


async def test_unsafe_local_is_used_only_when_chosen(tmp_path: Path) -> None:
    backend = create_backend(Settings(data_dir=tmp_path, sandbox="unsafe-local"))
    assert isinstance(backend, LocalBackend)
    assert backend.boxes_dir == tmp_path / "boxes"


async def test_docker_opens_the_engine_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker()
    opened: list[dict[str, object]] = []

    def client(**kwargs: object) -> FakeDocker:
        opened.append(kwargs)
        return fake

    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    monkeypatch.setattr(docker, "APIClient", client)
    backend = create_backend(Settings(data_dir=tmp_path, sandbox="docker", docker_image="img:1"))
    assert isinstance(backend, DockerBackend)
    assert opened == [{"base_url": "tcp://127.0.0.1:2375", "version": "auto"}]
    assert fake.called("ping")
    assert (backend.image, backend.instance) == ("img:1", instance_id(tmp_path))
    await backend.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox user only matters as root")
def test_a_missing_sandbox_user_refuses_and_names_the_setting(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sandbox_user="polybox-no-such-user")
    with pytest.raises(SandboxUnavailableError) as info:
        create_backend(settings)
    message = str(info.value)
    assert message.startswith("POLYBOX_SANDBOX=auto: no isolation available: ")
    assert "'polybox-no-such-user' does not exist (fix: polybox doctor --fix)" in message
    assert "set POLYBOX_SANDBOX=unsafe-local to run code WITHOUT a sandbox" in message


def test_docker_without_an_engine_refuses_and_names_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(SandboxUnavailableError, match="use POLYBOX_SANDBOX=bwrap"):
        create_backend(Settings(data_dir=tmp_path, sandbox="docker"))
