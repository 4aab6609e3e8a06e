"""`polybox serve` as its own process for the browser tests, as an operator would start it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from polybox.web import UI_DIST

START_DEADLINE_S = 90


def require_built_ui() -> None:
    """Skip the test, saying why, when the admin UI is not built (`make ui`)."""
    if not (UI_DIST / "index.html").is_file():
        pytest.skip(f"browser tests SKIPPED: the admin UI is not built in {UI_DIST} (make ui)")


@dataclass(frozen=True)
class Polybox:
    """A running `polybox serve`: its base URL (no trailing slash) and data dir."""

    url: str
    data_dir: Path

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"polybox serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # poll interval of a deadline-bound wait, not a delay
    pytest.fail(f"polybox serve not ready within {START_DEADLINE_S} s:\n{log.read_text()[-4000:]}")


@contextmanager
def serving(
    workdir: Path, settings: Mapping[str, str] | None = None, data_dir: Path | None = None
) -> Iterator[Polybox]:
    """`python -m polybox serve` on 127.0.0.1 with a fresh data dir in `workdir`, until exit.

    `settings`: `POLYBOX_*` variables to start it with (none of the test runner's own pass).
    `data_dir`: a data dir to use instead of a fresh one (the prepared .NET one).
    Ready means /readyz answered 200 (store migrated, sandbox usable). The process logs to
    `workdir/serve.log`, shown when it fails to start; SIGTERM stops it.
    """
    port = _free_port()
    data_dir = data_dir or workdir / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYBOX_")}
    env.update(settings or {})
    env["POLYBOX_DATA_DIR"] = str(data_dir)
    log = workdir / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "polybox", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield Polybox(url=url, data_dir=data_dir)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
