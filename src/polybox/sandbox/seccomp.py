"""The Box's seccomp filter, compiled to BPF with libseccomp (through ctypes) for `bwrap --seccomp`.

A deny list on top of what namespaces and dropped capabilities already stop: system calls that are
kernel attack surface or that could reach outside the Box even without privileges. Denied calls
fail with EPERM (the code gets a clean OSError instead of being killed), except `clone3`, which
returns ENOSYS so libc falls back to `clone`, whose namespace flags the filter can see. System
calls of other ABIs (32-bit, x32) are killed by libseccomp's bad-architecture action.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os
import socket
import termios

# What a Box's code never needs and an attacker would like.
DENIED_SYSCALLS = (
    # debugging and reading other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "process_madvise",
    # namespaces, mounts and the root directory
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr",
    # kernel keyrings, eBPF, perf, io_uring, userfaultfd: large attack surface
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    # modules, kexec, host-wide state
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "syslog", "quotactl", "quotactl_fd", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "vhangup", "iopl", "ioperm", "modify_ldt",
    "lookup_dcookie", "name_to_handle_at", "open_by_handle_at", "uselib", "nfsservctl",
    "fanotify_init", "move_pages", "migrate_pages",
)  # fmt: skip

# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
_CLONE_NEW_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                    0x40000000, 0x00000080)  # fmt: skip
# personality() bits that weaken exploit mitigations (ASLR off, executable data, page zero).
_PERSONALITY_BITS = (0x0040000, 0x0400000, 0x0200000, 0x0100000)
# TIOCSTI pushes input into the controlling terminal; TIOCLINUX does similar on consoles.
_DENIED_IOCTLS = (termios.TIOCSTI, 0x541C)
# Sockets a Box may open: unix, IPv4, IPv6 (its own loopback unless the Box has a network),
# netlink (interface queries). Everything else (packet, alg, vsock, bluetooth, ...) is denied.
_ALLOWED_FAMILIES = (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK)

_ACT_ALLOW = 0x7FFF0000
_CMP_EQ = 4
_CMP_GT = 6
_CMP_MASKED_EQ = 7


def _act_errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class SeccompError(Exception):
    """libseccomp is missing or refused the filter."""


class _ArgCmp(ctypes.Structure):
    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


@functools.cache
def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as exc:
        raise SeccompError(
            f"libseccomp not found ({exc}); install it: apt-get install libseccomp2"
        ) from exc
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(_ArgCmp),
    )  # fmt: skip
    lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
    return lib


def available() -> tuple[bool, str]:
    """Whether a filter can be compiled here, and why not."""
    try:
        compile_filter()
    except SeccompError as exc:
        return False, str(exc)
    return True, ""


@functools.cache
def compile_filter() -> bytes:
    """The BPF program (as `bwrap --seccomp` reads it) of the Box filter."""
    lib = _library()
    ctx = lib.seccomp_init(_ACT_ALLOW)
    if not ctx:
        raise SeccompError("seccomp_init failed")
    try:
        eperm = _act_errno(errno.EPERM)

        def rule(name: str, action: int, *cmps: tuple[int, int, int, int]) -> None:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:  # not a system call on this architecture
                return
            array = (_ArgCmp * max(len(cmps), 1))(*(_ArgCmp(*cmp) for cmp in cmps))
            result = lib.seccomp_rule_add_array(ctx, action, number, len(cmps), array)
            if result < 0:
                raise SeccompError(f"seccomp rule for {name} rejected: {os.strerror(-result)}")

        for name in DENIED_SYSCALLS:
            rule(name, eperm)
        rule("clone3", _act_errno(errno.ENOSYS))
        for flag in _CLONE_NEW_FLAGS:
            rule("clone", eperm, (0, _CMP_MASKED_EQ, flag, flag))
        for bit in _PERSONALITY_BITS:
            rule("personality", eperm, (0, _CMP_MASKED_EQ, bit, bit))
        for request in _DENIED_IOCTLS:
            rule("ioctl", eperm, (1, _CMP_MASKED_EQ, 0xFFFFFFFF, request))
        no_family = _act_errno(errno.EAFNOSUPPORT)
        for call in ("socket", "socketpair"):
            rule(call, no_family, (0, _CMP_GT, max(_ALLOWED_FAMILIES), 0))
            for family in range(max(_ALLOWED_FAMILIES)):
                if family not in _ALLOWED_FAMILIES:
                    rule(call, no_family, (0, _CMP_EQ, family, 0))
        fd = os.memfd_create("polybox-seccomp-export", os.MFD_CLOEXEC)
        with os.fdopen(fd, "rb") as exported:
            if lib.seccomp_export_bpf(ctx, fd) < 0:
                raise SeccompError("seccomp_export_bpf failed")
            exported.seek(0)
            return exported.read()
    finally:
        lib.seccomp_release(ctx)


def filter_fd() -> int:
    """A fresh fd holding the compiled filter at offset 0, for one bwrap launch to read."""
    fd = os.memfd_create("polybox-seccomp", os.MFD_CLOEXEC)
    os.write(fd, compile_filter())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
