"""Two real `polybox serve` processes (replicas) on one PostgreSQL database.

Each replica has its own data dir and port on 127.0.0.1 and the same database URL and encryption
key, as replicas behind a load balancer would. They run with the defaults, so `/mcp` is
sessionless (`mcp_stateless` unset on PostgreSQL). An admin `root` exists before they start.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy.engine import URL

from replicas.processes import ADMIN, ADMIN_PASSWORD, Replica

START_DEADLINE_S = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def replica_env(pg_url: URL, tmp_path: Path) -> dict[str, str]:
    """The environment both replicas share; the admin is created with it first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYBOX_")}
    env["POLYBOX_DATABASE_URL"] = pg_url.render_as_string(hide_password=False)
    env["POLYBOX_ENCRYPTION_KEY"] = base64.b64encode(os.urandom(32)).decode()
    env["POLYBOX_DATA_DIR"] = str(tmp_path / "setup")
    env["POLYBOX_POOL_SIZE"] = "1"
    subprocess.run(
        [sys.executable, "-m", "polybox", "admin", "create", "--username", ADMIN],
        env=env,
        input=ADMIN_PASSWORD,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return env


async def _ready(replica: Replica) -> None:
    """Wait (with a deadline) until the replica answers /readyz with 200."""
    with anyio.fail_after(START_DEADLINE_S):
        async with httpx.AsyncClient(base_url=replica.base) as http:
            while True:
                assert replica.process.poll() is None, replica.log.read_text()
                try:
                    if (await http.get("/readyz", timeout=2)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await anyio.sleep(0.1)


def _start(name: str, env: dict[str, str], tmp_path: Path) -> Replica:
    port = _free_port()
    log = tmp_path / f"{name}.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "polybox", "serve", "--port", str(port)],
            env={**env, "POLYBOX_DATA_DIR": str(tmp_path / name)},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    return Replica(name, f"http://127.0.0.1:{port}", process, log)


@pytest.fixture
async def replicas(replica_env: dict[str, str], tmp_path: Path) -> AsyncIterator[list[Replica]]:
    """Replicas "a" and "b", both ready; stopped with SIGTERM afterwards."""
    started: list[Replica] = []
    try:
        for name in ("a", "b"):
            started.append(_start(name, replica_env, tmp_path))
        for replica in started:
            await _ready(replica)
        yield started
    finally:
        for replica in started:
            replica.process.send_signal(signal.SIGTERM)
        for replica in started:
            replica.process.wait(timeout=30)
