"""File access to a Box's workspace from the host, safe against paths that try to leave it.

Code in the Box controls the workspace, so it may plant symlinks, FIFOs or `..` tricks for the
supervisor to trip over. Every operation walks the path one component at a time from a directory
fd with O_NOFOLLOW: a symlink anywhere in the path is refused, never followed, and only regular
files are read. Files the supervisor writes are handed to the Box's uid so code can change them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from polybox.sandbox.box import FileInfo, PathEscapeError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def split_relative(path: str) -> list[str]:
    """The components of a workspace path; refuses absolute paths and `..`."""
    pure = PurePosixPath(path)
    if pure.is_absolute():
        raise PathEscapeError(f"{path!r}: give a path relative to /workspace")
    parts = [part for part in pure.parts if part != "."]
    if ".." in parts:
        raise PathEscapeError(f"{path!r}: '..' is not allowed in workspace paths")
    return parts


class Workspace:
    """A host directory that is a Box's /workspace, owned by `uid`/`gid` (None: leave owner)."""

    def __init__(self, root: Path, uid: int | None = None, gid: int | None = None) -> None:
        self.root = root
        self._uid = uid
        self._gid = gid

    def create(self) -> None:
        """Create the (empty) directory, owned by the Box's uid."""
        self.root.mkdir(mode=0o700, parents=False, exist_ok=False)
        self._chown(str(self.root))

    @contextlib.contextmanager
    def _open_dir(self, parts: list[str], *, create: bool = False) -> Iterator[int]:
        fd = os.open(self.root, _DIR_FLAGS)
        try:
            for part in parts:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o755, dir_fd=fd)
                        self._chown(part, fd)
                try:
                    next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    raise _refusal(part, exc) from exc
                os.close(fd)
                fd = next_fd
            yield fd
        finally:
            os.close(fd)

    def read(self, path: str) -> bytes:
        """The bytes of a regular file (symlinks, FIFOs and devices are refused)."""
        *dirs, name = _need_name(path)
        with self._open_dir(dirs) as dir_fd:
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
            except OSError as exc:
                raise _refusal(path, exc) from exc
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise PathEscapeError(f"{path!r} is not a regular file")
                return handle.read()

    def write(self, path: str, data: bytes) -> None:
        """Replace a file atomically, creating parent directories as needed."""
        *dirs, name = _need_name(path)
        with self._open_dir(dirs, create=True) as dir_fd:
            temp = f".{name}.polybox-{os.getpid()}.tmp"
            fd = os.open(
                temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd
            )
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                self._chown(temp, dir_fd)
                os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp, dir_fd=dir_fd)
                raise

    def list(self, path: str = ".") -> list[FileInfo]:
        """Entries of a directory without following symlinks, sorted by name."""
        parts = split_relative(path)
        prefix = "/".join(parts)
        entries = []
        with self._open_dir(parts) as dir_fd:
            for name in sorted(os.listdir(dir_fd)):
                info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                entries.append(
                    FileInfo(
                        path=f"{prefix}/{name}" if prefix else name,
                        size=info.st_size,
                        is_dir=stat.S_ISDIR(info.st_mode),
                        modified=info.st_mtime,
                    )
                )
        return entries

    def _chown(self, path: str, dir_fd: int | None = None) -> None:
        if self._uid is not None or self._gid is not None:
            os.chown(
                path,
                -1 if self._uid is None else self._uid,
                -1 if self._gid is None else self._gid,
                dir_fd=dir_fd,
                follow_symlinks=False,
            )


def _need_name(path: str) -> list[str]:
    parts = split_relative(path)
    if not parts:
        raise PathEscapeError(f"{path!r} names the workspace itself, not a file")
    return parts


def _refusal(path: str, exc: OSError) -> Exception:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # a symlink, or a file used as a directory
        return PathEscapeError(f"{path!r}: symlinks are not followed in workspace paths")
    if isinstance(exc, FileNotFoundError):
        return FileNotFoundError(exc.errno, f"no such file in the workspace: {path!r}")
    return exc
