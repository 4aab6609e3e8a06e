"""Code that runs in a forked child before `exec`, made safe to run in a threaded process.

polybox starts Box processes with a `preexec_fn` (join the Box's cgroup and network namespace,
set rlimits, drop root). The child of a threaded process must not wait for a lock, because the
thread that held it at fork time does not exist there. Our preexec functions take no lock; a trace
function inherited from the forking thread may (coverage's did: a test worker's launch then hung
for ever, and with it the run). `untraced` turns tracing off before the first Python frame of the
child exists: the wrapper is made of C callables only, so no trace event fires before it.
"""

from __future__ import annotations

import collections
import functools
import operator
import sys
from collections.abc import Callable


def untraced(preexec: Callable[[], object]) -> Callable[[], object]:
    """`preexec` run with the inherited trace function removed first (call it once)."""
    calls: tuple[Callable[[], object], ...] = (functools.partial(sys.settrace, None), preexec)
    call: Callable[[Callable[[], object]], object] = operator.call
    return functools.partial(collections.deque, map(call, calls), 0)
