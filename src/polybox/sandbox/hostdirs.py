"""Where the host directories that Box processes reach by path live (Box dirs, packages).

bwrap resolves bind sources as the sandbox uid. When polybox runs as root, Boxes run as the
sandbox account, which cannot traverse the data dir (0700, often under /root), so these
directories live under `SANDBOX_ROOT/<hash of the data dir>/` instead, root-owned at every
level. Unprivileged, Boxes run as polybox's own uid and the data dir serves.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from polybox.sandbox.box import SandboxUnavailableError

SANDBOX_ROOT = Path("/var/lib/polybox-sandbox")
"""Parent of the sandbox-visible directories of every data dir when polybox runs as root."""
_TRAVERSE_ONLY = 0o711  # the sandbox uid can reach a known path but list nothing
OWNER_FILE = "data_dir"  # names the data dir a hash belongs to, so stale entries can be pruned


def sandbox_dir(data_dir: Path, name: str, *, privileged: bool, mode: int) -> Path:
    """The existing directory `name` of `data_dir` that Box processes can reach by path.

    `privileged` (polybox is root, Boxes run as the sandbox uid): `SANDBOX_ROOT/<hash>/<name>`
    with `mode`, below levels of mode 0711. Each level is created root-owned and checked not to
    be a symlink or someone else's, so the sandbox uid can neither replace nor list anything;
    SandboxUnavailableError names a level that fails the check. Otherwise `<data_dir>/<name>`,
    private to polybox's uid (which is also the Boxes' uid).
    """
    if not privileged:
        path = data_dir / name
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    path = SANDBOX_ROOT / digest / name
    levels = ((SANDBOX_ROOT, _TRAVERSE_ONLY), (path.parent, _TRAVERSE_ONLY), (path, mode))
    for level, level_mode in levels:
        level.mkdir(mode=level_mode, exist_ok=True)
        info = level.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0:
            raise SandboxUnavailableError(f"{level} must be a directory owned by root")
        level.chmod(level_mode)
    owner = path.parent / OWNER_FILE
    if not owner.exists():
        owner.write_text(str(data_dir), encoding="utf-8")
        owner.chmod(0o600)
    return path


def owner_of(entry: Path) -> Path | None:
    """The data dir a `SANDBOX_ROOT/<hash>` entry belongs to, when it recorded one."""
    try:
        return Path((entry / OWNER_FILE).read_text(encoding="utf-8"))
    except OSError:
        return None
