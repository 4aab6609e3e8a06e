"""Errors of the workspaces service: a type the caller can branch on, a message, suggestions.

Every `dotnet_*` tool renders them as `{status: "error", error: {type, message, suggestions}}`.
"""

from __future__ import annotations

from polybox.errors import PolyboxError


class WorkspaceError(PolyboxError):
    """A call the caller can fix or retry; `kind` is the answer's `error.type`."""

    def __init__(self, kind: str, message: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.suggestions = suggestions
