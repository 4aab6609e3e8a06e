"""A workspace's files, by paths that stay inside /workspace.

A path is relative to /workspace or starts with `/workspace/`; any other absolute path, `..`,
or a symlink on the way (one planted by code in the Box) is refused with what to give instead.
The Box's own file operations open every component without following symlinks.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from polybox.sandbox.box import WORKSPACE, Box, FileInfo, PathEscapeError
from polybox.workspaces.errors import WorkspaceError

MAX_TREE_ENTRIES = 2000
MAX_FILE_BYTES = 5 * 1024 * 1024
SKIPPED_DIRS = frozenset({"bin", "obj", ".git"})
"""Build output and VCS dirs: listed, never descended into (thousands of entries)."""
_EXAMPLE = "give a path inside /workspace, e.g. 'Program.cs' or '/workspace/src/Models.cs'"


def workspace_path(path: str) -> str:
    """`path` relative to /workspace; a WorkspaceError for anything that would leave it."""
    text = path.strip()
    if "\0" in text:
        raise WorkspaceError("invalid_path", f"{path!r} contains a NUL character; {_EXAMPLE}")
    pure = PurePosixPath(text or ".")
    if pure.is_absolute():
        if pure != PurePosixPath(WORKSPACE) and not pure.is_relative_to(WORKSPACE):
            raise WorkspaceError("invalid_path", f"{path!r} is outside /workspace; {_EXAMPLE}")
        pure = pure.relative_to(WORKSPACE)
    if ".." in pure.parts:
        raise WorkspaceError("invalid_path", f"{path!r}: '..' is not allowed; {_EXAMPLE}")
    return str(pure)


async def read_file(box: Box, path: str) -> bytes:
    """The bytes of a regular file of the workspace, at most MAX_FILE_BYTES."""
    relative = workspace_path(path)
    try:
        data = await box.read_file(relative)
    except PathEscapeError as exc:
        raise _refused(path, exc) from None
    except FileNotFoundError:
        raise WorkspaceError(
            "not_found",
            f"no file {path!r} in the workspace",
            ("dotnet_get_project_files lists the files there are.",),
        ) from None
    except IsADirectoryError:
        raise WorkspaceError("invalid_path", f"{path!r} is a directory, not a file") from None
    if len(data) > MAX_FILE_BYTES:
        raise WorkspaceError(
            "too_large",
            f"{path!r} is {len(data):,} bytes, more than the {MAX_FILE_BYTES:,} a read returns",
        )
    return data


async def write_file(box: Box, path: str, data: bytes) -> None:
    """Create or overwrite a file of the workspace (parent directories made as needed)."""
    relative = workspace_path(path)
    if relative == ".":
        raise WorkspaceError("invalid_path", f"{path!r} names /workspace itself; {_EXAMPLE}")
    if len(data) > MAX_FILE_BYTES:
        raise WorkspaceError(
            "too_large", f"{len(data):,} bytes is more than the {MAX_FILE_BYTES:,} a file may have"
        )
    try:
        await box.write_file(relative, data)
    except PathEscapeError as exc:
        raise _refused(path, exc) from None
    except (IsADirectoryError, NotADirectoryError) as exc:
        raise WorkspaceError("invalid_path", f"{path!r}: {exc.strerror}") from None


async def list_tree(box: Box, path: str = ".") -> list[FileInfo]:
    """Every entry under `path`, depth first, paths relative to /workspace; `bin`, `obj` and
    `.git` are listed but not entered, and at most MAX_TREE_ENTRIES are returned."""
    pending = [workspace_path(path)]
    found: list[FileInfo] = []
    while pending and len(found) < MAX_TREE_ENTRIES:
        directory = pending.pop()
        try:
            entries = await box.list_files(directory)
        except PathEscapeError as exc:
            raise _refused(path, exc) from None
        except (FileNotFoundError, NotADirectoryError):
            raise WorkspaceError("not_found", f"no directory {path!r} in the workspace") from None
        found.extend(entries)
        pending.extend(
            entry.path
            for entry in reversed(entries)
            if entry.is_dir and PurePosixPath(entry.path).name not in SKIPPED_DIRS
        )
    return sorted(found[:MAX_TREE_ENTRIES], key=lambda entry: entry.path)


def _refused(path: str, exc: PathEscapeError) -> WorkspaceError:
    return WorkspaceError(
        "invalid_path",
        f"{path!r} leads outside /workspace ({exc}); {_EXAMPLE}",
        ("Remove the symlink, or use the real path inside /workspace.",),
    )
