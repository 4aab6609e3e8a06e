"""Process attacks from code inside a real bwrap Box: each is refused and the host is unchanged."""

from __future__ import annotations

import os

import pytest

from polybox.sandbox.box import Box
from security.box_attacks import run_py

pytestmark = pytest.mark.anyio


async def test_host_processes_are_not_visible_in_proc(box: Box) -> None:
    code = "import os; print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))"
    result = await run_py(box, code)
    pids = [int(p) for p in result.stdout.strip(b"[]\n").split(b",")]
    assert max(pids) < 10  # only the Box's own pid namespace: init, python


async def test_signal_to_a_host_process_does_not_reach_it(box: Box) -> None:
    code = f"import os\ntry: os.kill({os.getpid()}, 9)\nexcept OSError as e: print(e.errno)"
    result = await run_py(box, code)
    assert result.stdout == b"3\n"  # ESRCH: the supervisor's pid does not exist in the Box


async def test_fork_bomb_is_contained(box: Box) -> None:
    code = (
        "import os\nn = 0\n"
        "try:\n    while True:\n        if os.fork() == 0:\n            os.pause()\n"
        "        n += 1\n"
        "except OSError as e: print(e.errno, n)"
    )
    result = await run_py(box, code)
    errno_text, count = result.stdout.split()
    assert errno_text == b"11"  # EAGAIN from the pids cgroup / RLIMIT_NPROC
    assert int(count) < 32


async def test_ptrace_is_blocked(box: Box) -> None:
    code = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.ptrace(0, 0, 0, 0), ctypes.get_errno())"  # PTRACE_TRACEME
    )
    result = await run_py(box, code)
    assert result.stdout == b"-1 1\n"  # EPERM from seccomp


async def test_process_vm_readv_is_blocked(box: Box) -> None:
    code = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.process_vm_readv(os.getppid(), 0, 0, 0, 0, 0), ctypes.get_errno())"
    )
    assert (await run_py(box, code)).stdout == b"-1 1\n"


async def test_unshare_of_a_user_namespace_is_blocked(box: Box) -> None:
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.unshare(0x10000000), ctypes.get_errno())"  # CLONE_NEWUSER
    )
    assert (await run_py(box, code)).stdout == b"-1 1\n"


async def test_clone_with_new_namespace_flags_is_blocked(box: Box) -> None:
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0), ctypes.get_errno())"  # clone
    )
    assert (await run_py(box, code)).stdout == b"-1 1\n"


async def test_io_uring_is_blocked(box: Box) -> None:
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "buf = ctypes.create_string_buffer(120)\n"
        "print(libc.syscall(425, 8, buf), ctypes.get_errno())"  # io_uring_setup
    )
    assert (await run_py(box, code)).stdout == b"-1 1\n"


async def test_keyctl_is_blocked(box: Box) -> None:
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.syscall(250, 0, -3, 0), ctypes.get_errno())"  # keyctl GET_KEYRING_ID
    )
    assert (await run_py(box, code)).stdout == b"-1 1\n"


async def test_bpf_is_blocked(box: Box) -> None:
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.syscall(321, 0, 0, 0), ctypes.get_errno())"  # bpf
    )
    assert (await run_py(box, code)).stdout == b"-1 1\n"


async def test_mount_is_blocked(box: Box) -> None:
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno())"
    )
    assert (await run_py(box, code)).stdout == b"-1 1\n"


async def test_tiocsti_terminal_injection_is_blocked(box: Box) -> None:
    code = (
        "import fcntl, os, termios\nfd = os.open('/dev/null', os.O_RDONLY)\n"
        "try: fcntl.ioctl(fd, termios.TIOCSTI, b'x')\nexcept OSError as e: print(e.errno)"
    )
    assert (await run_py(box, code)).stdout == b"1\n"  # EPERM (not ENOTTY): seccomp


async def test_raw_packet_sockets_are_refused(box: Box) -> None:
    code = (
        "import socket\ntry: socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
        "except OSError as e: print(e.errno)"
    )
    assert (await run_py(box, code)).stdout == b"97\n"  # EAFNOSUPPORT


async def test_box_has_no_route_to_the_host_network(box: Box) -> None:
    code = (
        "import socket\ns = socket.socket()\ns.settimeout(2)\n"
        "try: s.connect(('1.1.1.1', 80))\nexcept OSError as e: print(e.errno)"
    )
    assert (await run_py(box, code)).stdout == b"101\n"  # ENETUNREACH: loopback only
