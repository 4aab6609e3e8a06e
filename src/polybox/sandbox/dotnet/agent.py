"""The in-Box agent of a .NET workspace, and its host-side client.

Every bwrap Box process is its own sandbox (own pid namespace and /tmp), so MSBuild nodes and
the compiler server started by one `Box.exec` would die with it. A workspace instead starts one
long-lived agent (`Box.start`, standard library only, `python3 -I -S -c AGENT_SOURCE`) and runs
every command as its child: one pid namespace and one /tmp for all of them, so build servers stay
warm between calls. Everything dies with the Box.

Protocol: one JSON object per line each way. Request `{"argv", "cwd", "env", "timeout",
"limit"}`; answer `{"exit_code", "stdout", "stderr", "stdout_truncated", "stderr_truncated",
"timed_out", "duration"}` (`exit_code` None when the command could not start or timed out; its
`stderr` then says why). Each command gets its own session: at the timeout its whole process
group is killed. Once it exits, output still arriving is read for a moment only, since a build
server it started may hold the pipes open for good.

At a timeout the agent kills not only the command's process group but every other process of
the workspace's pid namespace: with the MSBuild server, a build's tasks (and whatever they
start) run in the server, outside the command's group. The next build starts the servers cold.
Background processes (`Box.spawn`) live in their own namespaces and are not touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from polybox.sandbox.box import Box, BoxProcess
from polybox.sandbox.dotnet.model import CommandResult, DotnetError

AGENT_SOURCE = """
import json, os, selectors, signal, subprocess, sys, time

GRACE = 0.2

def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False

def kill_the_rest():
    me = os.getpid()
    for _ in range(50):
        others = [int(name) for name in os.listdir("/proc") if name.isdigit()]
        others = [pid for pid in others if pid not in (1, me) and alive(pid)]
        if not others:
            return
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.02)

def run(request):
    started = time.monotonic()
    limit = request["limit"]
    try:
        process = subprocess.Popen(
            request["argv"], cwd=request["cwd"], env=request["env"], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return {"exit_code": None, "stdout": "", "stderr": "cannot start %s: %s" % (
            request["argv"][0], exc.strerror), "stdout_truncated": False,
            "stderr_truncated": False, "timed_out": False, "duration": 0.0}
    kept = {process.stdout.fileno(): bytearray(), process.stderr.fileno(): bytearray()}
    cut = {fd: False for fd in kept}
    selector = selectors.DefaultSelector()
    for fd in kept:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    deadline = started + request["timeout"]
    timed_out, exited = False, None
    while True:
        now = time.monotonic()
        if exited is None and process.poll() is not None:
            exited = now
        if exited is not None and (not selector.get_map() or now - exited > GRACE):
            break
        if now >= deadline:
            timed_out = True
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
            kill_the_rest()
            break
        wait = min(deadline - now, 0.05)
        if not selector.get_map():
            time.sleep(wait)
            continue
        for key, _ in selector.select(wait):
            try:
                data = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if not data:
                selector.unregister(key.fd)
                continue
            buffer = kept[key.fd]
            room = limit - len(buffer)
            if len(data) > room:
                cut[key.fd] = True
            buffer += data[:max(room, 0)]
    selector.close()
    process.stdout.close()
    process.stderr.close()
    fds = list(kept)
    return {
        "exit_code": None if timed_out else process.returncode,
        "stdout": kept[fds[0]].decode(errors="replace"),
        "stderr": kept[fds[1]].decode(errors="replace"),
        "stdout_truncated": cut[fds[0]], "stderr_truncated": cut[fds[1]],
        "timed_out": timed_out, "duration": time.monotonic() - started,
    }

print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    print(json.dumps(run(json.loads(line))), flush=True)
"""

_SLACK_S = 15.0  # beyond a command's own timeout, how long the host waits for the agent


class AgentError(DotnetError):
    """The workspace's agent died or stopped answering; the workspace must be recreated."""

    kind = "workspace_broken"


async def _read_line(process: BoxProcess) -> bytes:
    """One protocol line of any length (asyncio's readline caps lines at 64 KiB)."""
    chunks = []
    while True:
        try:
            chunk = await process.stdout.readuntil(b"\n")
        except asyncio.LimitOverrunError as exc:
            chunks.append(await process.stdout.readexactly(exc.consumed))
            continue
        except asyncio.IncompleteReadError as exc:
            raise AgentError(
                "the workspace's command agent exited; stop this workspace and create a new one"
            ) from exc
        chunks.append(chunk)
        return b"".join(chunks)


class Agent:
    """The host side of one workspace's agent: one command at a time, in order."""

    def __init__(self, process: BoxProcess) -> None:
        self.process = process
        self._lock = asyncio.Lock()

    @classmethod
    async def start(cls, box: Box, python: str) -> Agent:
        """Start the agent in `box` with the Box's Python and wait until it is ready."""
        process = await box.start([python, "-I", "-S", "-c", AGENT_SOURCE])
        agent = cls(process)
        try:
            ready = await asyncio.wait_for(_read_line(process), _SLACK_S)
        except (TimeoutError, AgentError) as exc:
            agent.kill()
            log = (await box.read_log(2000)).decode(errors="replace")
            raise AgentError(f"the workspace's command agent did not start: {log}") from exc
        if json.loads(ready) != {"ready": True}:
            agent.kill()
            raise AgentError(f"the workspace's command agent did not start: {ready[:200]!r}")
        return agent

    async def run(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str],
        timeout_s: float,
        output_limit: int,
    ) -> CommandResult:
        """Run `argv` as a child of the agent; the result has both streams apart."""
        request = {
            "argv": list(argv),
            "cwd": cwd,
            "env": dict(env),
            "timeout": timeout_s,
            "limit": output_limit,
        }
        async with self._lock:
            if self.process.returncode is not None:
                raise AgentError(
                    "the workspace's command agent is gone (the workspace was stopped or hit a "
                    "limit); create a new workspace"
                )
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            try:
                await self.process.stdin.drain()
                line = await asyncio.wait_for(_read_line(self.process), timeout_s + _SLACK_S)
            except (TimeoutError, ConnectionError) as exc:
                self.kill()
                raise AgentError(
                    "the workspace's command agent stopped answering and was killed; create a "
                    "new workspace"
                ) from exc
        answer: dict[str, Any] = json.loads(line)
        return CommandResult(
            exit_code=answer["exit_code"],
            stdout=answer["stdout"],
            stderr=answer["stderr"],
            stdout_truncated=answer["stdout_truncated"],
            stderr_truncated=answer["stderr_truncated"],
            timed_out=answer["timed_out"],
            duration_ms=answer["duration"] * 1000,
            limit=None,
        )

    def kill(self) -> None:
        """Kill the agent and every command it runs; safe to call twice."""
        self.process.kill()

    async def close(self) -> None:
        """Kill the agent and wait for it."""
        self.kill()
        with contextlib.suppress(ProcessLookupError):
            await self.process.wait()
