"""What the external-source services return: never a secret value or an OAuth token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from polybox.forge.schemas import Out, ToolOut
from polybox.store.enums import SourceAuth, SourceHealth, SourceTransport


class SourceOut(Out):
    """An external MCP source of a server and how it is doing.

    `auth_secret_key` names the server secret a bearer source sends (its value is never shown);
    `oauth_connected` says whether an OAuth source holds tokens. `tools` are the local names of
    the tools imported from it.
    """

    id: int
    server: str
    name: str
    url: str
    transport: SourceTransport
    auth_kind: SourceAuth
    auth_secret_key: str | None
    oauth_connected: bool
    health: SourceHealth
    last_error: str | None
    last_checked_at: datetime | None
    created_at: datetime
    tools: list[str]


class RemoteToolOut(Out):
    """A tool the source offers, as discovered, and what importing it would be called here."""

    remote_name: str
    local_name: str  # the tool's name under the server; clients see `<server>__<local_name>`
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    imported: bool  # a tool of this server already passes it through


class DiscoveryOut(Out):
    source: str
    tools: list[RemoteToolOut]


class ImportOut(Out):
    """The passthrough tools an import created or refreshed (each awaits an admin's approval)."""

    source: str
    tools: list[ToolOut]


class OAuthStartOut(Out):
    """Where to send the admin's browser to authorise polybox at the source."""

    source: str
    authorization_url: str
