"""File access to a docker Box's /workspace through the engine's archive API (tar streams).

Paths are checked like the host backends' (`workspace.split_relative`: no absolute paths, no
`..`), then every component is stat'ed through the engine (a HEAD of the archive endpoint, no
data moves) so a symlink or a non-directory anywhere in the path is refused, never followed.
The engine resolves paths inside the container's own filesystem, never the host's; a Box that
swaps a directory for a symlink between the check and the transfer can at most read a file of
its own container's image that its user could not (images hold no secrets by design).

Writes extract a tar into /workspace whose entries (parents included) belong to the Box user,
so code in the Box can change what the supervisor wrote. Listing a directory streams its tar
and keeps the direct children: cost grows with the size of the subtree.
"""

from __future__ import annotations

import errno
import io
import tarfile
import time
from collections.abc import Iterable, Iterator
from typing import Any

from docker import APIClient
from docker.utils import decode_json_header

from polybox.sandbox.box import WORKSPACE, BoxError, FileInfo, PathEscapeError
from polybox.sandbox.dockerapi import BOX_GID, BOX_UID, call
from polybox.sandbox.workspace import split_relative

# Go's os.FileMode type bits, as the engine reports them in a path stat.
GO_DIR = 1 << 31
GO_SYMLINK = 1 << 27
_GO_TYPES = GO_DIR | GO_SYMLINK | 1 << 26 | 1 << 25 | 1 << 24 | 1 << 21 | 1 << 19
_STAT_HEADER = "X-Docker-Container-Path-Stat"


def box_path(parts: list[str]) -> str:
    """The absolute path inside the Box of workspace path components."""
    return "/".join([WORKSPACE, *parts])


class BoxFiles:
    """The file operations of one container's /workspace."""

    def __init__(self, api: APIClient, container: str) -> None:
        self._api = api
        self._container = container

    async def read(self, path: str) -> bytes:
        """The bytes of a regular file (symlinks, FIFOs and devices are refused)."""
        parts = _need_name(path)
        stat = await self._walk(path, parts)
        if stat is None:
            raise FileNotFoundError(errno.ENOENT, f"no such file in the workspace: {path!r}")
        if stat["mode"] & _GO_TYPES:
            raise PathEscapeError(f"{path!r} is not a regular file")
        return await call("reading a Box file", self._read_archive, box_path(parts))

    async def write(self, path: str, data: bytes) -> None:
        """Create or replace a file, creating parent directories owned by the Box user."""
        parts = _need_name(path)
        stat = await self._walk(path, parts)
        if stat is not None and stat["mode"] & GO_DIR:
            raise BoxError(f"{path!r} is a directory")
        archive = _file_tar(parts, data)
        done = await call("writing a Box file", self._api.put_archive, self._container,
                          WORKSPACE, archive)  # fmt: skip
        if not done:
            raise BoxError(f"the engine refused to write {path!r}")

    async def list_dir(self, path: str = ".") -> list[FileInfo]:
        """Entries of a directory without following symlinks, sorted by name."""
        parts = split_relative(path)
        stat = await self._walk(path, parts)
        if stat is None:
            raise FileNotFoundError(errno.ENOENT, f"no such file in the workspace: {path!r}")
        if not stat["mode"] & GO_DIR:
            raise NotADirectoryError(errno.ENOTDIR, f"not a directory in the workspace: {path!r}")
        return await call("listing a Box directory", self._list_archive, parts)

    def _read_archive(self, absolute: str) -> bytes:
        """Blocking: the first member of the path's archive, which must be a regular file."""
        chunks, _ = self._api.get_archive(self._container, absolute)
        with tarfile.open(fileobj=_ChunkReader(chunks), mode="r|") as archive:
            member = archive.next()
            handle = archive.extractfile(member) if member and member.isfile() else None
            if handle is None:
                raise BoxError(f"the engine sent no regular file for {absolute}")
            return handle.read()

    def _list_archive(self, parts: list[str]) -> list[FileInfo]:
        """Blocking: the direct children in the directory's archive."""
        chunks, _ = self._api.get_archive(self._container, box_path(parts))
        prefix = "/".join(parts)
        entries = []
        with tarfile.open(fileobj=_ChunkReader(chunks), mode="r|") as archive:
            for member in archive:
                _, slash, name = member.name.partition("/")
                if not slash or "/" in name:
                    continue
                entries.append(
                    FileInfo(
                        path=f"{prefix}/{name}" if prefix else name,
                        size=member.size,
                        is_dir=member.isdir(),
                        modified=float(member.mtime),
                    )
                )
        return sorted(entries, key=lambda entry: entry.path)

    async def _walk(self, path: str, parts: list[str]) -> dict[str, Any] | None:
        """Stat each component, refusing symlinks and non-directories on the way.

        Returns the stat of the last component, or None when some component does not exist.
        """
        stat = await self._stat(WORKSPACE)
        for depth in range(1, len(parts) + 1):
            if stat is None:
                return None
            if not stat["mode"] & GO_DIR:
                parent = "/".join(parts[: depth - 1])
                raise PathEscapeError(f"{path!r}: {parent!r} is not a directory")
            stat = await self._stat(box_path(parts[:depth]))
            if stat is not None and stat["mode"] & GO_SYMLINK:
                raise PathEscapeError(f"{path!r}: symlinks are not followed in workspace paths")
        return stat

    async def _stat(self, absolute: str) -> dict[str, Any] | None:
        url = f"{self._api.base_url}/v{self._api.api_version}/containers/{self._container}/archive"
        response = await call("checking a Box path", self._api.head, url, params={"path": absolute})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise BoxError(f"checking {absolute} in the Box failed: HTTP {response.status_code}")
        stat: dict[str, Any] = decode_json_header(response.headers[_STAT_HEADER])
        return stat


def _need_name(path: str) -> list[str]:
    parts = split_relative(path)
    if not parts:
        raise PathEscapeError(f"{path!r} names the workspace itself, not a file")
    return parts


def _file_tar(parts: list[str], data: bytes) -> bytes:
    """A tar of the file and its parent directories, everything owned by the Box user."""
    buffer = io.BytesIO()
    now = time.time()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for depth in range(1, len(parts)):
            directory = tarfile.TarInfo("/".join(parts[:depth]))
            directory.type, directory.mode = tarfile.DIRTYPE, 0o755
            _own(directory, now)
            archive.addfile(directory)
        member = tarfile.TarInfo("/".join(parts))
        member.size, member.mode = len(data), 0o644
        _own(member, now)
        archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def _own(member: tarfile.TarInfo, mtime: float) -> None:
    member.uid, member.gid, member.mtime = BOX_UID, BOX_GID, mtime


class _ChunkReader(io.RawIOBase):
    """A readable file over the chunks of an archive stream, for tarfile's stream mode."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
