"""Who is acting: attribution for the activity log and the rules that depend on the caller."""

from __future__ import annotations

from dataclasses import dataclass

from polybox.store.enums import ActorKind, Requester, VersionAuthor


@dataclass(frozen=True)
class Actor:
    """The caller of a service function.

    `remote` is true for MCP clients that are not on loopback/stdio; `client_id` names the MCP
    client (for execution logs) when known. `scopes` are the bearer token's scopes of a remote-mode
    client (`tools:call`, `forge:write`, `admin`); None means the caller holds no token and is
    not limited by scopes (stdio, local mode).
    """

    kind: ActorKind
    name: str
    client_id: str | None = None
    remote: bool = False
    scopes: frozenset[str] | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind is ActorKind.ADMIN

    @property
    def requester(self) -> Requester:
        """How a request made by this actor is labelled ("requested by LLM" / "added by admin")."""
        return Requester.ADMIN if self.is_admin else Requester.LLM

    @property
    def author(self) -> VersionAuthor:
        """The author recorded on a tool version this actor writes."""
        return VersionAuthor.ADMIN if self.is_admin else VersionAuthor.LLM


SYSTEM = Actor(ActorKind.SYSTEM, "system")


def llm(
    client_id: str | None = None, *, remote: bool = False, scopes: frozenset[str] | None = None
) -> Actor:
    """An MCP client (an LLM) identified by its client name when it sent one."""
    return Actor(
        ActorKind.LLM, client_id or "mcp-client", client_id=client_id, remote=remote, scopes=scopes
    )


def admin(username: str) -> Actor:
    return Actor(ActorKind.ADMIN, username)
