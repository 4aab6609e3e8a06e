"""A network namespace per Box, shared by all its processes (so `forward` and spawned servers
meet the processes that call them).

Created as root by a short-lived holder process that unshares its network namespace and brings
loopback up; the supervisor keeps an fd to the namespace (which keeps it alive) and each Box
process joins it in its preexec, before dropping to the sandbox uid. The namespace belongs to
the host's user namespace, so Box code (in its own user namespace, without capabilities) cannot
reconfigure it: it has a loopback interface and nothing else.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import subprocess

from polybox.sandbox.preexec import untraced

CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _unshare_with_loopback() -> None:
    """preexec of the holder: a new network namespace with `lo` up."""
    _check(_libc.unshare(CLONE_NEWNET))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def create_netns() -> int:
    """A new loopback-only network namespace, as an fd (close it to let the namespace go)."""
    holder = subprocess.Popen(
        ["/bin/cat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        preexec_fn=untraced(_unshare_with_loopback),  # noqa: PLW1509 - only syscalls, untraced
    )
    try:
        return os.open(f"/proc/{holder.pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        assert holder.stdin is not None  # noqa: S101 - PIPE above
        holder.stdin.close()
        holder.wait()


def join_netns(fd: int) -> None:
    """Move the calling process (for preexec: no allocations) into the namespace behind `fd`."""
    _check(_libc.setns(fd, CLONE_NEWNET))
