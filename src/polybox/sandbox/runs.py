"""Which Box directories and cgroups belong to a polybox process that is gone.

Each host backend takes a run when it makes its first Box: a random id and `<boxes dir>/<id>.run`,
a file it holds an exclusive flock on while the process lives. Its Boxes' directories and cgroups
are named after the run. At start-up, a run whose file can be locked belongs to a process that
died without cleaning up (SIGKILL, a crash, power loss); its leftovers are removed. A run still
locked belongs to a live process on the same data dir (`polybox stdio` beside `serve`) and is left
alone; another data dir's runs are never seen, since its boxes dir is another.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from pathlib import Path

RUN_SUFFIX = ".run"


class Run:
    """This process's run in a boxes dir; `release` when the backend closes."""

    def __init__(self, boxes_dir: Path) -> None:
        """Take a new run: its lock file appears already locked (made aside, then renamed)."""
        self.id = uuid.uuid4().hex[:8]
        self.path = boxes_dir / f"{self.id}{RUN_SUFFIX}"
        draft = boxes_dir / f".{self.id}.draft"
        self._fd = os.open(draft, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.rename(draft, self.path)

    def release(self) -> None:
        """Remove the lock file and let go of it (idempotent)."""
        if self._fd < 0:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = -1


def dead_runs(boxes_dir: Path) -> list[str]:
    """Ids of the runs in `boxes_dir` whose process is gone (nobody holds their lock)."""
    dead = []
    for path in boxes_dir.glob(f"*{RUN_SUFFIX}"):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # released meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live process holds it
        finally:
            os.close(fd)
        dead.append(path.name.removesuffix(RUN_SUFFIX))
    return dead
