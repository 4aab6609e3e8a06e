"""The docker backend's line to the engine: connecting, calling off the event loop, plain errors.

Every engine call goes through `call`: it runs the blocking SDK method in a thread and turns SDK
and connection errors into `BoxError`s that say what failed, so nothing above the docker modules
sees a `docker.errors` type or a requests traceback.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import docker
from docker import APIClient
from docker.errors import DockerException, NotFound
from docker.utils import kwargs_from_env

from polybox.config import env_name
from polybox.sandbox.box import BoxError, SandboxUnavailableError

DEFAULT_ENGINE = "unix:///var/run/docker.sock"
BOX_USER = "65534:65534"
"""uid:gid of every process in a docker Box (nobody:nogroup on Debian-based images)."""
BOX_UID = 65534
BOX_GID = 65534

_P = ParamSpec("_P")
_T = TypeVar("_T")


class EngineNotFoundError(BoxError):
    """The engine answered 404: the container, exec, volume or path does not exist."""


def engine_address() -> str:
    """Where the engine is expected (DOCKER_HOST, else the default unix socket), for messages."""
    return os.environ.get("DOCKER_HOST", DEFAULT_ENGINE)


def connect(fix: str | None = None) -> APIClient:
    """A client of the engine named by the DOCKER_* environment, proven reachable by a ping.

    Raises SandboxUnavailableError saying where the engine was looked for and how to proceed
    (`fix`; by default: start it or use the bwrap backend).
    """
    try:
        _probe_unix_socket(engine_address())
        client = docker.APIClient(**kwargs_from_env(), version="auto")
        client.ping()
    except (DockerException, OSError) as exc:
        fix = fix or f"start it or use {env_name('sandbox')}=bwrap"
        raise SandboxUnavailableError(
            f"Docker engine not reachable at {engine_address()}: {_root_cause(exc)}; {fix}"
        ) from exc
    return client


def _probe_unix_socket(address: str) -> None:
    """Connect to a unix:// engine socket once, closing it whatever happens.

    The SDK leaks the socket of a failed unix connection, so its error path is not taken for
    the common case of an engine that is not running.
    """
    if address.startswith("unix://"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(5)
            probe.connect(address.removeprefix("unix://"))


async def call(what: str, func: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Run a blocking SDK call in a thread; engine failures become BoxError naming `what`."""
    try:
        return await asyncio.to_thread(func, *args, **kwargs)
    except NotFound as exc:
        raise EngineNotFoundError(f"{what}: not found: {_reason(exc)}") from exc
    except (DockerException, OSError) as exc:
        raise BoxError(f"{what} failed: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    """The most specific human sentence in an SDK or requests exception."""
    explanation: Any = getattr(exc, "explanation", None)
    text = str(explanation or exc).strip()
    return text or type(exc).__name__


def _root_cause(exc: BaseException) -> str:
    """The innermost OS error in an SDK/requests/urllib3 chain ("Connection refused")."""
    pending: list[object] = [exc]
    seen: set[int] = set()
    found = ""
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            found = current.strerror
        pending += [current.__cause__, current.__context__, *current.args]
    return found or _reason(exc)
