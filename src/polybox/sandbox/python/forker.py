"""The forker: the clean process inside the Box that forks every call's child and ends it.

Part of the worker program (stdlib only; see `program.py`). The worker forks the forker once at
start-up, before it reads any frame, and relays calls from then on; the forker itself never
receives a call's data (arguments, secrets, responses, output), only these fixed-size orders
over its socket with the worker:

worker -> forker   b"f" + 0     fork a standby child; the answer is its pid with the worker's
                                end of the child's socket attached (SCM_RIGHTS)
                   b"k" + pid   kill that child and everything the call started, reap them;
                                the answer is the child's wait status

So every child starts from memory that never held another call's frame: a child forked by the
worker itself would inherit whatever the worker's heap kept of the calls it had relayed.
In its own pid namespace the forker is the subreaper of everything a call starts, and it kills
every process but the namespace's init, the worker and itself after each call.
"""

import contextlib
import os
import signal
import socket
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polybox.sandbox.python.child import run_child
    from polybox.sandbox.python.worker import prctl

_ORDER = struct.Struct(">cI")
_STATUS = struct.Struct(">i")
_FORK, _KILL = b"f", b"k"
_PR_SET_CHILD_SUBREAPER = 36


class Forker:
    """The worker's handle on its forker process: two orders, each answered before returning."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.sock = sock
        self.pid = pid

    def fork(self) -> tuple[int, socket.socket]:
        """A new standby child: its pid and the worker's end of its socket."""
        self.sock.sendall(_ORDER.pack(_FORK, 0))
        data, fds, _, _ = socket.recv_fds(self.sock, _ORDER.size, 1)
        if len(data) != _ORDER.size or len(fds) != 1:
            raise OSError("the forker did not hand over a child")
        return _ORDER.unpack(data)[1], socket.socket(fileno=fds[0])

    def kill(self, pid: int) -> int:
        """Kill child `pid` and whatever its call started; its wait status."""
        self.sock.sendall(_ORDER.pack(_KILL, pid))
        data = self.sock.recv(_STATUS.size, socket.MSG_WAITALL)
        if len(data) != _STATUS.size:
            raise OSError("the forker did not answer")
        return int(_STATUS.unpack(data)[0])


def start_forker(frame_limit: int, own_pid_namespace: bool) -> Forker:
    """Fork the forker from the still clean worker; it serves until the worker goes away."""
    worker_pid = os.getpid()
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the forker never returns from here
        status = 70
        try:
            ours.close()
            _serve(theirs, frame_limit, own_pid_namespace, worker_pid)
            status = 0
        finally:
            os._exit(status)
    theirs.close()
    return Forker(ours, pid)


def _serve(sock: socket.socket, frame_limit: int, own_pid_namespace: bool, worker: int) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):  # the supervisor's pipes are the worker's alone
        os.dup2(devnull, fd)
    os.close(devnull)
    if own_pid_namespace:
        prctl(_PR_SET_CHILD_SUBREAPER, 1)
    keep = {1, worker, os.getpid()}
    while len(order := sock.recv(_ORDER.size, socket.MSG_WAITALL)) == _ORDER.size:
        op, pid = _ORDER.unpack(order)
        if op == _FORK:
            child, parent_end = _fork_child(frame_limit)
            socket.send_fds(sock, [_ORDER.pack(_FORK, child)], [parent_end.fileno()])
            parent_end.close()
        elif op == _KILL:
            status = _kill(pid, keep if own_pid_namespace else None)
            sock.sendall(_STATUS.pack(status))


def _fork_child(frame_limit: int) -> tuple[int, socket.socket]:
    """A child waiting for its call on a new socket (it closes every other descriptor)."""
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the child never returns from here
        status = 70
        try:
            parent.close()
            run_child(child, frame_limit)
            status = 0
        finally:
            os._exit(status)
    child.close()
    with contextlib.suppress(OSError):  # the child already did it
        os.setpgid(pid, pid)
    return pid, parent


def _kill(pid: int, keep: set[int] | None) -> int:
    """Kill the call's child and its process group, reap it; with `keep`, kill all others too.

    `keep` (own pid namespace): every process of the namespace but these is the call's, and the
    forker, their subreaper, reaps them all, so the next call starts with no leftovers.
    """
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = 0
    if keep is not None:
        while victims := [
            int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) not in keep
        ]:
            for victim in victims:
                with contextlib.suppress(OSError):
                    os.kill(victim, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(-1, 0)
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass
    return status
