"""Where a passthrough tool's calls go: the source's address and the tool's name there.

Read once per call plan (plans.py keeps it until the next change event), so a call does not
touch the store; credentials are resolved per call from the plan's secrets.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.errors import UnavailableError
from polybox.store.enums import SourceAuth, SourceTransport
from polybox.store.models import ExternalSource, Tool


@dataclass(frozen=True, slots=True)
class RemoteTarget:
    """One passthrough tool's upstream: source row fields and the remote tool name."""

    source_id: int
    source: str
    server_id: int
    url: str
    transport: SourceTransport
    auth_kind: SourceAuth
    auth_secret_key: str | None
    remote_name: str

    @classmethod
    def of(cls, row: ExternalSource, remote_name: str) -> RemoteTarget:
        return cls(
            source_id=row.id,
            source=row.name,
            server_id=row.server_id,
            url=row.url,
            transport=row.transport,
            auth_kind=row.auth_kind,
            auth_secret_key=row.auth_secret_key,
            remote_name=remote_name,
        )


async def remote_target(session: AsyncSession, tool: Tool) -> RemoteTarget:
    """The upstream of passthrough `tool`; UnavailableError when its source is gone."""
    source = None
    if tool.external_source_id is not None:
        source = await session.get(ExternalSource, tool.external_source_id)
    if source is None or tool.remote_name is None:
        raise UnavailableError(
            f"tool {tool.name!r} passes through an external source that no longer exists; "
            "delete the tool or import it again from a source"
        )
    return RemoteTarget.of(source, tool.remote_name)
