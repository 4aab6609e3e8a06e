"""Landlock for the worker: kernel-enforced file, network and scope rules it puts on itself.

Part of the worker program (stdlib only; see `program.py`). The worker applies it at start-up,
before it forks any child, so every tool child is born inside the domain and can never leave it
(a Landlock domain only ever narrows). bwrap's mounts decide what exists in the Box; Landlock
decides what may be done with it, whatever the mount flags and file modes say:

- read and execute beneath the read-only system dirs a Box binds and the extra dirs given (the
  packages dir); read beneath /proc;
- read and write, but not execute and no device nodes, beneath /workspace, /tmp and /dev/shm;
- the few character devices Python uses, with no ioctl on any device;
- nothing else: not the writable tmpfs of /dev, not /run/polybox (forward relays' sockets), not /;
- no TCP bind or connect at all (ABI 4); no abstract unix sockets of, or signals to, processes
  outside the worker's domain (ABI 6).

Each right is handled from the ABI that introduced it, so an older kernel enforces the subset it
knows; a kernel without Landlock (ABI 0) enforces nothing and `landlock_restrict` returns 0.
The supervisor imports `landlock_abi` from here too, so both ends detect Landlock the same way.
"""

import ctypes
import os
import stat
from collections.abc import Sequence

# include/uapi/linux/landlock.h; the system call numbers are the same on every architecture.
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_FS_EXECUTE = 1 << 0
_FS_WRITE_FILE = 1 << 1
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_MAKE_CHAR = 1 << 6
_FS_MAKE_BLOCK = 1 << 11
_FS_TRUNCATE = 1 << 14
_FS_IOCTL_DEV = 1 << 15
# The filesystem rights each ABI adds: 13 in ABI 1, then REFER, TRUNCATE, IOCTL_DEV.
_FS_RIGHTS_SINCE = ((1, (1 << 13) - 1), (2, 1 << 13), (3, _FS_TRUNCATE), (5, _FS_IOCTL_DEV))
# Rights that make sense on a file (not a directory); a file rule may grant no others.
_FS_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_NET_TCP_BIND_AND_CONNECT = (1 << 0) | (1 << 1)  # ABI 4
_SCOPE_ABSTRACT_UNIX_AND_SIGNAL = (1 << 0) | (1 << 1)  # ABI 6

_LANDLOCK_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
_LANDLOCK_WRITABLE_DIRS = ("/workspace", "/tmp", "/dev/shm")  # noqa: S108 - the Box's own tmpfs
_LANDLOCK_READ_WRITE_DEVICES = ("/dev/null", "/dev/zero", "/dev/full")
_LANDLOCK_READ_DEVICES = ("/dev/random", "/dev/urandom")


_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),  # ABI 4; zero is accepted by older kernels
        ("scoped", ctypes.c_uint64),  # ABI 6; likewise
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)): 12 bytes
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def _landlock_call(*args: object) -> int:
    """syscall(*args) with every integer passed as a long; OSError on failure."""
    result = int(_LIBC.syscall(*(ctypes.c_long(a) if isinstance(a, int) else a for a in args)))
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"landlock system call {args[0]} failed: {os.strerror(code)}")
    return result


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when it has none (not built in, not enabled at boot)."""
    try:
        return _landlock_call(
            _SYS_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION
        )
    except OSError:  # ENOSYS, EOPNOTSUPP; EPERM from a container's seccomp profile
        return 0


def _allow_beneath(ruleset: int, path: str, access: int) -> None:
    """Allow `access` beneath `path` (on it alone if a file); a path not in this Box is skipped."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= _FS_FILE_RIGHTS
        rule = _PathBeneathAttr(allowed_access=access, parent_fd=fd)
        _landlock_call(
            _SYS_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0
        )
    finally:
        os.close(fd)


def landlock_restrict(extra_read_dirs: Sequence[str]) -> int:
    """Put this process (and every child it forks from now on) under the Box's Landlock rules.

    Returns the ABI enforced, 0 when the kernel has no Landlock (nothing changed then). Any
    other failure raises OSError: a worker never runs with half a ruleset.
    """
    abi = landlock_abi()
    if abi < 1:
        return 0
    handled = sum(rights for since, rights in _FS_RIGHTS_SINCE if abi >= since)
    attr = _RulesetAttr(
        handled_access_fs=handled,
        handled_access_net=_NET_TCP_BIND_AND_CONNECT if abi >= 4 else 0,
        scoped=_SCOPE_ABSTRACT_UNIX_AND_SIGNAL if abi >= 6 else 0,
    )
    ruleset = _landlock_call(
        _SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.sizeof(attr), 0
    )
    try:
        read = _FS_READ_FILE | _FS_READ_DIR
        for path in (*_LANDLOCK_SYSTEM_DIRS, *extra_read_dirs):
            _allow_beneath(ruleset, path, read | _FS_EXECUTE)
        _allow_beneath(ruleset, "/proc", read)
        writable = handled & ~(_FS_EXECUTE | _FS_MAKE_CHAR | _FS_MAKE_BLOCK | _FS_IOCTL_DEV)
        for path in _LANDLOCK_WRITABLE_DIRS:
            _allow_beneath(ruleset, path, writable)
        for path in _LANDLOCK_READ_WRITE_DEVICES:
            _allow_beneath(ruleset, path, handled & (read | _FS_WRITE_FILE | _FS_TRUNCATE))
        for path in _LANDLOCK_READ_DEVICES:
            _allow_beneath(ruleset, path, _FS_READ_FILE)
        if _LIBC.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:  # bwrap set it; required here
            code = ctypes.get_errno()
            raise OSError(code, f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(code)}")
        _landlock_call(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)
    return abi
