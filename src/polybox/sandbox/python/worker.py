"""The polybox Python worker: the relay loop inside the Box; one forked child per tool call.

Run as `python3 -I -S -c <program> <config json>` where the program is framing.py, toolhttp.py,
child.py, landlock.py, forker.py and this file, in that order (see `program.py`); standard
library only.
It speaks frames (framing.py) with the supervisor on stdin/stdout:

supervisor -> worker   {"op": "run", "id", "code", "args", "secrets", "modules", "timeout",
                        "memory_mb", "output_limit", "result_limit"}
                       {"op": "kill", "id"}       stop that call's child now
                       {"op": "http_result", "id", "rid", "response" | "error"}
worker -> supervisor   {"op": "ready", "landlock"}   once, after start-up; the Landlock ABI
                                                     in force (0: none)
                       {"op": "http", "id", "rid", "request"}
                       {"op": "done", "id", "ok", "result_json" | "error", "stdout"}
                       {"op": "killed", "id", "stdout"}   answer to "kill"; no "done" follows

The child talks only to the worker (a socketpair); the worker relays its http frames and its
final "done" and never gives it the supervisor's pipes. Printed output goes to shared memory
(child.py), so it survives a child that is killed; the worker clears it after reading it.

The worker never forks a child itself: its heap keeps traces of every frame it relayed, and a
child forked from it could read them (ctypes reaches its own memory). Children come from the
forker (forker.py), forked once before the first frame, which never sees a call's data.

The worker makes itself non-dumpable before anything else: the child runs tool code as the same
uid, and a dumpable worker's /proc/<pid>/fd, mem and environ would be open to it (mem even for
writing). Children inherit the flag; a child that resets its own changes nothing for the worker.
In its own pid namespace the forker is the subreaper of everything a call starts, so after a
call it kills and reaps them all: the next call starts with no leftovers, not even zombies.

When the config asks for it, the worker then puts itself under Landlock (landlock.py) before it
imports anything for tools or forks a child, and says in its ready frame which ABI is in force.
"""

import contextlib
import ctypes
import gc
import importlib
import json
import os
import resource
import selectors
import signal
import socket
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polybox.sandbox.python.child import (
        allocate_output,
        prepare_loop,
        read_output,
        reset_output,
        set_disk_full,
    )
    from polybox.sandbox.python.forker import Forker, start_forker
    from polybox.sandbox.python.framing import FrameBuffer, FrameError, encode, write_all
    from polybox.sandbox.python.landlock import landlock_restrict

_PR_SET_DUMPABLE = 4


class Call:
    """The call in progress: its child, the worker's end of the child's socket, its output."""

    def __init__(self, frame: Mapping[str, Any], pid: int, sock: socket.socket, limit: int) -> None:
        self.id = frame["id"]
        self.pid = pid
        self.sock = sock
        self.frames = FrameBuffer(limit)
        self.done = False


class Worker:
    """The relay loop between the supervisor (fds 0/1) and at most one child at a time."""

    def __init__(self, config: Mapping[str, Any], landlock_abi: int, forker: Forker) -> None:
        self.landlock_abi = landlock_abi
        self.frame_limit = int(config["frame_limit"])
        self.scratch_dirs = [str(path) for path in config["scratch_dirs"]]
        self.forker = forker
        self.supervisor = FrameBuffer(self.frame_limit)
        self.selector = selectors.DefaultSelector()
        self.call: Call | None = None
        self.standby: tuple[int, socket.socket] | None = None

    def send(self, frame: Mapping[str, Any]) -> None:
        write_all(1, encode(frame))

    def serve(self) -> None:
        os.set_blocking(0, False)
        self.selector.register(0, selectors.EVENT_READ, None)
        self.standby = self.forker.fork()
        self.send({"op": "ready", "landlock": self.landlock_abi})
        while True:
            for key, _ in self.selector.select():
                if key.data is None:
                    if not self.read_supervisor():
                        return
                else:
                    self.read_child(key.data)

    def read_supervisor(self) -> bool:
        try:
            chunk = os.read(0, 1 << 20)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        for frame in self.supervisor.feed(chunk):
            self.handle(frame)
        return True

    def handle(self, frame: dict[str, Any]) -> None:
        op, call = frame.get("op"), self.call
        if op == "run":
            if call is not None:
                self.finish(call)
            self.start(frame)
        elif op == "kill":
            stdout = self.finish(call)[1] if call is not None and call.id == frame["id"] else ""
            self.send({"op": "killed", "id": frame["id"], "stdout": stdout})
        elif op == "http_result" and call is not None and call.id == frame["id"]:
            # A child that is gone or stuck is dealt with by read_child or "kill".
            with contextlib.suppress(OSError):
                call.sock.sendall(encode(frame))

    def start(self, frame: dict[str, Any]) -> None:
        pid, sock = self.standby or self.forker.fork()  # forked ahead: the call does not wait
        self.standby = None
        sock.settimeout(5.0)
        reset_output()
        self.call = Call(frame, pid, sock, self.frame_limit)
        self.selector.register(sock, selectors.EVENT_READ, self.call)
        # A standby that died already shows up as end-of-file in read_child.
        with contextlib.suppress(OSError):
            sock.sendall(encode(frame))

    def read_child(self, call: Call) -> None:
        try:
            chunk = call.sock.recv(1 << 20)
            frames = call.frames.feed(chunk) if chunk else []
        except (OSError, FrameError):
            chunk, frames = b"", []
        done: dict[str, Any] | None = None
        for frame in frames:
            if frame.get("op") == "http":
                request = {"op": "http", "id": call.id, "rid": frame.get("rid")}
                self.send({**request, "request": frame.get("request")})
            elif frame.get("op") == "done":
                done = frame
                break
        if done is not None:  # answer first; reaping overlaps with the supervisor's work
            self.send({**done, "op": "done", "id": call.id, "stdout": read_output()})
            self.finish(call)
        elif not chunk:
            status, stdout = self.finish(call)
            error = {"type": "ToolProcessDied", "message": describe_exit(status)}
            self.send({"op": "done", "id": call.id, "ok": False, "error": error, "stdout": stdout})

    def finish(self, call: Call) -> tuple[int, str]:
        """Kill what the call left running, reap its child, forget it: (wait status, output)."""
        status = self.forker.kill(call.pid)
        self.selector.unregister(call.sock)
        call.sock.close()
        self.call = None
        for path in self.scratch_dirs:  # the next call starts with empty /workspace and /tmp
            empty_dir(path)
        output = read_output()
        reset_output()  # the next child must not find this call's output
        self.standby = self.forker.fork()  # after the kill above, which would take it too
        return status, output


def empty_dir(root: str) -> None:
    """Remove everything beneath `root`, whatever modes or depth the tool left (best effort)."""
    stack, dirs = [root], []
    while stack:
        path = stack.pop()
        with contextlib.suppress(OSError):
            if path != root:  # a tool may have made it unreadable; /tmp keeps its own mode
                os.chmod(path, 0o700)
            for entry in os.scandir(path):
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    dirs.append(entry.path)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
    for path in reversed(dirs):  # deepest first: children were listed after their parents
        with contextlib.suppress(OSError):
            os.rmdir(path)


def prctl(option: int, value: int) -> None:
    """prctl(option, value), or OSError: the worker never runs without what it asked for."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl({option}, {value}) failed: {os.strerror(errno)}")


def describe_exit(status: int) -> str:
    """Why the tool process ended without returning, in words for the tool's author."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        reasons: dict[int, str] = {
            signal.SIGKILL: "it was killed (most often: it used more memory than allowed)",
            signal.SIGXCPU: "it used more CPU time than allowed",
            signal.SIGSEGV: "it crashed (segmentation fault)",
            signal.SIGXFSZ: "it wrote a file larger than allowed",
        }
        name = signal.Signals(sig).name
        return f"the tool process stopped before returning: {reasons.get(sig, name)} ({name})"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"the tool process exited with status {code} before returning a result"


def main() -> None:
    prctl(_PR_SET_DUMPABLE, 0)
    config = json.loads(sys.argv[1])
    packages = [config["packages"]] if config.get("packages") else []
    sys.path += packages
    landlock_abi = landlock_restrict(packages) if config["landlock"] else 0
    for name in config["preload"]:
        # Not in this interpreter: a tool importing it gets the real error.
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    prepare_loop()
    allocate_output(int(config["output_limit"]))
    set_disk_full(str(config["disk_full"]))
    gc.freeze()  # children share the preloaded heap without copy-on-write churn from the GC
    forker = start_forker(int(config["frame_limit"]), bool(config["own_pid_namespace"]))
    Worker(config, landlock_abi, forker).serve()


if __name__ == "__main__":
    main()
