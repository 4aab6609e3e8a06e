"""Choosing the Box backend from the settings: isolation unless explicitly waived.

`auto` and `bwrap` need a working bubblewrap, `docker` a reachable Docker engine; without them
polybox refuses to start rather than running tool code unisolated. Only
POLYBOX_SANDBOX=unsafe-local runs code without a sandbox.
"""

from __future__ import annotations

from polybox.config import Settings, env_name
from polybox.sandbox.box import BoxBackend, SandboxUnavailableError
from polybox.sandbox.bwrap import BwrapBackend, boxes_dir
from polybox.sandbox.capabilities import bwrap_config
from polybox.sandbox.docker import DockerBackend
from polybox.sandbox.dockerapi import connect
from polybox.sandbox.local import LocalBackend


def create_backend(settings: Settings) -> BoxBackend:
    """The backend `settings.sandbox` asks for; raises SandboxUnavailableError naming the fix."""
    setting = env_name("sandbox")
    if settings.sandbox == "unsafe-local":
        return LocalBackend(settings.data_dir / "boxes")
    if settings.sandbox == "docker":
        return DockerBackend(connect(), settings)
    try:
        config = bwrap_config(settings)
    except SandboxUnavailableError as exc:
        raise SandboxUnavailableError(
            f"{setting}={settings.sandbox}: no isolation available: {exc}. Fix that (see "
            f"`polybox doctor`), or set {setting}=unsafe-local to run code WITHOUT a sandbox"
        ) from exc
    return BwrapBackend(boxes_dir(settings.data_dir, config.account), config)
