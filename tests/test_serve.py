"""`polybox serve` as a real process on 127.0.0.1: it starts cold, answers, and stops on SIGTERM
leaving nothing of its sandbox behind; a run killed outright is cleaned up by the next start."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from polybox.config import Settings
from polybox.sandbox.bwrap import boxes_dir
from polybox.sandbox.capabilities import bwrap_config
from polybox.sandbox.cgroups import detect_layout

START_DEADLINE_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_answers_healthz_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYBOX_")}
    env["POLYBOX_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-m", "polybox", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        status = None
        while status != 200 and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[1]
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
            except httpx.TransportError:
                time.sleep(0.05)
        assert status == 200
        assert (tmp_path / "data" / "polybox.db").is_file()
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr  # a graceful stop, the instance closed
    events = [json.loads(line)["event"] for line in stderr.splitlines()]
    assert "serving" in events
    assert "Application shutdown complete." in events
    assert events[-1] == "stopped"


def _serve_until_ready(data_dir: Path) -> subprocess.Popen[str]:
    """`polybox serve` with a bwrap pool of one worker, once /readyz says it is ready."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYBOX_")}
    env |= {"POLYBOX_DATA_DIR": str(data_dir), "POLYBOX_SANDBOX": "bwrap"}
    env |= {"POLYBOX_POOL_SIZE": "1", "POLYBOX_LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [sys.executable, "-m", "polybox", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"polybox serve was not ready within {START_DEADLINE_S} s")


def _sandbox_of_runs(boxes: Path, runs: set[str]) -> list[str]:
    """Box dirs, run files and cgroups of `runs` that exist now."""
    found = [p.name for run in runs for p in boxes.glob(f"{run}*")]
    layout, _ = detect_layout()
    for parent in layout.parents if layout else ():
        found += [str(p) for run in runs for p in parent.glob(f"polybox-{run}-*")]
    return found


@pytest.mark.skipif(os.geteuid() != 0, reason="cgroups and the sandbox account need root here")
def test_sigterm_leaves_no_box_dirs_or_cgroups_and_a_killed_runs_leftovers_go_at_next_start(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    boxes = boxes_dir(data_dir, bwrap_config(Settings(data_dir=data_dir)).account)
    killed = _serve_until_ready(data_dir)
    killed_runs = {p.stem for p in boxes.glob("*.run")}
    assert len(killed_runs) == 1
    killed.kill()  # SIGKILL: nothing of polybox runs after this
    killed.communicate(timeout=30)
    leftovers = _sandbox_of_runs(boxes, killed_runs)
    assert len([name for name in leftovers if name.endswith(".run")]) == 1
    assert len(leftovers) >= 2  # the run file, the Box dir, and cgroups where available

    stopped = _serve_until_ready(data_dir)
    assert _sandbox_of_runs(boxes, killed_runs) == []
    runs = {p.stem for p in boxes.glob("*.run")}
    assert len(_sandbox_of_runs(boxes, runs)) >= 2  # its own, alive
    stopped.send_signal(signal.SIGTERM)
    _, stderr = stopped.communicate(timeout=60)
    assert stopped.returncode == 0, stderr
    assert _sandbox_of_runs(boxes, runs) == []
    assert list(boxes.iterdir()) == []
