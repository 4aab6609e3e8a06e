"""The worker program: the stdlib-only source that runs inside each Box.

It is six files of this package joined in dependency order and passed to `python3 -I -S -c`,
so nothing has to be copied or bound into the Box. Only the first file has the
`from __future__` import (it must open the program); the others import each other's names under
TYPE_CHECKING only, because at run time they share one global namespace.
"""

from __future__ import annotations

import functools
from importlib import resources

_PARTS = ("framing.py", "toolhttp.py", "child.py", "landlock.py", "forker.py", "worker.py")


@functools.cache
def worker_program() -> str:
    """The complete worker source, read once from the package."""
    package = resources.files(__package__)
    return "\n\n".join(package.joinpath(part).read_text(encoding="utf-8") for part in _PARTS)
