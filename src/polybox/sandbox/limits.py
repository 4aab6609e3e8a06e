"""Per-process rlimits of a Box, applied in the child between fork and exec.

They bound each process: address space, CPU seconds, file size, open files, and the number of
processes of the Box's uid. Core dumps are always off (a core file could leak memory contents
into the workspace and fill the disk).
"""

from __future__ import annotations

import resource
from collections.abc import Callable

from polybox.sandbox.box import Limits

_MB = 1024 * 1024


def rlimits(limits: Limits) -> dict[int, int]:
    """The rlimit values (soft = hard) for `limits`."""
    values = {
        resource.RLIMIT_CPU: limits.cpu_seconds,
        resource.RLIMIT_NPROC: limits.processes,
        resource.RLIMIT_FSIZE: limits.file_size_mb * _MB,
        resource.RLIMIT_NOFILE: limits.open_files,
        resource.RLIMIT_CORE: 0,
    }
    if limits.address_space:
        values[resource.RLIMIT_AS] = limits.memory_mb * _MB
    return values


def rlimit_preexec(limits: Limits, *, per_uid: bool = True) -> Callable[[], None]:
    """A `preexec_fn` setting the limits in the child; never above the current hard limit.

    `per_uid=False` leaves RLIMIT_NPROC alone: it counts every process of the uid, so it is
    wrong for a backend that shares its uid with the supervisor.
    """
    values = []
    for which, wanted in rlimits(limits).items():
        if which == resource.RLIMIT_NPROC and not per_uid:
            continue
        hard = resource.getrlimit(which)[1]
        value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        values.append((which, value))

    def apply() -> None:
        for which, value in values:
            resource.setrlimit(which, (value, value))

    return apply
