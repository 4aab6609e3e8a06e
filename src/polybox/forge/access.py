"""What one remote caller may see and call: its token's scopes and `remote_tool_editing`.

Scopes of a remote-mode bearer token:

- `tools:call`: list and call the forged tools, run .NET code (`dotnet_*`), and use the
  read-only management tools.
- `forge:write`: every management tool (build servers and tools, ask for modules and hosts),
  within what `remote_tool_editing` allows remote clients.
- `admin`: both, and not limited by `remote_tool_editing`: the admin's own client.

A caller without a token (stdio, local mode) has no scope limit; when it is remote (a
non-loopback peer in local mode) `remote_tool_editing` still limits it. tools/list shows each
caller only the tools it may call, so a model is not invited to use what it would be refused;
`Access` is small and hashable so the listing cache can keep one answer per kind of caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.events import EventBus
from polybox.forge.actors import Actor
from polybox.forge.settings import RemoteEditing, get_settings

TOOLS_CALL = "tools:call"
FORGE_WRITE = "forge:write"
ADMIN = "admin"


@dataclass(frozen=True)
class Access:
    """The rules for one kind of caller; `scopes` None means not limited by scopes."""

    remote: bool
    scopes: frozenset[str] | None
    policy: RemoteEditing

    def _holds(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes or ADMIN in self.scopes

    def management_refusal(self, name: str, *, read_only: bool) -> str | None:
        """Why this caller may not call management tool `name`, or None when it may."""
        if not (self._holds(FORGE_WRITE) or (read_only and self._holds(TOOLS_CALL))):
            needed = f"{TOOLS_CALL!r} or {FORGE_WRITE!r}" if read_only else repr(FORGE_WRITE)
            return f"{name} needs the {needed} scope; {self._held()}"
        exempt = not self.remote or (self.scopes is not None and ADMIN in self.scopes)
        if exempt or self.policy == "all" or (self.policy == "read_only" and read_only):
            return None
        allowed = (
            "only read-only management tools"
            if self.policy == "read_only"
            else "no management tools"
        )
        return (
            f"{name} is not available to remote clients: remote_tool_editing is "
            f"{self.policy!r} ({allowed}). Use a local client (stdio or loopback) or ask the admin "
            "to change it."
        )

    def forged_refusal(self) -> str | None:
        """Why this caller may not list or call forged tools, or None when it may."""
        return self._call_refusal("calling forged tools")

    def dotnet_refusal(self) -> str | None:
        """Why this caller may not run .NET code (the `dotnet_*` tools), or None when it may.

        Running a snippet is like calling a tool: it needs `tools:call`, and
        `remote_tool_editing` (which governs building tools) does not apply.
        """
        return self._call_refusal("running .NET code")

    def _call_refusal(self, what: str) -> str | None:
        if self._holds(TOOLS_CALL):
            return None
        return f"{what} needs the {TOOLS_CALL!r} scope; {self._held()}"

    def _held(self) -> str:
        held = ", ".join(sorted(self.scopes or ())) or "none"
        return f"this token has: {held}. Ask the admin for a token with that scope."


class RemotePolicy:
    """`remote_tool_editing`, read from the store at most once between two change events.

    Like the call plans, it trusts its copy only while the event bus is listening and its
    sequence has not moved since the read, so a changed policy holds from the next request on.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], events: EventBus) -> None:
        self._sessions = sessions
        self._events = events
        self._value: RemoteEditing | None = None
        self._read_at = -1

    async def current(self) -> RemoteEditing:
        events = self._events
        if self._value is not None and events.listening and events.sequence == self._read_at:
            return self._value
        read_at = events.sequence
        async with self._sessions() as session:
            value = (await get_settings(session)).remote_tool_editing
        self._value, self._read_at = value, read_at
        return value


_LOCAL = Access(remote=False, scopes=None, policy="all")


async def access_of(actor: Actor, policy: RemotePolicy) -> Access:
    """The rules for `actor`; local callers skip the policy read."""
    if not actor.remote:
        return _LOCAL
    return Access(remote=True, scopes=actor.scopes, policy=await policy.current())
