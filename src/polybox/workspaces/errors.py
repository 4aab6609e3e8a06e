"""Errors of the workspaces service: a type the caller can branch on, a message, suggestions.

Every `dotnet_*` tool renders them as `{status: "error", error: {type, message, suggestions}}`.
`dotnet_refusals` turns the runtime layer's refusals into them, the same way for snippets and
workspaces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from polybox.errors import PolyboxError
from polybox.sandbox.dotnet import (
    DotnetError,
    InvalidPackageRefError,
    RefusedCodeError,
    VersionUnavailableError,
)


class WorkspaceError(PolyboxError):
    """A call the caller can fix or retry; `kind` is the answer's `error.type`."""

    def __init__(self, kind: str, message: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.suggestions = suggestions


@contextmanager
def dotnet_refusals(ready_versions: Callable[[], list[str]]) -> Iterator[None]:
    """Raise a runtime refusal (`DotnetError`) as a WorkspaceError saying what to do."""
    try:
        yield
    except VersionUnavailableError as exc:
        ready = ", ".join(ready_versions()) or "none"
        raise WorkspaceError(
            "version_unavailable", str(exc), (f"Versions ready now: {ready}.",)
        ) from exc
    except InvalidPackageRefError as exc:
        raise WorkspaceError(
            "invalid_package", str(exc), ('Write packages as "Name" or "Name@version".',)
        ) from exc
    except RefusedCodeError as exc:
        raise WorkspaceError(
            "refused_code", str(exc), ("Remove what the message names and try again.",)
        ) from exc
    except DotnetError as exc:  # any other refusal the runtime adds: its message says the fix
        raise WorkspaceError(getattr(exc, "kind", "dotnet_error"), str(exc)) from exc
